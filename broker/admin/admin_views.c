/*
 * GET /v1/... JSON views (admin_internal.h).  Everything comes from this
 * node's metadata image, its own partitions and its quorum: a node reports
 * what it knows and null where it does not know (offsets of partitions it
 * does not host, replica progress of followers it does not lead, disk space
 * of other nodes).  Names follow Redpanda's admin API (health_overview,
 * brokers) and Kafka's DescribeQuorum in snake_case (KIP-595, KIP-836).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "admin_internal.h"
#include "broker_config.h"
#include "clock.h"
#include "kafka.h"
#include "metadata_image.h"
#include "broker.h"
#include "partition.h"
#include "quorum.h"
#include "replica_manager.h"
#include "topic_config.h"
#include "xalloc.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "unknown"
#endif

/* Redpanda reports at most this many partitions in each health_overview list. */
#define HEALTH_LIST_MAX 128

/* Redpanda's storage_space_alert_free_threshold_percent default. */
#define DISK_ALERT_FREE_PERCENT 5

static const char *security_protocol_name(int16_t p)
{
    switch (p) {
    case 0:
        return "PLAINTEXT";
    case 1:
        return "SSL";
    case 2:
        return "SASL_PLAINTEXT";
    case 3:
        return "SASL_SSL";
    default:
        return "UNKNOWN";
    }
}

static bool is_voter(const struct broker *n, int32_t id)
{
    for (size_t i = 0; i < n->cfg->voters.n; i++)
        if (n->cfg->voters.v[i].id == id)
            return true;
    return false;
}

/* Kafka's internal topics (Topic.INTERNAL_TOPICS). */
static bool is_internal_topic(const char *name)
{
    return strcmp(name, "__consumer_offsets") == 0 || strcmp(name, "__transaction_state") == 0;
}

/* A broker is alive when it is registered and not fenced (KIP-631). */
static bool broker_alive(const struct metadata_image *img, int32_t id)
{
    const struct mi_broker *b = metadata_image_broker(img, id);
    return b && !b->fenced;
}

/* [{path, free, total}] of the local log directories (bytes). */
static json_t *local_disk_space(const struct broker *n, bool *low)
{
    json_t *a = json_array();
    if (low)
        *low = false;
    for (size_t i = 0; i < n->cfg->data_dirs.n; i++) {
        struct statvfs st;
        if (statvfs(n->cfg->data_dirs.v[i], &st) != 0)
            continue;
        uint64_t total = (uint64_t)st.f_blocks * st.f_frsize;
        uint64_t avail = (uint64_t)st.f_bavail * st.f_frsize;
        json_t *d = json_object();
        json_object_set_new(d, "path", json_string(n->cfg->data_dirs.v[i]));
        json_object_set_new(d, "free", json_integer((json_int_t)avail));
        json_object_set_new(d, "total", json_integer((json_int_t)total));
        /* The replica manager serves the first log dir (replica_manager.h). */
        json_object_set_new(d, "offline",
                            json_boolean(i == 0 && replica_manager_log_dir_offline(n->rm)));
        json_array_append_new(a, d);
        if (low && total > 0 && avail * 100 < total * DISK_ALERT_FREE_PERCENT)
            *low = true;
    }
    return a;
}

/*
 * Partition directories this node set aside as stray (KIP-858 naming,
 * "<topic>-<n>.<uuid>-stray"): data the metadata does not assign here, kept
 * for the operator to inspect and remove.
 */
static json_t *stray_logs_json(const struct broker *n)
{
    json_t *a = json_array();
    if (!n->rm)
        return a;
    const char **names = NULL;
    size_t count = replica_manager_stray_logs(n->rm, &names);
    for (size_t i = 0; i < count; i++)
        json_array_append_new(a, json_string(names[i]));
    free(names);
    return a;
}

static json_t *roles_json(const struct broker *n, int32_t id, bool is_broker)
{
    json_t *a = json_array();
    if (is_broker)
        json_array_append_new(a, json_string("broker"));
    if (is_voter(n, id))
        json_array_append_new(a, json_string("controller"));
    return a;
}

/* One registered broker, as /v1/brokers and /v1/cluster show it. */
static json_t *broker_json(const struct broker *n, const struct mi_broker *b)
{
    const struct metadata_image *img = n->image;
    json_t *o = json_object();
    json_object_set_new(o, "node_id", json_integer(b->id));
    const struct mi_endpoint *ep = b->nendpoints > 0 ? &b->endpoints[0] : NULL;
    json_object_set_new(o, "host", ep ? json_string(ep->host) : json_null());
    json_object_set_new(o, "port", ep ? json_integer(ep->port) : json_null());
    json_t *eps = json_array();
    for (int32_t i = 0; i < b->nendpoints; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "name", json_string(b->endpoints[i].name));
        json_object_set_new(e, "host", json_string(b->endpoints[i].host));
        json_object_set_new(e, "port", json_integer(b->endpoints[i].port));
        json_object_set_new(e, "security_protocol",
                            json_string(security_protocol_name(b->endpoints[i].security_protocol)));
        json_array_append_new(eps, e);
    }
    json_object_set_new(o, "endpoints", eps);
    json_object_set_new(o, "rack", b->rack ? json_string(b->rack) : json_null());
    json_object_set_new(o, "roles", roles_json(n, b->id, true));
    json_object_set_new(o, "is_alive", json_boolean(!b->fenced));
    json_object_set_new(o, "is_fenced", json_boolean(b->fenced));
    json_object_set_new(o, "in_controlled_shutdown", json_boolean(b->in_controlled_shutdown));
    json_object_set_new(o, "membership_status", json_string("active"));
    json_object_set_new(o, "is_controller", json_boolean(broker_controller_id(n) == b->id));
    json_object_set_new(o, "broker_epoch", json_integer(b->epoch));
    char inc[UUID_STR_LEN + 1];
    uuid_to_string(&b->incarnation_id, inc);
    json_object_set_new(o, "incarnation_id", json_string(inc));
    /* Leaders and replicas placed on the broker, from the image. */
    int64_t leaders = 0, replicas = 0;
    size_t nt = metadata_image_topic_count(img);
    for (size_t i = 0; i < nt; i++) {
        const struct mi_topic *t = metadata_image_topic_at(img, i);
        for (int32_t p = 0; p < t->npartitions; p++) {
            if (t->partitions[p].leader == b->id)
                leaders++;
            if (mi_partition_has_replica(&t->partitions[p], b->id))
                replicas++;
        }
    }
    json_object_set_new(o, "leader_count", json_integer(leaders));
    json_object_set_new(o, "replica_count", json_integer(replicas));
    bool self = b->id == n->node_id;
    /* Only this node's own version and disks are known here. */
    json_object_set_new(o, "version", self ? json_string(SLUICE_VERSION) : json_null());
    json_object_set_new(o, "disk_space", self ? local_disk_space(n, NULL) : json_null());
    json_object_set_new(o, "metadata_caught_up",
                        self ? json_boolean(broker_metadata_caught_up(n)) : json_null());
    json_object_set_new(o, "stray_logs", self ? stray_logs_json(n) : json_null());
    return o;
}

/* ---- /v1/status/ready ---- */

void admin_view_ready(struct admin_request *r)
{
    struct broker *n = r->node;
    const char *reason = NULL;
    bool is_broker = (n->cfg->roles & BCFG_ROLE_BROKER) != 0;
    if (n->stopping)
        reason = "shutting down";
    else if (broker_controller_id(n) < 0)
        reason = "waiting for the metadata quorum to elect a leader";
    else if (is_broker && n->broker_epoch < 0)
        reason = "waiting for the broker registration to commit";
    else if (is_broker && !n->serving)
        reason = "waiting for the broker to be unfenced and its client listeners to open";
    else if (is_broker && replica_manager_log_dir_offline(n->rm))
        reason = "the log dir is offline after an I/O error: restart the broker once the disk "
                 "is fixed";
    json_t *o = json_object();
    json_object_set_new(o, "ready", json_boolean(reason == NULL));
    json_object_set_new(o, "reason", reason ? json_string(reason) : json_null());
    json_object_set_new(o, "node_id", json_integer(n->node_id));
    if (reason)
        admin_request_add_header(r, "Retry-After", "1");
    admin_reply_json(r, reason ? 503 : 200, o);
}

/* ---- /v1/cluster ---- */

static int64_t partition_total(const struct metadata_image *img)
{
    int64_t total = 0;
    size_t nt = metadata_image_topic_count(img);
    for (size_t i = 0; i < nt; i++)
        total += metadata_image_topic_at(img, i)->npartitions;
    return total;
}

void admin_view_cluster(struct admin_request *r)
{
    struct broker *n = r->node;
    const struct metadata_image *img = n->image;
    json_t *o = json_object();
    json_object_set_new(o, "cluster_id", json_string(n->cluster_id));
    json_object_set_new(o, "node_id", json_integer(n->node_id));
    json_object_set_new(o, "controller_id", json_integer(broker_controller_id(n)));
    json_object_set_new(o, "metadata_offset", json_integer(metadata_image_offset(img)));
    json_t *brokers = json_array();
    size_t nb = metadata_image_broker_count(img);
    int64_t fenced = 0;
    for (size_t i = 0; i < nb; i++) {
        const struct mi_broker *b = metadata_image_broker_at(img, i);
        if (b->fenced)
            fenced++;
        json_array_append_new(brokers, broker_json(n, b));
    }
    json_object_set_new(o, "brokers", brokers);
    /* The controller quorum as configured (controller.quorum.voters). */
    json_t *ctls = json_array();
    for (size_t i = 0; i < n->cfg->voters.n; i++) {
        const struct bcfg_voter *v = &n->cfg->voters.v[i];
        json_t *c = json_object();
        json_object_set_new(c, "node_id", json_integer(v->id));
        json_object_set_new(c, "host", json_string(v->host));
        json_object_set_new(c, "port", json_integer(v->port));
        json_object_set_new(c, "is_leader", json_boolean(broker_controller_id(n) == v->id));
        json_object_set_new(c, "roles",
                            roles_json(n, v->id, metadata_image_broker(img, v->id) != NULL));
        json_array_append_new(ctls, c);
    }
    json_object_set_new(o, "controllers", ctls);
    json_object_set_new(o, "brokers_count", json_integer((json_int_t)nb));
    json_object_set_new(o, "alive_brokers_count", json_integer((json_int_t)nb - fenced));
    json_object_set_new(o, "fenced_brokers_count", json_integer(fenced));
    json_object_set_new(o, "topics_count",
                        json_integer((json_int_t)metadata_image_topic_count(img)));
    json_object_set_new(o, "partitions_count", json_integer(partition_total(img)));
    admin_reply_json(r, 200, o);
}

/* ---- /v1/cluster/health_overview ---- */

static bool partition_under_replicated(const struct mi_partition *p)
{
    return p->leader >= 0 && p->nisr < p->nreplicas;
}

void admin_view_health(struct admin_request *r)
{
    struct broker *n = r->node;
    const struct metadata_image *img = n->image;
    int32_t ctl = broker_controller_id(n);
    json_t *all = json_array(), *down = json_array();
    size_t nb = metadata_image_broker_count(img);
    for (size_t i = 0; i < nb; i++) {
        const struct mi_broker *b = metadata_image_broker_at(img, i);
        json_array_append_new(all, json_integer(b->id));
        if (b->fenced)
            json_array_append_new(down, json_integer(b->id));
    }
    json_t *leaderless = json_array(), *under = json_array();
    int64_t nleaderless = 0, nunder = 0;
    size_t nt = metadata_image_topic_count(img);
    for (size_t i = 0; i < nt; i++) {
        const struct mi_topic *t = metadata_image_topic_at(img, i);
        for (int32_t p = 0; p < t->npartitions; p++) {
            const struct mi_partition *mp = &t->partitions[p];
            char name[300];
            snprintf(name, sizeof name, "%s/%d", t->name, mp->partition_id);
            if (mp->leader < 0) {
                if (nleaderless++ < HEALTH_LIST_MAX)
                    json_array_append_new(leaderless, json_string(name));
            } else if (partition_under_replicated(mp)) {
                if (nunder++ < HEALTH_LIST_MAX)
                    json_array_append_new(under, json_string(name));
            }
        }
    }
    bool low_disk = false;
    json_t *disk = local_disk_space(n, &low_disk);
    json_decref(disk);
    json_t *high_disk = json_array();
    if (low_disk)
        json_array_append_new(high_disk, json_integer(n->node_id));

    json_t *reasons = json_array();
    if (ctl < 0)
        json_array_append_new(reasons, json_string("controller_unavailable"));
    if (json_array_size(down) > 0)
        json_array_append_new(reasons, json_string("nodes_down"));
    if (nleaderless > 0)
        json_array_append_new(reasons, json_string("leaderless_partitions"));
    if (nunder > 0)
        json_array_append_new(reasons, json_string("under_replicated_partitions"));
    if (low_disk)
        json_array_append_new(reasons, json_string("high_disk_usage"));

    json_t *o = json_object();
    json_object_set_new(o, "is_healthy", json_boolean(json_array_size(reasons) == 0));
    json_object_set_new(o, "unhealthy_reasons", reasons);
    json_object_set_new(o, "controller_id", json_integer(ctl));
    json_object_set_new(o, "all_nodes", all);
    json_object_set_new(o, "nodes_down", down);
    json_object_set_new(o, "leaderless_partitions", leaderless);
    json_object_set_new(o, "leaderless_count", json_integer(nleaderless));
    json_object_set_new(o, "under_replicated_partitions", under);
    json_object_set_new(o, "under_replicated_count", json_integer(nunder));
    /* Disk usage is known for this node only. */
    json_object_set_new(o, "high_disk_usage_nodes", high_disk);
    json_object_set_new(o, "nodes_in_recovery_mode", json_array());
    json_object_set_new(o, "bytes_in_cloud_storage", json_null());
    admin_reply_json(r, 200, o);
}

/* ---- /v1/brokers ---- */

void admin_view_brokers(struct admin_request *r)
{
    struct broker *n = r->node;
    json_t *a = json_array();
    size_t nb = metadata_image_broker_count(n->image);
    for (size_t i = 0; i < nb; i++)
        json_array_append_new(a, broker_json(n, metadata_image_broker_at(n->image, i)));
    admin_reply_json(r, 200, a);
}

void admin_view_broker(struct admin_request *r)
{
    struct broker *n = r->node;
    int32_t id;
    if (!admin_parse_id(r->params[0], &id)) {
        admin_reply_error(r, 400, "invalid broker id '%s'", r->params[0]);
        return;
    }
    const struct mi_broker *b = metadata_image_broker(n->image, id);
    if (!b) {
        admin_reply_error(r, 404, "broker %d is not registered", id);
        return;
    }
    admin_reply_json(r, 200, broker_json(n, b));
}

/* ---- /v1/topics ---- */

static json_t *topic_summary(const struct mi_topic *t)
{
    json_t *o = json_object();
    char id[UUID_STR_LEN + 1];
    uuid_to_string(&t->id, id);
    json_object_set_new(o, "topic_name", json_string(t->name));
    json_object_set_new(o, "topic_id", json_string(id));
    json_object_set_new(o, "is_internal", json_boolean(is_internal_topic(t->name)));
    json_object_set_new(o, "partitions_count", json_integer(t->npartitions));
    /* Kafka reports the replica count of partition 0 as the replication factor. */
    json_object_set_new(o, "replication_factor",
                        json_integer(t->npartitions > 0 ? t->partitions[0].nreplicas : 0));
    return o;
}

/*
 * One partition: the image's view (leader, epochs, replicas, ISR, offline
 * replicas) and, when this node hosts a replica, its offsets.  Per replica
 * progress (log end offset, last caught-up time) is what the leader knows of
 * its followers (Kafka's Replica state): only the node that leads the
 * partition reports it; the others answer null and name the node to ask
 * (replica_progress_from / replica_progress_note).
 */
static json_t *partition_json(struct broker *n, const struct mi_topic *t,
                              const struct mi_partition *mp)
{
    const struct metadata_image *img = n->image;
    json_t *o = json_object();
    json_object_set_new(o, "topic", json_string(t->name));
    json_object_set_new(o, "partition_id", json_integer(mp->partition_id));
    json_object_set_new(o, "leader_id", json_integer(mp->leader));
    json_object_set_new(o, "leader_epoch", json_integer(mp->leader_epoch));
    json_object_set_new(o, "partition_epoch", json_integer(mp->partition_epoch));
    json_object_set_new(o, "replicas", admin_json_ids(mp->replicas, mp->nreplicas));
    json_object_set_new(o, "isr", admin_json_ids(mp->isr, mp->nisr));
    json_t *offline = json_array();
    for (int32_t i = 0; i < mp->nreplicas; i++)
        if (!broker_alive(img, mp->replicas[i]))
            json_array_append_new(offline, json_integer(mp->replicas[i]));
    json_object_set_new(o, "offline_replicas", offline);
    json_object_set_new(o, "adding_replicas",
                        admin_json_ids(mp->adding_replicas, mp->nadding_replicas));
    json_object_set_new(o, "removing_replicas",
                        admin_json_ids(mp->removing_replicas, mp->nremoving_replicas));
    json_object_set_new(o, "leader_recovery_state",
                        json_string(mp->leader_recovery_state ? "recovering" : "recovered"));
    json_object_set_new(o, "is_leaderless", json_boolean(mp->leader < 0));
    json_object_set_new(o, "is_under_replicated", json_boolean(partition_under_replicated(mp)));

    struct partition *p = NULL;
    int16_t local = n->rm ? replica_manager_lookup(n->rm, t->name, mp->partition_id, &p)
                          : KERR_NOT_LEADER_OR_FOLLOWER;
    if (local != KERR_NONE)
        p = NULL;
    /* This node's replica failed with an I/O error (its log dir is offline). */
    json_object_set_new(o, "local_replica_offline",
                        json_boolean(local == KERR_KAFKA_STORAGE_ERROR));
    /* Offsets come from this node's replica; offsets_from says whose view they are. */
    json_object_set_new(o, "log_start_offset",
                        p ? json_integer(partition_log_start(p)) : json_null());
    json_object_set_new(o, "high_watermark",
                        p ? json_integer(p->repl.high_watermark) : json_null());
    json_object_set_new(o, "log_end_offset", p ? json_integer(partition_leo(p)) : json_null());
    json_object_set_new(o, "offsets_from", p ? json_integer(n->node_id) : json_null());
    json_object_set_new(o, "offsets_from_leader", json_boolean(p && p->repl.is_leader));

    bool lead_here = p && p->repl.is_leader;
    int64_t now = clock_wall_ms(), mono = clock_mono_ms();
    json_object_set_new(o, "replica_progress_from",
                        lead_here ? json_integer(n->node_id) : json_null());
    if (!lead_here) {
        char note[160];
        if (mp->leader >= 0)
            snprintf(note, sizeof note,
                     "replica progress is known to the leader (node %d) only: ask its admin API",
                     mp->leader);
        else
            snprintf(note, sizeof note, "the partition has no leader: no replica progress");
        json_object_set_new(o, "replica_progress_note", json_string(note));
    }
    json_t *reps = json_array();
    for (int32_t i = 0; i < mp->nreplicas; i++) {
        int32_t id = mp->replicas[i];
        json_t *e = json_object();
        json_object_set_new(e, "node_id", json_integer(id));
        json_object_set_new(e, "is_leader", json_boolean(id == mp->leader));
        json_object_set_new(e, "in_sync", json_boolean(mi_partition_in_isr(mp, id)));
        json_object_set_new(e, "is_alive", json_boolean(broker_alive(img, id)));
        /* The leader is always caught up with itself (as DescribeQuorum reports it);
         * followers' times are on the monotonic clock, shown as wall-clock time and age. */
        bool own = lead_here && id == n->node_id;
        const struct repl_follower *f =
            lead_here && !own ? repl_leader_follower(&p->repl, id) : NULL;
        int64_t leo = own ? partition_leo(p) : f ? f->leo : -1;
        int64_t ago = own ? 0 : f && f->last_caught_up_ms >= 0 ? mono - f->last_caught_up_ms : -1;
        if (ago < -1)
            ago = 0;
        json_object_set_new(e, "log_end_offset", admin_json_int_or_null(leo));
        json_object_set_new(e, "last_caught_up_ms",
                            ago >= 0 ? json_integer(now - ago) : json_null());
        json_object_set_new(e, "last_caught_up_ms_ago", admin_json_int_or_null(ago));
        json_array_append_new(reps, e);
    }
    json_object_set_new(o, "replica_status", reps);
    return o;
}

static const struct mi_topic *find_topic(struct admin_request *r)
{
    const struct mi_topic *t = metadata_image_topic_by_name(r->node->image, r->params[0]);
    if (!t) {
        char msg[320];
        snprintf(msg, sizeof msg, "unknown topic '%.256s'", r->params[0]);
        admin_reply_kafka_error(r, KERR_UNKNOWN_TOPIC_OR_PARTITION, msg);
    }
    return t;
}

void admin_view_topics(struct admin_request *r)
{
    const struct metadata_image *img = r->node->image;
    json_t *a = json_array();
    size_t nt = metadata_image_topic_count(img);
    for (size_t i = 0; i < nt; i++)
        json_array_append_new(a, topic_summary(metadata_image_topic_at(img, i)));
    admin_reply_json(r, 200, a);
}

/* Every topic config with its effective value, and the ones set on the topic itself. */
static void add_configs(struct broker *n, const struct mi_topic *t, json_t *o)
{
    json_t *eff = json_object(), *over = json_object();
    size_t nc = topic_config_count();
    for (size_t i = 0; i < nc; i++) {
        const struct topic_config_def *d = topic_config_at(i);
        const char *ov = metadata_image_config(n->image, 2, t->name, d->name);
        int8_t src;
        char buf[TC_VALUE_BUF];
        const char *v =
            topic_config_effective(d, ov, broker_config_lookup, (void *)n->cfg, &src, buf);
        json_object_set_new(eff, d->name, d->sensitive || !v ? json_null() : json_string(v));
        if (ov)
            json_object_set_new(over, d->name, d->sensitive ? json_null() : json_string(ov));
    }
    json_object_set_new(o, "configs", eff);
    json_object_set_new(o, "config_overrides", over);
}

void admin_view_topic(struct admin_request *r)
{
    const struct mi_topic *t = find_topic(r);
    if (!t)
        return;
    json_t *o = topic_summary(t);
    add_configs(r->node, t, o);
    json_t *parts = json_array();
    for (int32_t p = 0; p < t->npartitions; p++)
        json_array_append_new(parts, partition_json(r->node, t, &t->partitions[p]));
    json_object_set_new(o, "partitions", parts);
    admin_reply_json(r, 200, o);
}

void admin_view_partitions(struct admin_request *r)
{
    const struct mi_topic *t = find_topic(r);
    if (!t)
        return;
    json_t *parts = json_array();
    for (int32_t p = 0; p < t->npartitions; p++)
        json_array_append_new(parts, partition_json(r->node, t, &t->partitions[p]));
    admin_reply_json(r, 200, parts);
}

void admin_view_partition(struct admin_request *r)
{
    const struct mi_topic *t = find_topic(r);
    if (!t)
        return;
    int32_t id;
    if (!admin_parse_id(r->params[1], &id)) {
        admin_reply_error(r, 400, "invalid partition id '%s'", r->params[1]);
        return;
    }
    const struct mi_partition *mp = metadata_image_partition(t, id);
    if (!mp) {
        admin_reply_error_extra(r, 404, NULL, "topic %s has no partition %d (it has %d)", t->name,
                                id, t->npartitions);
        return;
    }
    admin_reply_json(r, 200, partition_json(r->node, t, mp));
}

/* ---- /v1/raft/metadata: the metadata quorum (DescribeQuorum, KIP-595/KIP-836) ---- */

/* One replica as DescribeQuorum reports it, with its lag behind the leader's log end. */
static json_t *raft_replica_json(const struct quorum_replica *rep, int64_t leader_leo,
                                 bool is_leader, const char *status)
{
    json_t *v = json_object();
    json_object_set_new(v, "replica_id", json_integer(rep->id));
    json_object_set_new(v, "replica_directory_id", json_null());
    json_object_set_new(v, "log_end_offset", admin_json_int_or_null(rep->log_end_offset));
    json_object_set_new(v, "lag",
                        rep->log_end_offset >= 0 ? json_integer(leader_leo - rep->log_end_offset)
                                                 : json_null());
    json_object_set_new(v, "last_fetch_timestamp",
                        admin_json_int_or_null(rep->last_fetch_timestamp));
    json_object_set_new(v, "last_caught_up_timestamp",
                        admin_json_int_or_null(rep->last_caught_up_timestamp));
    json_object_set_new(v, "status", json_string(is_leader ? "Leader" : status));
    return v;
}

void admin_view_raft(struct admin_request *r)
{
    struct broker *n = r->node;
    struct quorum *q = n->quorum;
    if (!q) {
        admin_reply_error(r, 503, "the metadata quorum is not open");
        return;
    }
    int32_t leader = quorum_leader_id(q);
    bool is_leader = quorum_is_leader(q);
    int64_t hw = quorum_high_watermark(q), leo = quorum_log_end_offset(q);
    int64_t now = clock_wall_ms();
    json_t *o = json_object();
    json_object_set_new(o, "cluster_id", json_string(n->cluster_id));
    json_object_set_new(o, "leader_id", json_integer(leader));
    json_object_set_new(o, "leader_epoch", json_integer(quorum_epoch(q)));
    json_object_set_new(o, "high_watermark", json_integer(hw));
    /* Replica progress is what the leader tracks (DescribeQuorum); elsewhere this node knows
     * its own log only, and says so. */
    struct quorum_description d;
    bool described = is_leader && quorum_describe(q, &d) == 0;
    json_t *voters = json_array();
    int64_t max_lag = 0, max_lag_ms = 0;
    int64_t leader_caught_up = now, leader_leo = leo;
    if (described) {
        for (int i = 0; i < d.nvoters; i++)
            if (d.voters[i].id == n->node_id) {
                leader_leo = d.voters[i].log_end_offset;
                leader_caught_up = d.voters[i].last_caught_up_timestamp;
            }
        for (int i = 0; i < d.nvoters; i++) {
            const struct quorum_replica *rep = &d.voters[i];
            int64_t lag = rep->log_end_offset >= 0 ? leader_leo - rep->log_end_offset : -1;
            if (lag > max_lag)
                max_lag = lag;
            /* Kafka's MaxFollowerLagTimeMs: how far behind the leader's caught-up time. */
            if (rep->id != n->node_id && rep->last_caught_up_timestamp >= 0 &&
                leader_caught_up - rep->last_caught_up_timestamp > max_lag_ms)
                max_lag_ms = leader_caught_up - rep->last_caught_up_timestamp;
            json_array_append_new(
                voters, raft_replica_json(rep, leader_leo, rep->id == leader, "Follower"));
        }
    } else {
        for (size_t i = 0; i < n->cfg->voters.n; i++) {
            int32_t id = n->cfg->voters.v[i].id;
            bool self = id == n->node_id;
            json_t *v = json_object();
            json_object_set_new(v, "replica_id", json_integer(id));
            json_object_set_new(v, "replica_directory_id", json_null());
            json_object_set_new(v, "log_end_offset", self ? json_integer(leo) : json_null());
            json_object_set_new(v, "lag", json_null());
            json_object_set_new(v, "last_fetch_timestamp", json_null());
            json_object_set_new(v, "last_caught_up_timestamp", json_null());
            json_object_set_new(v, "status",
                                json_string(id == leader  ? "Leader"
                                            : leader >= 0 ? "Follower"
                                                          : "Unattached"));
            json_array_append_new(voters, v);
        }
    }
    json_object_set_new(o, "current_voters", voters);
    json_t *observers = json_array();
    for (int i = 0; described && i < d.nobservers; i++)
        json_array_append_new(observers,
                              raft_replica_json(&d.observers[i], leader_leo, false, "Observer"));
    json_object_set_new(o, "observers", observers);
    json_object_set_new(o, "max_follower_lag", described ? json_integer(max_lag) : json_null());
    json_object_set_new(o, "max_follower_lag_time_ms",
                        described ? json_integer(max_lag_ms) : json_null());
    json_object_set_new(o, "replica_progress_from",
                        described ? json_integer(n->node_id) : json_null());
    if (!described)
        json_object_set_new(o, "replica_progress_note",
                            json_string(leader >= 0 ? "replica progress is known to the quorum "
                                                      "leader only: ask its /v1/raft/metadata"
                                                    : "no quorum leader is known"));
    if (described)
        quorum_description_free(&d);

    struct quorum_state st = {-1, 0, -1};
    if (n->cfg->metadata_dir) {
        char *dir = xasprintf("%s/__cluster_metadata-0", n->cfg->metadata_dir);
        if (quorum_state_read(dir, &st) < 0)
            st.voted_id = -1;
        free(dir);
    }
    json_t *local = json_object();
    json_object_set_new(local, "node_id", json_integer(n->node_id));
    json_object_set_new(local, "state",
                        json_string(is_leader     ? "leader"
                                    : leader >= 0 ? "follower"
                                                  : "unattached"));
    json_object_set_new(local, "term", json_integer(quorum_epoch(q)));
    json_object_set_new(local, "voted_for", admin_json_int_or_null(st.voted_id));
    json_object_set_new(local, "log_end_offset", json_integer(leo));
    json_object_set_new(local, "high_watermark", json_integer(hw));
    json_object_set_new(local, "commit_index", json_integer(hw - 1));
    json_object_set_new(local, "last_applied", json_integer(metadata_image_offset(n->image)));
    json_object_set_new(o, "local", local);
    admin_reply_json(r, 200, o);
}
