/*
 * The active controller (controller.h): a FIFO of operations, each validated
 * against the committed image when it reaches the head, turned into metadata
 * records appended to the quorum as one atomic batch, and completed when
 * on_commit reaches the batch's last offset.  This file runs the queue and
 * handles topic administration and producer ids; broker lifecycle is in
 * controller_lifecycle.c, partition elections and AlterPartition in
 * controller_partitions.c (controller_internal.h).  Validation rules and
 * error texts follow Kafka's ReplicationControlManager,
 * ClusterControlManager and ProducerIdControlManager (KIP-500, KIP-631).
 */
#include "controller.h"
#include "controller_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "err.h"
#include "invariant.h"
#include "kafka.h"
#include "log.h"
#include "metadata_records.h"
#include "placement.h"
#include "topic_config.h"
#include "topic_name.h"
#include "xalloc.h"

#define CLUSTER_METADATA_TOPIC "__cluster_metadata"

/* ---- records accumulated for one append ---- */

void ctl_recs_init(struct recs *r)
{
    memset(r, 0, sizeof(*r));
    wbuf_init(&r->w, 256);
}

void ctl_recs_free(struct recs *r)
{
    wbuf_free(&r->w);
    free(r->end);
}

void ctl_recs_add(struct recs *r, int16_t type, const void *rec)
{
    size_t before = r->w.len;
    int rc = metadata_record_encode(type, metadata_record_write_version(type), rec, &r->w);
    if (rc != 0) {
        r->w.len = before;
        if (!r->err)
            r->err = rc;
        LOG_ERROR("controller", "cannot encode %s: %s", metadata_record_name(type),
                  sl_strerror(rc));
        return;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->end = xrealloc(r->end, (size_t)r->cap * sizeof(*r->end));
    }
    r->end[r->n++] = r->w.len;
}

/* Appends the accumulated records as one batch.  Returns 0 or the quorum's error. */
static int recs_append(struct controller *c, struct recs *r, int64_t *last)
{
    if (r->err)
        return r->err;
    struct kbytes *kb = xcalloc((size_t)r->n, sizeof(*kb));
    size_t start = 0;
    for (int32_t i = 0; i < r->n; i++) {
        kb[i].p = r->w.data + start;
        kb[i].len = (int32_t)(r->end[i] - start);
        start = r->end[i];
    }
    int rc = c->q ? quorum_append(c->q, kb, r->n, last) : SL_ESTATE;
    free(kb);
    return rc;
}

struct kstr ctl_kstr(const char *s)
{
    struct kstr k = {s, s ? (int32_t)strlen(s) : 0};
    return k;
}

/* ---- small helpers ---- */

const char *ctl_msgf(struct arena *a, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return arena_strdup(a, buf);
}

const char *ctl_adup(struct arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

bool ctl_broker_active(const struct mi_broker *b)
{
    return b && !b->fenced && !b->in_controlled_shutdown;
}

/* Unfenced brokers, for placement.  Returns the count; *out is malloc'ed. */
static int usable_brokers(const struct controller *c, struct placement_broker **out)
{
    size_t n = metadata_image_broker_count(c->img);
    struct placement_broker *v = xcalloc(n ? n : 1, sizeof(*v));
    int k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mi_broker *b = metadata_image_broker_at(c->img, i);
        if (ctl_broker_active(b)) {
            v[k].id = b->id;
            v[k].rack = b->rack;
            k++;
        }
    }
    *out = v;
    return k;
}

static uint32_t total_partitions(const struct controller *c)
{
    uint64_t t = 0;
    size_t n = metadata_image_topic_count(c->img);
    for (size_t i = 0; i < n; i++)
        t += (uint64_t)metadata_image_topic_at(c->img, i)->npartitions;
    return (uint32_t)t;
}

/* Kafka's Topic.validate (topic_name.h): returns true when legal, else writes the reason. */
static bool topic_name_legal(struct arena *a, const char *name, const char **why)
{
    size_t len = name ? strlen(name) : 0;
    enum proto_topic_name_check rc = proto_topic_name_check(name, len);
    if (rc == PROTO_TOPIC_NAME_OK)
        return true;
    char buf[512];
    *why = ctl_msgf(a, "%s", proto_topic_name_why(rc, name, len, buf, sizeof buf));
    return false;
}

/* Kafka's Topic.hasCollision: names equal once '.' is read as '_'. */
static bool names_collide(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '.' ? '_' : *a, y = *b == '.' ? '_' : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

static bool has_collision_chars(const char *s)
{
    return strchr(s, '.') || strchr(s, '_');
}

/* ---- effective broker properties: dynamic (image) first, then the static lookup ---- */

const char *ctl_broker_prop(void *ctx, const char *key, int8_t *source)
{
    const struct controller *c = ctx;
    char id[16];
    snprintf(id, sizeof(id), "%" PRId32, c->cfg.node_id);
    const char *v = metadata_image_config(c->img, MR_RESOURCE_BROKER, id, key);
    if (v) {
        *source = TC_SOURCE_DYNAMIC_BROKER;
        return v;
    }
    v = metadata_image_config(c->img, MR_RESOURCE_BROKER, "", key);
    if (v) {
        *source = TC_SOURCE_DYNAMIC_DEFAULT_BROKER;
        return v;
    }
    if (c->cfg.broker_config) {
        *source = TC_SOURCE_STATIC_BROKER;
        return c->cfg.broker_config(c->cfg.broker_config_ctx, key, source);
    }
    return NULL;
}

int64_t ctl_prop_int(const struct controller *c, const char *key, int64_t dflt)
{
    int8_t src;
    const char *v = ctl_broker_prop((void *)c, key, &src);
    if (!v || !*v)
        return dflt;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || *end) {
        LOG_WARN("controller", "ignoring malformed %s=%s", key, v);
        return dflt;
    }
    return x;
}

bool ctl_prop_bool(const struct controller *c, const char *key, bool dflt)
{
    int8_t src;
    const char *v = ctl_broker_prop((void *)c, key, &src);
    if (!v)
        return dflt;
    if (strcasecmp(v, "true") == 0)
        return true;
    if (strcasecmp(v, "false") == 0)
        return false;
    LOG_WARN("controller", "ignoring malformed %s=%s", key, v);
    return dflt;
}

/* The full config list of a topic being created with `configs` as overrides. */
static void resulting_configs(const struct controller *c, struct arena *a,
                              const struct ctl_create_topic *t, struct ctl_create_topic_result *r)
{
    size_t n = topic_config_count();
    struct ctl_topic_config *v = arena_alloc(a, n * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        const struct topic_config_def *d = topic_config_at(i);
        const char *override = NULL;
        for (int32_t k = 0; k < t->nconfigs; k++)
            if (strcmp(t->configs[k].name, d->name) == 0)
                override = t->configs[k].value; /* the last one wins */
        int8_t src;
        char buf[TC_VALUE_BUF];
        const char *val =
            topic_config_effective(d, override, ctl_broker_prop, (void *)c, &src, buf);
        v[i].name = d->name;
        v[i].value = ctl_adup(a, val);
        v[i].source = src;
        v[i].config_type = (int8_t)d->type;
        v[i].read_only = false;
        v[i].is_sensitive = d->sensitive;
    }
    r->configs = v;
    r->nconfigs = (int32_t)n;
}

/*
 * Validates one manual assignment (validateManualPartitionAssignment) and
 * computes its ISR (the active replicas).  *rf is the replica count so far
 * (-1 before the first partition).  Returns KERR_NONE or the error with *why.
 */
static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int16_t check_manual(const struct controller *c, struct arena *a,
                            const struct ctl_assignment *as, int32_t partition, int32_t *rf,
                            int32_t *isr, int32_t *nisr, const char **why)
{
    if (as->nbroker_ids <= 0) {
        *why = "The manual partition assignment includes an empty replica list.";
        return KERR_INVALID_REPLICA_ASSIGNMENT;
    }
    int32_t *sorted = arena_alloc(a, (size_t)as->nbroker_ids * sizeof(int32_t));
    memcpy(sorted, as->broker_ids, (size_t)as->nbroker_ids * sizeof(int32_t));
    qsort(sorted, (size_t)as->nbroker_ids, sizeof(int32_t), cmp_i32);
    for (int32_t i = 0; i < as->nbroker_ids; i++) {
        if (!metadata_image_broker(c->img, sorted[i])) {
            *why = ctl_msgf(a,
                            "The manual partition assignment includes broker %" PRId32
                            ", but no such broker is registered.",
                            sorted[i]);
            return KERR_INVALID_REPLICA_ASSIGNMENT;
        }
        if (i > 0 && sorted[i] == sorted[i - 1]) {
            *why = ctl_msgf(a,
                            "The manual partition assignment includes the broker %" PRId32
                            " more than once.",
                            sorted[i]);
            return KERR_INVALID_REPLICA_ASSIGNMENT;
        }
    }
    if (*rf >= 0 && as->nbroker_ids != *rf) {
        *why = ctl_msgf(a,
                        "The manual partition assignment includes a partition with %" PRId32
                        " replica(s), but this is not consistent with previous partitions, which "
                        "have %" PRId32 " replica(s).",
                        as->nbroker_ids, *rf);
        return KERR_INVALID_REPLICA_ASSIGNMENT;
    }
    /* Distinct registered brokers: at most the registered count, which bounds the ISR buffer. */
    *rf = as->nbroker_ids;
    *nisr = 0;
    for (int32_t i = 0; i < as->nbroker_ids; i++)
        if (ctl_broker_active(metadata_image_broker(c->img, as->broker_ids[i])))
            isr[(*nisr)++] = as->broker_ids[i];
    if (*nisr == 0) {
        *why = ctl_msgf(a,
                        "All brokers specified in the manual partition assignment for partition "
                        "%" PRId32 " are fenced or in controlled shutdown.",
                        partition);
        return KERR_INVALID_REPLICA_ASSIGNMENT;
    }
    return KERR_NONE;
}

static void add_partition_record(struct recs *r, const struct uuid *topic_id, int32_t partition,
                                 const int32_t *replicas, int32_t nreplicas, const int32_t *isr,
                                 int32_t nisr)
{
    SL_ASSERT_MSG(nisr > 0 && nisr <= nreplicas,
                  "a new partition's ISR must be a non-empty subset of its replicas");
    struct mr_partition pr;
    memset(&pr, 0, sizeof(pr));
    pr.partition_id = partition;
    pr.topic_id = *topic_id;
    pr.replicas.n = nreplicas;
    pr.replicas.v = (int32_t *)replicas;
    pr.isr.n = nisr;
    pr.isr.v = (int32_t *)isr;
    pr.leader = isr[0];
    pr.leader_recovery_state = MR_LRS_RECOVERED;
    pr.leader_epoch = 0;
    pr.partition_epoch = 0;
    ctl_recs_add(r, MR_PARTITION, &pr);
}

static const char *rf_unreachable(struct arena *a, int32_t rf, int brokers)
{
    return ctl_msgf(a,
                    "Unable to replicate the partition %" PRId32
                    " time(s): The target replication factor of %" PRId32
                    " cannot be reached because only %d broker(s) are registered.",
                    rf, rf, brokers);
}

/* ---- CreateTopics ---- */

static void process_create_topics(struct controller *c, struct op *op, struct recs *r)
{
    struct arena *a = &op->a;
    int32_t n = op->u.ct.n;
    struct ctl_create_topic *topics = op->u.ct.topics;
    struct ctl_create_topic_result *res = op->u.ct.res;
    struct placement_broker *brokers;
    int nbrokers = usable_brokers(c, &brokers);
    uint32_t start = total_partitions(c);
    int32_t nrecords = 0;
    /* Names accepted earlier in this request (for '.'/'_' collisions). */
    const char **accepted = arena_alloc(a, (size_t)(n ? n : 1) * sizeof(char *));
    int32_t naccepted = 0;

    for (int32_t i = 0; i < n; i++) {
        struct ctl_create_topic *t = &topics[i];
        struct ctl_create_topic_result *rs = &res[i];
        rs->name = t->name;
        rs->error_code = KERR_NONE;
        rs->num_partitions = -1;
        rs->replication_factor = -1;
        const char *why = NULL;
        bool dup = false;
        for (int32_t j = 0; j < n && t->name; j++)
            if (j != i && topics[j].name && strcmp(topics[j].name, t->name) == 0)
                dup = true;
        if (!topic_name_legal(a, t->name, &why)) {
            rs->error_code = KERR_INVALID_TOPIC_EXCEPTION;
            rs->error_message = why;
            continue;
        }
        if (dup) {
            rs->error_code = KERR_INVALID_REQUEST;
            rs->error_message = "Duplicate topic name.";
            continue;
        }
        if (strcmp(t->name, CLUSTER_METADATA_TOPIC) == 0) {
            rs->error_code = KERR_INVALID_REQUEST;
            rs->error_message =
                "Creation of internal topic " CLUSTER_METADATA_TOPIC " is prohibited.";
            continue;
        }
        if (metadata_image_topic_by_name(c->img, t->name)) {
            rs->error_code = KERR_TOPIC_ALREADY_EXISTS;
            rs->error_message = ctl_msgf(a, "Topic '%s' already exists.", t->name);
            continue;
        }
        if (has_collision_chars(t->name)) {
            const char *other = NULL;
            size_t nt = metadata_image_topic_count(c->img);
            for (size_t k = 0; k < nt && !other; k++) {
                const char *en = metadata_image_topic_at(c->img, k)->name;
                if (names_collide(en, t->name))
                    other = en;
            }
            for (int32_t k = 0; k < naccepted && !other; k++)
                if (names_collide(accepted[k], t->name))
                    other = accepted[k];
            if (other) {
                rs->error_code = KERR_INVALID_TOPIC_EXCEPTION;
                rs->error_message =
                    ctl_msgf(a, "Topic '%s' collides with existing topic: %s", t->name, other);
                continue;
            }
        }
        /* Configs (checked before partitions, as Kafka's createTopics does). */
        for (int32_t k = 0; k < t->nconfigs && rs->error_code == KERR_NONE; k++) {
            char buf[400];
            if (topic_config_validate(t->configs[k].name, t->configs[k].value, buf, sizeof(buf))) {
                rs->error_code = KERR_INVALID_CONFIG;
                rs->error_message = arena_strdup(a, buf);
            }
        }
        if (rs->error_code != KERR_NONE)
            continue;

        int32_t nparts;
        int32_t rf;
        size_t stride;     /* row stride of the arrays below */
        int32_t *replicas; /* nparts rows of rf replicas */
        int32_t *isr_all;  /* nparts rows, isr_n[i] valid entries each */
        int32_t *isr_n;
        if (t->nassignments > 0) {
            if (t->num_partitions != -1 || t->replication_factor != -1) {
                rs->error_code = KERR_INVALID_REQUEST;
                rs->error_message = "Both numPartitions or replicationFactor and "
                                    "replicasAssignments were set. Both cannot be used at the "
                                    "same time.";
                continue;
            }
            nparts = t->nassignments;
            if (nparts > MAX_RECORDS_PER_OP) {
                rs->error_code = KERR_INVALID_PARTITIONS;
                rs->error_message = "Excessively large number of partitions per request.";
                continue;
            }
            rf = -1;
            /* A valid row names distinct registered brokers: at most this many. */
            stride = metadata_image_broker_count(c->img);
            if (stride == 0)
                stride = 1;
            replicas = arena_alloc(a, (size_t)nparts * stride * sizeof(int32_t));
            isr_all = arena_alloc(a, (size_t)nparts * stride * sizeof(int32_t));
            isr_n = arena_alloc(a, (size_t)nparts * sizeof(int32_t));
            bool *seen = arena_alloc(a, (size_t)nparts * sizeof(bool));
            for (int32_t k = 0; k < nparts && rs->error_code == KERR_NONE; k++) {
                const struct ctl_assignment *as = &t->assignments[k];
                int32_t p = as->partition_index;
                if (p >= 0 && p < nparts && seen[p]) {
                    rs->error_code = KERR_INVALID_REPLICA_ASSIGNMENT;
                    rs->error_message = ctl_msgf(
                        a, "Found multiple manual partition assignments for partition %" PRId32, p);
                    break;
                }
                if (p < 0 || p >= nparts) {
                    rs->error_code = KERR_INVALID_REPLICA_ASSIGNMENT;
                    rs->error_message = "partitions should be a consecutive 0-based integer "
                                        "sequence";
                    break;
                }
                seen[p] = true;
                rs->error_code = check_manual(c, a, as, p, &rf, isr_all + (size_t)p * stride,
                                              &isr_n[p], &rs->error_message);
                if (rs->error_code == KERR_NONE)
                    memcpy(replicas + (size_t)p * stride, as->broker_ids,
                           (size_t)as->nbroker_ids * sizeof(int32_t));
            }
            if (rs->error_code != KERR_NONE)
                continue;
        } else {
            nparts = t->num_partitions == -1 ? c->cfg.num_partitions : t->num_partitions;
            rf = t->replication_factor == -1 ? c->cfg.default_replication_factor
                                             : t->replication_factor;
            if (nparts <= 0) {
                rs->error_code = KERR_INVALID_PARTITIONS;
                rs->error_message = "Number of partitions was set to an invalid non-positive "
                                    "value.";
                continue;
            }
            if (rf <= 0) {
                rs->error_code = KERR_INVALID_REPLICATION_FACTOR;
                rs->error_message = "Replication factor must be larger than 0, or -1 to use the "
                                    "default value.";
                continue;
            }
            if (nparts > MAX_RECORDS_PER_OP) {
                rs->error_code = KERR_INVALID_PARTITIONS;
                rs->error_message = "Excessively large number of partitions per request.";
                continue;
            }
            if (rf > nbrokers) {
                rs->error_code = KERR_INVALID_REPLICATION_FACTOR;
                rs->error_message = rf_unreachable(a, rf, nbrokers);
                continue;
            }
            stride = (size_t)rf;
            replicas = arena_alloc(a, (size_t)nparts * stride * sizeof(int32_t));
            if (placement_assign(brokers, nbrokers, 0, nparts, rf, start, replicas) != 0) {
                rs->error_code = KERR_INVALID_REPLICATION_FACTOR;
                rs->error_message = rf_unreachable(a, rf, nbrokers);
                continue;
            }
            isr_all = replicas;
            isr_n = arena_alloc(a, (size_t)nparts * sizeof(int32_t));
            for (int32_t k = 0; k < nparts; k++)
                isr_n[k] = rf;
        }
        int32_t need = 1 + nparts + t->nconfigs;
        if (nrecords + need > MAX_RECORDS_PER_OP) {
            rs->error_code = KERR_POLICY_VIOLATION;
            rs->error_message = "Unable to perform excessively large batch operation.";
            continue;
        }
        rs->num_partitions = nparts;
        rs->replication_factor = (int16_t)rf;
        resulting_configs(c, a, t, rs);
        accepted[naccepted++] = t->name;
        if (t->nassignments == 0)
            start += (uint32_t)nparts;
        if (op->u.ct.validate_only)
            continue;

        /* TopicRecord, PartitionRecords, ConfigRecords: one atomic batch for the request. */
        struct uuid id;
        do
            id = uuid_random();
        while (metadata_image_topic_by_id(c->img, &id));
        rs->topic_id = id;
        struct mr_topic tr = {.name = ctl_kstr(t->name), .topic_id = id};
        ctl_recs_add(r, MR_TOPIC, &tr);
        for (int32_t p = 0; p < nparts; p++)
            add_partition_record(r, &id, p, replicas + (size_t)p * stride, rf,
                                 isr_all + (size_t)p * stride, isr_n[p]);
        for (int32_t k = 0; k < t->nconfigs; k++) {
            struct mr_config cr = {.resource_type = MR_RESOURCE_TOPIC,
                                   .resource_name = ctl_kstr(t->name),
                                   .name = ctl_kstr(t->configs[k].name),
                                   .value = ctl_kstr(t->configs[k].value)};
            ctl_recs_add(r, MR_CONFIG, &cr);
        }
        nrecords += need;
    }
    free(brokers);
}

/* ---- DeleteTopics ---- */

static void process_delete_topics(struct controller *c, struct op *op, struct recs *r)
{
    struct arena *a = &op->a;
    int32_t n = op->u.dt.n;
    struct ctl_delete_topic *topics = op->u.dt.topics;
    struct ctl_delete_topic_result *res = op->u.dt.res;
    const struct mi_topic **found = arena_alloc(a, (size_t)(n ? n : 1) * sizeof(*found));
    for (int32_t i = 0; i < n; i++) {
        struct ctl_delete_topic *t = &topics[i];
        struct ctl_delete_topic_result *rs = &res[i];
        rs->name = t->name;
        rs->topic_id = t->topic_id;
        rs->error_code = KERR_NONE;
        bool by_id = !uuid_is_zero(&t->topic_id);
        if (t->name && by_id) {
            rs->error_code = KERR_INVALID_REQUEST;
            rs->error_message = "You may not specify both topic name and topic id.";
            continue;
        }
        if (!t->name && !by_id) {
            rs->error_code = KERR_INVALID_REQUEST;
            rs->error_message = "Neither topic name nor id were specified.";
            continue;
        }
        bool dup = false;
        for (int32_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            if (t->name && topics[j].name && strcmp(t->name, topics[j].name) == 0)
                dup = true;
            if (by_id && uuid_equal(&t->topic_id, &topics[j].topic_id))
                dup = true;
        }
        if (dup) {
            rs->error_code = KERR_INVALID_REQUEST;
            rs->error_message = by_id ? "Duplicate topic id." : "Duplicate topic name.";
            continue;
        }
        const struct mi_topic *tp = by_id ? metadata_image_topic_by_id(c->img, &t->topic_id)
                                          : metadata_image_topic_by_name(c->img, t->name);
        if (!tp) {
            rs->error_code = by_id ? KERR_UNKNOWN_TOPIC_ID : KERR_UNKNOWN_TOPIC_OR_PARTITION;
            rs->error_message = by_id ? "This server does not host this topic ID."
                                      : "This server does not host this topic-partition.";
            continue;
        }
        /* The same topic named once by name and once by id. */
        for (int32_t j = 0; j < i; j++)
            if (found[j] == tp) {
                rs->error_code = KERR_INVALID_REQUEST;
                rs->error_message = "Duplicate topic id.";
            }
        if (rs->error_code != KERR_NONE)
            continue;
        found[i] = tp;
        rs->name = arena_strdup(a, tp->name);
        rs->topic_id = tp->id;
        struct mr_remove_topic rt = {.topic_id = tp->id};
        ctl_recs_add(r, MR_REMOVE_TOPIC, &rt);
    }
}

/* ---- CreatePartitions ---- */

static void process_create_partitions(struct controller *c, struct op *op, struct recs *r)
{
    struct arena *a = &op->a;
    int32_t n = op->u.cp.n;
    struct ctl_create_partitions_topic *topics = op->u.cp.topics;
    struct ctl_create_partitions_result *res = op->u.cp.res;
    struct placement_broker *brokers;
    int nbrokers = usable_brokers(c, &brokers);
    uint32_t start = total_partitions(c);
    int32_t nrecords = 0;
    for (int32_t i = 0; i < n; i++) {
        struct ctl_create_partitions_topic *t = &topics[i];
        struct ctl_create_partitions_result *rs = &res[i];
        rs->name = t->name;
        rs->error_code = KERR_NONE;
        bool dup = false;
        for (int32_t j = 0; j < n && t->name; j++)
            if (j != i && topics[j].name && strcmp(topics[j].name, t->name) == 0)
                dup = true;
        if (dup) {
            rs->error_code = KERR_INVALID_REQUEST;
            rs->error_message = "Duplicate topic name.";
            continue;
        }
        const struct mi_topic *tp = metadata_image_topic_by_name(c->img, t->name);
        if (!tp) {
            rs->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            rs->error_message = "This server does not host this topic-partition.";
            continue;
        }
        int32_t cur = tp->npartitions;
        if (t->count < cur) {
            rs->error_code = KERR_INVALID_PARTITIONS;
            rs->error_message = ctl_msgf(a,
                                         "The topic %s currently has %" PRId32
                                         " partition(s); %" PRId32 " would not be an increase.",
                                         tp->name, cur, t->count);
            continue;
        }
        if (t->count == cur) {
            rs->error_code = KERR_INVALID_PARTITIONS;
            rs->error_message = ctl_msgf(a, "Topic already has %" PRId32 " partition(s).", cur);
            continue;
        }
        int32_t add = t->count - cur;
        if (add > MAX_RECORDS_PER_OP || nrecords + add > MAX_RECORDS_PER_OP) {
            rs->error_code = KERR_POLICY_VIOLATION;
            rs->error_message = "Unable to perform excessively large batch operation.";
            continue;
        }
        int32_t rf = cur > 0 ? tp->partitions[0].nreplicas : 0;
        if (rf <= 0) {
            rs->error_code = KERR_INVALID_REPLICATION_FACTOR;
            rs->error_message = "The topic has no replicas to copy the replication factor from.";
            continue;
        }
        int32_t *replicas = arena_alloc(a, (size_t)add * (size_t)rf * sizeof(int32_t));
        int32_t *isr = arena_alloc(a, (size_t)add * (size_t)rf * sizeof(int32_t));
        int32_t *isr_n = arena_alloc(a, (size_t)add * sizeof(int32_t));
        if (t->assignments) {
            if (t->nassignments != add) {
                rs->error_code = KERR_INVALID_REPLICA_ASSIGNMENT;
                rs->error_message = ctl_msgf(a,
                                             "Attempted to add %" PRId32
                                             " additional partition(s), but only %" PRId32
                                             " assignment(s) were specified.",
                                             add, t->nassignments);
                continue;
            }
            int32_t want = rf;
            for (int32_t k = 0; k < add && rs->error_code == KERR_NONE; k++) {
                rs->error_code = check_manual(c, a, &t->assignments[k], cur + k, &want,
                                              isr + (size_t)k * rf, &isr_n[k], &rs->error_message);
                if (rs->error_code == KERR_NONE)
                    memcpy(replicas + (size_t)k * rf, t->assignments[k].broker_ids,
                           (size_t)rf * sizeof(int32_t));
            }
            if (rs->error_code != KERR_NONE)
                continue;
        } else {
            if (rf > nbrokers ||
                placement_assign(brokers, nbrokers, cur, add, rf, start, replicas) != 0) {
                rs->error_code = KERR_INVALID_REPLICATION_FACTOR;
                rs->error_message = rf_unreachable(a, rf, nbrokers);
                continue;
            }
            memcpy(isr, replicas, (size_t)add * (size_t)rf * sizeof(int32_t));
            for (int32_t k = 0; k < add; k++)
                isr_n[k] = rf;
            start += (uint32_t)add;
        }
        if (op->u.cp.validate_only)
            continue;
        for (int32_t k = 0; k < add; k++)
            add_partition_record(r, &tp->id, cur + k, replicas + (size_t)k * rf, rf,
                                 isr + (size_t)k * rf, isr_n[k]);
        nrecords += add;
    }
    free(brokers);
}

/* ---- producer ids ---- */

static void process_producer_ids(struct controller *c, struct op *op, struct recs *r)
{
    const struct mi_broker *b = metadata_image_broker(c->img, op->u.pid.broker_id);
    if (!b || b->epoch != op->u.pid.broker_epoch) {
        op->u.pid.error = KERR_STALE_BROKER_EPOCH;
        return;
    }
    int64_t first = metadata_image_next_producer_id(c->img);
    if (first > INT64_MAX - CONTROLLER_PID_BLOCK_SIZE) {
        LOG_ERROR("controller", "producer ids exhausted");
        op->u.pid.error = KERR_UNKNOWN_SERVER_ERROR;
        return;
    }
    op->u.pid.first = first;
    struct mr_producer_ids pr = {.broker_id = op->u.pid.broker_id,
                                 .broker_epoch = op->u.pid.broker_epoch,
                                 .next_producer_id = first + CONTROLLER_PID_BLOCK_SIZE};
    ctl_recs_add(r, MR_PRODUCER_IDS, &pr);
}

/* ---- bootstrap ---- */

static void process_bootstrap(struct controller *c, struct recs *r)
{
    if (metadata_image_feature_level(c->img, "metadata.version") > 0)
        return;
    int16_t level =
        c->cfg.metadata_version > 0 ? c->cfg.metadata_version : CONTROLLER_DEFAULT_METADATA_VERSION;
    struct mr_feature_level fl = {.name = ctl_kstr("metadata.version"), .feature_level = level};
    ctl_recs_add(r, MR_FEATURE_LEVEL, &fl);
    LOG_INFO("controller", "bootstrapping an empty metadata log with metadata.version %d", level);
}

/* ---- operation queue ---- */

/* Sets an error on every result of op that has none yet (used when the append itself fails). */
static void fail_results(struct op *op, int16_t err, const char *msg)
{
    switch (op->type) {
    case OP_CREATE_TOPICS:
        for (int32_t i = 0; i < op->u.ct.n; i++)
            if (op->u.ct.res[i].error_code == KERR_NONE) {
                op->u.ct.res[i].error_code = err;
                op->u.ct.res[i].error_message = msg;
                op->u.ct.res[i].topic_id = (struct uuid){{0}};
                op->u.ct.res[i].num_partitions = -1;
                op->u.ct.res[i].replication_factor = -1;
                op->u.ct.res[i].configs = NULL;
                op->u.ct.res[i].nconfigs = 0;
            }
        break;
    case OP_DELETE_TOPICS:
        for (int32_t i = 0; i < op->u.dt.n; i++)
            if (op->u.dt.res[i].error_code == KERR_NONE) {
                op->u.dt.res[i].error_code = err;
                op->u.dt.res[i].error_message = msg;
            }
        break;
    case OP_CREATE_PARTITIONS:
        for (int32_t i = 0; i < op->u.cp.n; i++)
            if (op->u.cp.res[i].error_code == KERR_NONE) {
                op->u.cp.res[i].error_code = err;
                op->u.cp.res[i].error_message = msg;
            }
        break;
    case OP_PRODUCER_IDS:
        if (op->u.pid.error == KERR_NONE)
            op->u.pid.error = err;
        break;
    case OP_REGISTER_BROKER:
        if (op->u.rb.error == KERR_NONE) {
            op->u.rb.error = err;
            op->u.rb.message = msg;
        }
        break;
    case OP_HEARTBEAT:
        if (op->u.hb.res.error_code == KERR_NONE) {
            op->u.hb.res = (struct ctl_heartbeat_result){.error_code = err, .is_fenced = true};
        }
        break;
    case OP_ALTER_PARTITION:
        if (op->u.ap.error == KERR_NONE)
            op->u.ap.error = err;
        break;
    case OP_ALTER_CONFIGS:
        for (int32_t i = 0; i < op->u.ac.n; i++)
            if (op->u.ac.res[i].error_code == KERR_NONE) {
                op->u.ac.res[i].error_code = err;
                op->u.ac.res[i].error_message = msg;
            }
        break;
    case OP_ELECT_LEADERS:
        if (op->u.el.error == KERR_NONE)
            op->u.el.error = err;
        break;
    case OP_BOOTSTRAP:
    case OP_FENCE_STALE:
    case OP_REBALANCE:
        break;
    }
}

/* Calls op's callback and frees it.  op must already be unlinked. */
static void finish(struct op *op)
{
    switch (op->type) {
    case OP_CREATE_TOPICS:
        op->cb.create_topics(op->ctx, op->u.ct.res, op->u.ct.n);
        break;
    case OP_DELETE_TOPICS:
        op->cb.delete_topics(op->ctx, op->u.dt.res, op->u.dt.n);
        break;
    case OP_CREATE_PARTITIONS:
        op->cb.create_partitions(op->ctx, op->u.cp.res, op->u.cp.n);
        break;
    case OP_PRODUCER_IDS:
        if (op->u.pid.error)
            op->cb.producer_ids(op->ctx, op->u.pid.error, -1, 0);
        else
            op->cb.producer_ids(op->ctx, KERR_NONE, op->u.pid.first, CONTROLLER_PID_BLOCK_SIZE);
        break;
    case OP_REGISTER_BROKER:
        op->cb.register_broker(op->ctx, op->u.rb.error, op->u.rb.message,
                               op->u.rb.error ? -1 : op->u.rb.epoch);
        break;
    case OP_HEARTBEAT:
        op->cb.heartbeat(op->ctx, &op->u.hb.res);
        break;
    case OP_ALTER_PARTITION: {
        int32_t n = op->u.ap.error ? 0 : op->u.ap.n;
        struct ctl_alter_partition_result *res =
            arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*res));
        for (int32_t i = 0; i < n; i++)
            res[i] = op->u.ap.items[i].out;
        op->cb.alter_partition(op->ctx, op->u.ap.error, res, n);
        break;
    }
    case OP_ALTER_CONFIGS:
        op->cb.alter_configs(op->ctx, op->u.ac.res, op->u.ac.n);
        break;
    case OP_ELECT_LEADERS:
        op->cb.elect_leaders(op->ctx, op->u.el.error, op->u.el.res,
                             op->u.el.error ? 0 : op->u.el.n);
        break;
    case OP_FENCE_STALE:
    case OP_REBALANCE:
    case OP_BOOTSTRAP:
        break;
    }
    arena_free(&op->a);
    free(op);
}

static struct op *pop_head(struct controller *c)
{
    struct op *op = c->head;
    c->head = op->next;
    if (!c->head)
        c->tail = NULL;
    op->next = NULL;
    return op;
}

static void fail_all(struct controller *c, int16_t err, const char *msg)
{
    c->fence_queued = false;
    c->rebalance_queued = false;
    while (c->head) {
        struct op *op = pop_head(c);
        fail_results(op, err, msg);
        finish(op);
    }
}

static const char *not_controller_msg = "This is not the correct controller for this cluster.";

/* Processes queued operations until one is in flight or the queue is empty. */
static void run(struct controller *c)
{
    if (c->running)
        return;
    c->running = true;
    while (c->head && !c->head->in_flight) {
        if (!c->active || !c->q || !quorum_is_leader(c->q)) {
            fail_all(c, KERR_NOT_CONTROLLER, not_controller_msg);
            break;
        }
        struct op *op = c->head;
        struct recs r;
        ctl_recs_init(&r);
        switch (op->type) {
        case OP_BOOTSTRAP:
            process_bootstrap(c, &r);
            break;
        case OP_CREATE_TOPICS:
            process_create_topics(c, op, &r);
            break;
        case OP_DELETE_TOPICS:
            process_delete_topics(c, op, &r);
            break;
        case OP_CREATE_PARTITIONS:
            process_create_partitions(c, op, &r);
            break;
        case OP_PRODUCER_IDS:
            process_producer_ids(c, op, &r);
            break;
        case OP_REGISTER_BROKER:
            ctl_process_register_broker(c, op, &r);
            break;
        case OP_HEARTBEAT:
            ctl_process_heartbeat(c, op, &r);
            break;
        case OP_FENCE_STALE:
            ctl_process_fence_stale(c, &r);
            break;
        case OP_ALTER_PARTITION:
            ctl_process_alter_partition(c, op, &r);
            break;
        case OP_REBALANCE:
            ctl_process_rebalance(c, &r);
            break;
        case OP_ALTER_CONFIGS:
            ctl_process_alter_configs(c, op, &r);
            break;
        case OP_ELECT_LEADERS:
            ctl_process_elect_leaders(c, op, &r);
            break;
        }
        if (r.n == 0 && !r.err) {
            ctl_recs_free(&r);
            finish(pop_head(c));
            continue;
        }
        int64_t last = -1;
        int rc = recs_append(c, &r, &last);
        ctl_recs_free(&r);
        if (rc != 0) {
            LOG_ERROR("controller", "metadata append failed: %s", sl_strerror(rc));
            if (rc == SL_ESTATE)
                fail_results(op, KERR_NOT_CONTROLLER, not_controller_msg);
            else
                fail_results(op, KERR_UNKNOWN_SERVER_ERROR, "The metadata append failed.");
            finish(pop_head(c));
            continue;
        }
        if (op->type == OP_REGISTER_BROKER && op->phase == 0 && last != op->u.rb.epoch) {
            /* Offsets are assigned at append, so this means a quorum bug: keep the truth. */
            LOG_ERROR("controller", "RegisterBrokerRecord landed at %" PRId64 ", expected %" PRId64,
                      last, op->u.rb.epoch);
        }
        op->in_flight = true;
        op->last_offset = last;
    }
    c->running = false;
}

void ctl_enqueue(struct controller *c, struct op *op)
{
    if (c->tail)
        c->tail->next = op;
    else
        c->head = op;
    c->tail = op;
    run(c);
}

/* ---- lifecycle and quorum glue ---- */

struct controller *controller_new(const struct controller_config *cfg, struct metadata_image *img)
{
    struct controller *c = xcalloc(1, sizeof(*c));
    c->cfg = *cfg;
    if (c->cfg.num_partitions <= 0)
        c->cfg.num_partitions = 1;
    if (c->cfg.default_replication_factor <= 0)
        c->cfg.default_replication_factor = 1;
    c->img = img;
    c->epoch = -1;
    c->now_ms = -1;
    c->next_rebalance_ms = -1;
    return c;
}

void controller_free(struct controller *c)
{
    if (!c)
        return;
    c->active = false;
    c->running = true; /* no new work from callbacks */
    fail_all(c, KERR_NOT_CONTROLLER, not_controller_msg);
    free(c->sess);
    free(c);
}

void controller_set_quorum(struct controller *c, struct quorum *q)
{
    c->q = q;
}

static void on_commit(void *ctx, int64_t base_offset, const uint8_t *batch, size_t len)
{
    controller_handle_commit(ctx, base_offset, batch, len);
}

static void on_leader_change(void *ctx, int32_t leader_id, int32_t epoch)
{
    controller_handle_leader_change(ctx, leader_id, epoch);
}

static int on_write_snapshot(void *ctx, int64_t end_offset, int32_t epoch, struct wbuf *out)
{
    return controller_write_snapshot(ctx, end_offset, epoch, out);
}

static int on_load_snapshot(void *ctx, int64_t end_offset, const uint8_t *data, size_t len)
{
    return controller_load_snapshot(ctx, end_offset, data, len);
}

void controller_quorum_listener(struct controller *c, struct quorum_listener *out)
{
    out->ctx = c;
    out->on_commit = on_commit;
    out->on_leader_change = on_leader_change;
    out->write_snapshot = on_write_snapshot;
    out->load_snapshot = on_load_snapshot;
}

int controller_write_snapshot(struct controller *c, int64_t end_offset, int32_t epoch,
                              struct wbuf *out)
{
    return metadata_image_write_snapshot(c->img, end_offset, epoch, out);
}

int controller_load_snapshot(struct controller *c, int64_t end_offset, const uint8_t *data,
                             size_t len)
{
    int rc = metadata_image_load_snapshot(c->img, data, len);
    if (rc == 0)
        metadata_image_set_offset(c->img, end_offset - 1);
    return rc;
}

bool controller_is_active(const struct controller *c)
{
    return c->active && c->q && quorum_is_leader(c->q);
}

void controller_handle_commit(struct controller *c, int64_t base_offset, const uint8_t *batch,
                              size_t len)
{
    metadata_image_replay_batch(c->img, batch, len);
    int64_t committed = metadata_image_offset(c->img);
    bool was_running = c->running;
    c->running = true;
    while (c->head && c->head->in_flight && c->head->last_offset <= committed) {
        struct op *op = c->head;
        op->in_flight = false;
        if (op->type == OP_REGISTER_BROKER && op->phase == 0) {
            ctl_register_committed(c, op);
            if (op->u.rb.flags & CTL_REGISTER_CAUGHT_UP) {
                op->phase = 1; /* stays at the head: the unfence step runs next */
                break;
            }
        }
        if (op->type == OP_HEARTBEAT)
            ctl_heartbeat_committed(c, op);
        if (op->type == OP_ALTER_PARTITION)
            ctl_alter_partition_committed(c, op);
        if (op->type == OP_ELECT_LEADERS)
            ctl_elect_leaders_committed(c, op);
        finish(pop_head(c));
    }
    c->running = was_running;
    run(c);
    (void)base_offset;
}

void controller_handle_leader_change(struct controller *c, int32_t leader_id, int32_t epoch)
{
    bool now_active = leader_id == c->cfg.node_id && leader_id >= 0;
    c->epoch = epoch;
    if (!now_active) {
        if (c->active)
            LOG_INFO("controller",
                     "node %" PRId32 " is no longer the active controller (epoch %" PRId32
                     ", leader %" PRId32 ")",
                     c->cfg.node_id, epoch, leader_id);
        c->active = false;
        ctl_sessions_reset(c);
        bool was_running = c->running;
        c->running = true;
        fail_all(c, KERR_NOT_CONTROLLER, not_controller_msg);
        c->running = was_running;
        return;
    }
    if (c->active)
        return;
    c->active = true;
    ctl_sessions_reset(c);
    LOG_INFO("controller", "node %" PRId32 " is the active controller (epoch %" PRId32 ")",
             c->cfg.node_id, epoch);
    if (metadata_image_feature_level(c->img, "metadata.version") == 0) {
        struct op *op = xcalloc(1, sizeof(*op));
        op->type = OP_BOOTSTRAP;
        /* Ahead of anything queued so far. */
        op->next = c->head;
        c->head = op;
        if (!c->tail)
            c->tail = op;
    }
    run(c);
}

/* ---- request entry points ---- */

struct op *ctl_op_new(enum op_type type, void *ctx)
{
    struct op *op = xcalloc(1, sizeof(*op));
    op->type = type;
    op->ctx = ctx;
    return op;
}

static struct ctl_config_entry *copy_configs(struct arena *a, const struct ctl_config_entry *v,
                                             int32_t n)
{
    if (n <= 0 || !v)
        return NULL;
    struct ctl_config_entry *d = arena_alloc(a, (size_t)n * sizeof(*d));
    for (int32_t i = 0; i < n; i++) {
        d[i].name = ctl_adup(a, v[i].name ? v[i].name : "");
        d[i].value = ctl_adup(a, v[i].value);
    }
    return d;
}

static struct ctl_assignment *copy_assignments(struct arena *a, const struct ctl_assignment *v,
                                               int32_t n)
{
    if (n <= 0 || !v)
        return NULL;
    struct ctl_assignment *d = arena_alloc(a, (size_t)n * sizeof(*d));
    for (int32_t i = 0; i < n; i++) {
        d[i].partition_index = v[i].partition_index;
        d[i].nbroker_ids = v[i].nbroker_ids > 0 && v[i].broker_ids ? v[i].nbroker_ids : 0;
        int32_t *ids = arena_alloc(a, (size_t)(d[i].nbroker_ids + 1) * sizeof(int32_t));
        if (d[i].nbroker_ids)
            memcpy(ids, v[i].broker_ids, (size_t)d[i].nbroker_ids * sizeof(int32_t));
        d[i].broker_ids = ids;
    }
    return d;
}

void controller_create_topics(struct controller *c, const struct ctl_create_topics_req *req,
                              ctl_create_topics_cb cb, void *ctx)
{
    struct op *op = ctl_op_new(OP_CREATE_TOPICS, ctx);
    op->cb.create_topics = cb;
    int32_t n = req->ntopics > 0 && req->topics ? req->ntopics : 0;
    op->u.ct.n = n;
    op->u.ct.validate_only = req->validate_only;
    op->u.ct.topics = arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*op->u.ct.topics));
    op->u.ct.res = arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*op->u.ct.res));
    for (int32_t i = 0; i < n; i++) {
        const struct ctl_create_topic *s = &req->topics[i];
        struct ctl_create_topic *d = &op->u.ct.topics[i];
        d->name = ctl_adup(&op->a, s->name);
        d->num_partitions = s->num_partitions;
        d->replication_factor = s->replication_factor;
        d->assignments = copy_assignments(&op->a, s->assignments, s->nassignments);
        d->nassignments = d->assignments ? s->nassignments : 0;
        d->configs = copy_configs(&op->a, s->configs, s->nconfigs);
        d->nconfigs = d->configs ? s->nconfigs : 0;
        op->u.ct.res[i].name = d->name;
        op->u.ct.res[i].num_partitions = -1;
        op->u.ct.res[i].replication_factor = -1;
    }
    ctl_enqueue(c, op);
}

void controller_delete_topics(struct controller *c, const struct ctl_delete_topic *topics,
                              int32_t ntopics, ctl_delete_topics_cb cb, void *ctx)
{
    struct op *op = ctl_op_new(OP_DELETE_TOPICS, ctx);
    op->cb.delete_topics = cb;
    int32_t n = ntopics > 0 && topics ? ntopics : 0;
    op->u.dt.n = n;
    op->u.dt.topics = arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*op->u.dt.topics));
    op->u.dt.res = arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*op->u.dt.res));
    for (int32_t i = 0; i < n; i++) {
        op->u.dt.topics[i].name = ctl_adup(&op->a, topics[i].name);
        op->u.dt.topics[i].topic_id = topics[i].topic_id;
        op->u.dt.res[i].name = op->u.dt.topics[i].name;
        op->u.dt.res[i].topic_id = topics[i].topic_id;
    }
    ctl_enqueue(c, op);
}

void controller_create_partitions(struct controller *c, const struct ctl_create_partitions_req *req,
                                  ctl_create_partitions_cb cb, void *ctx)
{
    struct op *op = ctl_op_new(OP_CREATE_PARTITIONS, ctx);
    op->cb.create_partitions = cb;
    int32_t n = req->ntopics > 0 && req->topics ? req->ntopics : 0;
    op->u.cp.n = n;
    op->u.cp.validate_only = req->validate_only;
    op->u.cp.topics = arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*op->u.cp.topics));
    op->u.cp.res = arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*op->u.cp.res));
    for (int32_t i = 0; i < n; i++) {
        const struct ctl_create_partitions_topic *s = &req->topics[i];
        struct ctl_create_partitions_topic *d = &op->u.cp.topics[i];
        d->name = ctl_adup(&op->a, s->name);
        d->count = s->count;
        d->assignments =
            s->assignments ? copy_assignments(&op->a, s->assignments, s->nassignments) : NULL;
        d->nassignments = s->assignments ? (s->nassignments > 0 ? s->nassignments : 0) : 0;
        if (s->assignments && !d->assignments) /* an empty list is still "manual" */
            d->assignments = arena_alloc(&op->a, sizeof(*d->assignments));
        op->u.cp.res[i].name = d->name;
    }
    ctl_enqueue(c, op);
}

void controller_allocate_producer_ids(struct controller *c, int32_t broker_id, int64_t broker_epoch,
                                      ctl_producer_ids_cb cb, void *ctx)
{
    struct op *op = ctl_op_new(OP_PRODUCER_IDS, ctx);
    op->cb.producer_ids = cb;
    op->u.pid.broker_id = broker_id;
    op->u.pid.broker_epoch = broker_epoch;
    ctl_enqueue(c, op);
}

void controller_alter_topic_configs(struct controller *c, const struct ctl_alter_configs_req *req,
                                    ctl_alter_configs_cb cb, void *ctx)
{
    struct op *op = ctl_op_new(OP_ALTER_CONFIGS, ctx);
    op->cb.alter_configs = cb;
    int32_t n = req->nresources > 0 && req->resources ? req->nresources : 0;
    op->u.ac.n = n;
    op->u.ac.incremental = req->incremental;
    op->u.ac.validate_only = req->validate_only;
    op->u.ac.resources = arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*op->u.ac.resources));
    op->u.ac.res = arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*op->u.ac.res));
    for (int32_t i = 0; i < n; i++) {
        const struct ctl_alter_configs_resource *s = &req->resources[i];
        struct ctl_alter_configs_resource *d = &op->u.ac.resources[i];
        d->resource_type = s->resource_type;
        d->resource_name = ctl_adup(&op->a, s->resource_name ? s->resource_name : "");
        int32_t nc = s->nconfigs > 0 && s->configs ? s->nconfigs : 0;
        struct ctl_alter_config *cf = arena_alloc(&op->a, (size_t)(nc + 1) * sizeof(*cf));
        for (int32_t k = 0; k < nc; k++) {
            cf[k].name = ctl_adup(&op->a, s->configs[k].name ? s->configs[k].name : "");
            cf[k].op = s->configs[k].op;
            cf[k].value = ctl_adup(&op->a, s->configs[k].value);
        }
        d->configs = cf;
        d->nconfigs = nc;
        op->u.ac.res[i].resource_type = d->resource_type;
        op->u.ac.res[i].resource_name = d->resource_name;
    }
    ctl_enqueue(c, op);
}
