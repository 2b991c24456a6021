/*
 * Replay of committed metadata records into the in-memory image, with delta
 * callbacks (metadata_image.h).  Apply rules follow Kafka's image classes
 * (TopicsDelta, ClusterDelta, ConfigurationsDelta, ProducerIdsDelta,
 * FeaturesDelta) and PartitionRegistration.merge for PartitionChangeRecords.
 */
#include "metadata_image.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "clock.h"
#include "err.h"
#include "invariant.h"
#include "log.h"
#include "metadata_records.h"
#include "record_batch.h"
#include "strmap.h"
#include "xalloc.h"

/* Metadata batches are at most 8 MiB in Kafka (KafkaRaftClient); allow headroom. */
#define MI_MAX_BATCH_BYTES (16 * 1024 * 1024)

struct config_set {
    struct strmap kv; /* key -> char* (owned) */
};

struct feature {
    char *name;
    int16_t level;
};

struct metadata_image {
    int64_t offset;
    struct mi_topic **topics; /* sorted by name */
    size_t ntopics, cap_topics;
    struct strmap by_name;      /* name -> struct mi_topic* */
    struct strmap by_id;        /* uuid text -> struct mi_topic* */
    struct mi_broker **brokers; /* sorted by id */
    size_t nbrokers, cap_brokers;
    struct strmap topic_configs;  /* topic name -> struct config_set* */
    struct strmap broker_configs; /* broker id text or "" -> struct config_set* */
    struct feature *features;     /* sorted by name */
    size_t nfeatures;
    int64_t next_producer_id;
    struct metadata_listener *listeners;
    size_t nlisteners;
};

/* ---- helpers ---- */

static int32_t *dup_i32(const int32_t *v, int32_t n)
{
    if (n <= 0)
        return NULL;
    int32_t *d = xmalloc((size_t)n * sizeof(*d));
    memcpy(d, v, (size_t)n * sizeof(*d));
    return d;
}

static char *dup_kstr(const struct kstr *k)
{
    return k->s ? xstrndup(k->s, (size_t)k->len) : NULL;
}

static void partition_free(struct mi_partition *p)
{
    free(p->replicas);
    free(p->isr);
    free(p->removing_replicas);
    free(p->adding_replicas);
}

static void topic_free(struct mi_topic *t)
{
    for (int32_t i = 0; i < t->npartitions; i++)
        partition_free(&t->partitions[i]);
    free(t->partitions);
    free(t->name);
    free(t);
}

static void broker_free(struct mi_broker *b)
{
    if (!b)
        return;
    for (int32_t i = 0; i < b->nendpoints; i++) {
        free(b->endpoints[i].name);
        free(b->endpoints[i].host);
    }
    free(b->endpoints);
    for (int32_t i = 0; i < b->nfeatures; i++)
        free(b->features[i].name);
    free(b->features);
    free(b->rack);
    free(b);
}

static void config_set_free(struct config_set *cs)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&cs->kv, &it, &k, &v))
        free(v);
    strmap_free(&cs->kv);
    free(cs);
}

static void config_map_free(struct strmap *m)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(m, &it, &k, &v))
        config_set_free(v);
    strmap_free(m);
}

static void id_key(const struct uuid *id, char out[UUID_STR_LEN + 1])
{
    uuid_to_string(id, out);
}

/* ---- lifecycle ---- */

struct metadata_image *metadata_image_new(void)
{
    struct metadata_image *img = xcalloc(1, sizeof(*img));
    img->offset = -1;
    return img;
}

void metadata_image_free(struct metadata_image *img)
{
    if (!img)
        return;
    for (size_t i = 0; i < img->ntopics; i++)
        topic_free(img->topics[i]);
    free(img->topics);
    strmap_free(&img->by_name);
    strmap_free(&img->by_id);
    for (size_t i = 0; i < img->nbrokers; i++)
        broker_free(img->brokers[i]);
    free(img->brokers);
    config_map_free(&img->topic_configs);
    config_map_free(&img->broker_configs);
    for (size_t i = 0; i < img->nfeatures; i++)
        free(img->features[i].name);
    free(img->features);
    free(img->listeners);
    free(img);
}

int metadata_image_add_listener(struct metadata_image *img, const struct metadata_listener *l)
{
    img->listeners = xrealloc(img->listeners, (img->nlisteners + 1) * sizeof(*img->listeners));
    img->listeners[img->nlisteners++] = *l;
    return 0;
}

void metadata_image_remove_listener(struct metadata_image *img, void *ctx)
{
    size_t j = 0;
    for (size_t i = 0; i < img->nlisteners; i++)
        if (img->listeners[i].ctx != ctx)
            img->listeners[j++] = img->listeners[i];
    img->nlisteners = j;
}

/* ---- lookups ---- */

/* Index of the first topic whose name is >= name. */
static size_t topic_lower_bound(const struct metadata_image *img, const char *name)
{
    size_t lo = 0, hi = img->ntopics;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(img->topics[mid]->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t broker_lower_bound(const struct metadata_image *img, int32_t id)
{
    size_t lo = 0, hi = img->nbrokers;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (img->brokers[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int64_t metadata_image_offset(const struct metadata_image *img)
{
    return img->offset;
}

const struct mi_topic *metadata_image_topic_by_name(const struct metadata_image *img,
                                                    const char *name)
{
    return name ? strmap_get(&img->by_name, name) : NULL;
}

const struct mi_topic *metadata_image_topic_by_id(const struct metadata_image *img,
                                                  const struct uuid *id)
{
    char k[UUID_STR_LEN + 1];
    id_key(id, k);
    return strmap_get(&img->by_id, k);
}

size_t metadata_image_topic_count(const struct metadata_image *img)
{
    return img->ntopics;
}

const struct mi_topic *metadata_image_topic_at(const struct metadata_image *img, size_t i)
{
    return i < img->ntopics ? img->topics[i] : NULL;
}

const struct mi_partition *metadata_image_partition(const struct mi_topic *t, int32_t p)
{
    return (t && p >= 0 && p < t->npartitions) ? &t->partitions[p] : NULL;
}

static bool contains(const int32_t *v, int32_t n, int32_t x)
{
    for (int32_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

bool mi_partition_has_replica(const struct mi_partition *p, int32_t broker_id)
{
    return contains(p->replicas, p->nreplicas, broker_id);
}

bool mi_partition_in_isr(const struct mi_partition *p, int32_t broker_id)
{
    return contains(p->isr, p->nisr, broker_id);
}

const struct mi_broker *metadata_image_broker(const struct metadata_image *img, int32_t id)
{
    size_t i = broker_lower_bound(img, id);
    return (i < img->nbrokers && img->brokers[i]->id == id) ? img->brokers[i] : NULL;
}

size_t metadata_image_broker_count(const struct metadata_image *img)
{
    return img->nbrokers;
}

const struct mi_broker *metadata_image_broker_at(const struct metadata_image *img, size_t i)
{
    return i < img->nbrokers ? img->brokers[i] : NULL;
}

static const struct strmap *config_map(const struct metadata_image *img, int8_t type)
{
    if (type == MR_RESOURCE_TOPIC)
        return &img->topic_configs;
    if (type == MR_RESOURCE_BROKER)
        return &img->broker_configs;
    return NULL;
}

const char *metadata_image_config(const struct metadata_image *img, int8_t resource_type,
                                  const char *resource_name, const char *key)
{
    const struct strmap *m = config_map(img, resource_type);
    if (!m || !resource_name || !key)
        return NULL;
    const struct config_set *cs = strmap_get(m, resource_name);
    return cs ? strmap_get(&cs->kv, key) : NULL;
}

bool metadata_image_config_next(const struct metadata_image *img, int8_t resource_type,
                                const char *resource_name, size_t *it, const char **key,
                                const char **value)
{
    const struct strmap *m = config_map(img, resource_type);
    if (!m || !resource_name)
        return false;
    const struct config_set *cs = strmap_get(m, resource_name);
    if (!cs)
        return false;
    void *v;
    if (!strmap_next(&cs->kv, it, key, &v))
        return false;
    *value = v;
    return true;
}

int16_t metadata_image_feature_level(const struct metadata_image *img, const char *name)
{
    for (size_t i = 0; i < img->nfeatures; i++)
        if (strcmp(img->features[i].name, name) == 0)
            return img->features[i].level;
    return 0;
}

size_t metadata_image_feature_count(const struct metadata_image *img)
{
    return img->nfeatures;
}

bool metadata_image_feature_at(const struct metadata_image *img, size_t i, const char **name,
                               int16_t *level)
{
    if (i >= img->nfeatures)
        return false;
    *name = img->features[i].name;
    *level = img->features[i].level;
    return true;
}

int64_t metadata_image_next_producer_id(const struct metadata_image *img)
{
    return img->next_producer_id;
}

/* ---- replay of each record type ---- */

#define REJECT(...)                                                                                \
    do {                                                                                           \
        LOG_ERROR("metadata", __VA_ARGS__);                                                        \
        return SL_EINVAL;                                                                          \
    } while (0)

static int replay_register_broker(struct metadata_image *img, const struct mr_register_broker *r)
{
    if (r->broker_id < 0)
        REJECT("RegisterBrokerRecord with negative broker id %" PRId32, r->broker_id);
    struct mi_broker *b = xcalloc(1, sizeof(*b));
    b->id = r->broker_id;
    b->epoch = r->broker_epoch;
    b->incarnation_id = r->incarnation_id;
    if (r->end_points.n > 0) {
        b->endpoints = xcalloc((size_t)r->end_points.n, sizeof(*b->endpoints));
        b->nendpoints = r->end_points.n;
        for (int32_t i = 0; i < r->end_points.n; i++) {
            const struct mr_broker_endpoint *e = &r->end_points.v[i];
            b->endpoints[i].name = e->name.s ? dup_kstr(&e->name) : xstrdup("");
            b->endpoints[i].host = e->host.s ? dup_kstr(&e->host) : xstrdup("");
            b->endpoints[i].port = e->port;
            b->endpoints[i].security_protocol = e->security_protocol;
        }
    }
    if (r->features.n > 0) {
        b->features = xcalloc((size_t)r->features.n, sizeof(*b->features));
        b->nfeatures = r->features.n;
        for (int32_t i = 0; i < r->features.n; i++) {
            const struct mr_broker_feature *f = &r->features.v[i];
            b->features[i].name = f->name.s ? dup_kstr(&f->name) : xstrdup("");
            b->features[i].min_supported = f->min_supported_version;
            b->features[i].max_supported = f->max_supported_version;
        }
    }
    b->rack = dup_kstr(&r->rack);
    b->fenced = r->fenced;
    b->in_controlled_shutdown = r->in_controlled_shutdown;

    size_t i = broker_lower_bound(img, b->id);
    struct mi_broker *old = NULL;
    if (i < img->nbrokers && img->brokers[i]->id == b->id) {
        old = img->brokers[i];
        img->brokers[i] = b;
    } else {
        if (img->nbrokers == img->cap_brokers) {
            img->cap_brokers = img->cap_brokers ? img->cap_brokers * 2 : 8;
            img->brokers = xrealloc(img->brokers, img->cap_brokers * sizeof(*img->brokers));
        }
        memmove(&img->brokers[i + 1], &img->brokers[i],
                (img->nbrokers - i) * sizeof(*img->brokers));
        img->brokers[i] = b;
        img->nbrokers++;
    }
    SL_ASSERT_MSG((i == 0 || img->brokers[i - 1]->id < b->id) &&
                      (i + 1 == img->nbrokers || img->brokers[i + 1]->id > b->id),
                  "brokers must stay sorted by id (broker_lower_bound)");
    for (size_t k = 0; k < img->nlisteners; k++)
        if (img->listeners[k].broker_changed)
            img->listeners[k].broker_changed(img->listeners[k].ctx, img, old, b);
    broker_free(old);
    return 0;
}

static int replay_fencing(struct metadata_image *img, const struct mr_broker_fencing *r, bool fence)
{
    const char *what = fence ? "FenceBrokerRecord" : "UnfenceBrokerRecord";
    size_t i = broker_lower_bound(img, r->id);
    if (i >= img->nbrokers || img->brokers[i]->id != r->id)
        REJECT("%s for unregistered broker %" PRId32, what, r->id);
    struct mi_broker *b = img->brokers[i];
    if (b->epoch != r->epoch)
        REJECT("%s for broker %" PRId32 " with epoch %" PRId64 ", but its epoch is %" PRId64, what,
               r->id, r->epoch, b->epoch);
    struct mi_broker old = *b;
    b->fenced = fence;
    if (fence)
        b->in_controlled_shutdown = false;
    for (size_t k = 0; k < img->nlisteners; k++)
        if (img->listeners[k].broker_changed)
            img->listeners[k].broker_changed(img->listeners[k].ctx, img, &old, b);
    return 0;
}

/*
 * ClusterControlManager.replay(BrokerRegistrationChangeRecord): a fencing
 * change and/or entry into controlled shutdown of the registration with
 * this epoch.  Fencing ends a controlled shutdown, as FenceBrokerRecord does.
 */
static int replay_registration_change(struct metadata_image *img,
                                      const struct mr_broker_registration_change *r)
{
    size_t i = broker_lower_bound(img, r->broker_id);
    if (i >= img->nbrokers || img->brokers[i]->id != r->broker_id)
        REJECT("BrokerRegistrationChangeRecord for unregistered broker %" PRId32, r->broker_id);
    struct mi_broker *b = img->brokers[i];
    if (b->epoch != r->broker_epoch)
        REJECT("BrokerRegistrationChangeRecord for broker %" PRId32 " with epoch %" PRId64
               ", but its epoch is %" PRId64,
               r->broker_id, r->broker_epoch, b->epoch);
    if (r->fenced < MR_FENCING_UNFENCE || r->fenced > MR_FENCING_FENCE ||
        (r->in_controlled_shutdown != MR_CONTROLLED_SHUTDOWN_NONE &&
         r->in_controlled_shutdown != MR_CONTROLLED_SHUTDOWN_ENTER))
        REJECT("BrokerRegistrationChangeRecord for broker %" PRId32
               " with invalid fenced %d / in_controlled_shutdown %d",
               r->broker_id, r->fenced, r->in_controlled_shutdown);
    struct mi_broker old = *b;
    if (r->fenced == MR_FENCING_FENCE) {
        b->fenced = true;
        b->in_controlled_shutdown = false;
    } else if (r->fenced == MR_FENCING_UNFENCE) {
        b->fenced = false;
    }
    if (r->in_controlled_shutdown == MR_CONTROLLED_SHUTDOWN_ENTER && !b->fenced)
        b->in_controlled_shutdown = true;
    for (size_t k = 0; k < img->nlisteners; k++)
        if (img->listeners[k].broker_changed)
            img->listeners[k].broker_changed(img->listeners[k].ctx, img, &old, b);
    return 0;
}

static int replay_topic(struct metadata_image *img, const struct mr_topic *r)
{
    char k[UUID_STR_LEN + 1];
    if (!r->name.s || r->name.len == 0)
        REJECT("TopicRecord without a name");
    if (uuid_is_zero(&r->topic_id))
        REJECT("TopicRecord for %s with a zero topic id", r->name.s);
    if (strmap_get(&img->by_name, r->name.s))
        REJECT("TopicRecord for %s: the topic already exists", r->name.s);
    id_key(&r->topic_id, k);
    if (strmap_get(&img->by_id, k))
        REJECT("TopicRecord for %s: topic id %s is already in use", r->name.s, k);
    struct mi_topic *t = xcalloc(1, sizeof(*t));
    t->name = dup_kstr(&r->name);
    t->id = r->topic_id;
    size_t i = topic_lower_bound(img, t->name);
    if (img->ntopics == img->cap_topics) {
        img->cap_topics = img->cap_topics ? img->cap_topics * 2 : 16;
        img->topics = xrealloc(img->topics, img->cap_topics * sizeof(*img->topics));
    }
    memmove(&img->topics[i + 1], &img->topics[i], (img->ntopics - i) * sizeof(*img->topics));
    img->topics[i] = t;
    img->ntopics++;
    SL_ASSERT_MSG((i == 0 || strcmp(img->topics[i - 1]->name, t->name) < 0) &&
                      (i + 1 == img->ntopics || strcmp(img->topics[i + 1]->name, t->name) > 0),
                  "topics must stay sorted by name (topic_lower_bound)");
    strmap_put(&img->by_name, t->name, t);
    strmap_put(&img->by_id, k, t);
    for (size_t j = 0; j < img->nlisteners; j++)
        if (img->listeners[j].topic_created)
            img->listeners[j].topic_created(img->listeners[j].ctx, img, t);
    return 0;
}

static struct mi_topic *topic_for_id(struct metadata_image *img, const struct uuid *id)
{
    char k[UUID_STR_LEN + 1];
    id_key(id, k);
    return strmap_get(&img->by_id, k);
}

static void notify_partition(struct metadata_image *img, const struct mi_topic *t,
                             const struct mi_partition *old, const struct mi_partition *now)
{
    for (size_t j = 0; j < img->nlisteners; j++)
        if (img->listeners[j].partition_changed)
            img->listeners[j].partition_changed(img->listeners[j].ctx, img, t, old, now);
}

static int replay_partition(struct metadata_image *img, const struct mr_partition *r)
{
    struct mi_topic *t = topic_for_id(img, &r->topic_id);
    char k[UUID_STR_LEN + 1];
    id_key(&r->topic_id, k);
    if (!t)
        REJECT("PartitionRecord for unknown topic id %s", k);
    if (r->partition_id < 0 || r->partition_id > t->npartitions)
        REJECT("PartitionRecord for %s-%" PRId32 ": the topic has %" PRId32 " partitions", t->name,
               r->partition_id, t->npartitions);
    struct mi_partition np = {
        .partition_id = r->partition_id,
        .replicas = dup_i32(r->replicas.v, r->replicas.n),
        .nreplicas = r->replicas.n > 0 ? r->replicas.n : 0,
        .isr = dup_i32(r->isr.v, r->isr.n),
        .nisr = r->isr.n > 0 ? r->isr.n : 0,
        .removing_replicas = dup_i32(r->removing_replicas.v, r->removing_replicas.n),
        .nremoving_replicas = r->removing_replicas.n > 0 ? r->removing_replicas.n : 0,
        .adding_replicas = dup_i32(r->adding_replicas.v, r->adding_replicas.n),
        .nadding_replicas = r->adding_replicas.n > 0 ? r->adding_replicas.n : 0,
        .leader = r->leader,
        .leader_epoch = r->leader_epoch,
        .partition_epoch = r->partition_epoch,
        .leader_recovery_state = r->leader_recovery_state,
    };
    if (r->partition_id == t->npartitions) {
        t->partitions = xrealloc(t->partitions, (size_t)(t->npartitions + 1) * sizeof(np));
        t->partitions[t->npartitions++] = np;
        notify_partition(img, t, NULL, &t->partitions[r->partition_id]);
        return 0;
    }
    struct mi_partition old = t->partitions[r->partition_id];
    t->partitions[r->partition_id] = np;
    notify_partition(img, t, &old, &t->partitions[r->partition_id]);
    partition_free(&old);
    return 0;
}

/*
 * PartitionRegistration.merge: changed fields replace the old ones, a leader
 * change (any value but -2) bumps the leader epoch, and every change bumps
 * the partition epoch.  Absent tagged arrays decode as empty (n == 0), and
 * Kafka never writes an empty replica set or ISR here, so n <= 0 means
 * "unchanged".
 */
static int replay_partition_change(struct metadata_image *img, const struct mr_partition_change *r)
{
    struct mi_topic *t = topic_for_id(img, &r->topic_id);
    char k[UUID_STR_LEN + 1];
    id_key(&r->topic_id, k);
    if (!t)
        REJECT("PartitionChangeRecord for unknown topic id %s", k);
    if (r->partition_id < 0 || r->partition_id >= t->npartitions)
        REJECT("PartitionChangeRecord for unknown partition %s-%" PRId32, t->name, r->partition_id);
    if (r->leader < MR_NO_LEADER_CHANGE)
        REJECT("PartitionChangeRecord for %s-%" PRId32 " with invalid leader %" PRId32, t->name,
               r->partition_id, r->leader);
    if (r->leader_recovery_state != MR_LRS_NO_CHANGE &&
        r->leader_recovery_state != MR_LRS_RECOVERED &&
        r->leader_recovery_state != MR_LRS_RECOVERING)
        REJECT("PartitionChangeRecord for %s-%" PRId32 " with invalid leader recovery state %d",
               t->name, r->partition_id, r->leader_recovery_state);
    struct mi_partition *p = &t->partitions[r->partition_id];
    struct mi_partition old = *p;
    bool new_replicas = r->replicas.n > 0, new_isr = r->isr.n > 0;
    bool new_removing =
        r->removing_replicas.n > 0 || (r->replicas.n > 0 && r->removing_replicas.n == 0);
    bool new_adding = r->adding_replicas.n > 0 || (r->replicas.n > 0 && r->adding_replicas.n == 0);
    if (new_replicas) {
        p->replicas = dup_i32(r->replicas.v, r->replicas.n);
        p->nreplicas = r->replicas.n;
    }
    if (new_isr) {
        p->isr = dup_i32(r->isr.v, r->isr.n);
        p->nisr = r->isr.n;
    }
    /* A new replica set without removing/adding lists ends a reassignment (merge()). */
    if (new_removing) {
        p->removing_replicas = dup_i32(r->removing_replicas.v, r->removing_replicas.n);
        p->nremoving_replicas = r->removing_replicas.n > 0 ? r->removing_replicas.n : 0;
    }
    if (new_adding) {
        p->adding_replicas = dup_i32(r->adding_replicas.v, r->adding_replicas.n);
        p->nadding_replicas = r->adding_replicas.n > 0 ? r->adding_replicas.n : 0;
    }
    if (r->leader != MR_NO_LEADER_CHANGE) {
        p->leader = r->leader;
        p->leader_epoch = old.leader_epoch + 1;
    }
    if (r->leader_recovery_state != MR_LRS_NO_CHANGE)
        p->leader_recovery_state = r->leader_recovery_state;
    p->partition_epoch = old.partition_epoch + 1;
    notify_partition(img, t, &old, p);
    if (new_replicas)
        free(old.replicas);
    if (new_isr)
        free(old.isr);
    if (new_removing)
        free(old.removing_replicas);
    if (new_adding)
        free(old.adding_replicas);
    return 0;
}

static int replay_remove_topic(struct metadata_image *img, const struct mr_remove_topic *r)
{
    char k[UUID_STR_LEN + 1];
    id_key(&r->topic_id, k);
    struct mi_topic *t = strmap_get(&img->by_id, k);
    if (!t)
        REJECT("RemoveTopicRecord for unknown topic id %s", k);
    size_t i = topic_lower_bound(img, t->name);
    memmove(&img->topics[i], &img->topics[i + 1], (img->ntopics - i - 1) * sizeof(*img->topics));
    img->ntopics--;
    strmap_del(&img->by_name, t->name);
    strmap_del(&img->by_id, k);
    /* ConfigurationsDelta drops the topic's configs with it. */
    struct config_set *cs = strmap_del(&img->topic_configs, t->name);
    if (cs)
        config_set_free(cs);
    for (size_t j = 0; j < img->nlisteners; j++)
        if (img->listeners[j].topic_deleted)
            img->listeners[j].topic_deleted(img->listeners[j].ctx, img, t);
    topic_free(t);
    return 0;
}

static int replay_config(struct metadata_image *img, const struct mr_config *r)
{
    struct strmap *m;
    if (r->resource_type == MR_RESOURCE_TOPIC)
        m = &img->topic_configs;
    else if (r->resource_type == MR_RESOURCE_BROKER)
        m = &img->broker_configs;
    else
        REJECT("ConfigRecord for unsupported resource type %d", r->resource_type);
    if (!r->resource_name.s || !r->name.s || r->name.len == 0)
        REJECT("ConfigRecord without a resource name or key");
    if (r->resource_type == MR_RESOURCE_TOPIC && r->resource_name.len == 0)
        REJECT("ConfigRecord for a topic with an empty name");
    struct config_set *cs = strmap_get(m, r->resource_name.s);
    if (r->value.s) {
        if (!cs) {
            cs = xcalloc(1, sizeof(*cs));
            strmap_put(m, r->resource_name.s, cs);
        }
        free(strmap_put(&cs->kv, r->name.s, dup_kstr(&r->value)));
    } else if (cs) {
        free(strmap_del(&cs->kv, r->name.s));
        if (cs->kv.count == 0) {
            strmap_del(m, r->resource_name.s);
            config_set_free(cs);
        }
    }
    for (size_t j = 0; j < img->nlisteners; j++)
        if (img->listeners[j].config_changed)
            img->listeners[j].config_changed(img->listeners[j].ctx, img, r->resource_type,
                                             r->resource_name.s, r->name.s, r->value.s);
    return 0;
}

static int replay_feature_level(struct metadata_image *img, const struct mr_feature_level *r)
{
    if (!r->name.s || r->name.len == 0)
        REJECT("FeatureLevelRecord without a name");
    if (r->feature_level < 0)
        REJECT("FeatureLevelRecord for %s with negative level %d", r->name.s, r->feature_level);
    size_t i = 0;
    while (i < img->nfeatures && strcmp(img->features[i].name, r->name.s) < 0)
        i++;
    bool found = i < img->nfeatures && strcmp(img->features[i].name, r->name.s) == 0;
    if (r->feature_level == 0) {
        if (found) {
            free(img->features[i].name);
            memmove(&img->features[i], &img->features[i + 1],
                    (img->nfeatures - i - 1) * sizeof(*img->features));
            img->nfeatures--;
        }
        return 0;
    }
    if (found) {
        img->features[i].level = r->feature_level;
        return 0;
    }
    img->features = xrealloc(img->features, (img->nfeatures + 1) * sizeof(*img->features));
    memmove(&img->features[i + 1], &img->features[i],
            (img->nfeatures - i) * sizeof(*img->features));
    img->features[i].name = dup_kstr(&r->name);
    img->features[i].level = r->feature_level;
    img->nfeatures++;
    return 0;
}

static int replay_producer_ids(struct metadata_image *img, const struct mr_producer_ids *r)
{
    /* ProducerIdControlManager.replay: blocks only move forward. */
    if (r->next_producer_id <= img->next_producer_id)
        REJECT("ProducerIdsRecord with next producer id %" PRId64 " not above %" PRId64,
               r->next_producer_id, img->next_producer_id);
    img->next_producer_id = r->next_producer_id;
    return 0;
}

static int apply(struct metadata_image *img, const struct metadata_record *rec)
{
    switch (rec->type) {
    case MR_REGISTER_BROKER:
        return replay_register_broker(img, &rec->u.register_broker);
    case MR_TOPIC:
        return replay_topic(img, &rec->u.topic);
    case MR_PARTITION:
        return replay_partition(img, &rec->u.partition);
    case MR_CONFIG:
        return replay_config(img, &rec->u.config);
    case MR_PARTITION_CHANGE:
        return replay_partition_change(img, &rec->u.partition_change);
    case MR_FENCE_BROKER:
        return replay_fencing(img, &rec->u.fence_broker, true);
    case MR_UNFENCE_BROKER:
        return replay_fencing(img, &rec->u.unfence_broker, false);
    case MR_REMOVE_TOPIC:
        return replay_remove_topic(img, &rec->u.remove_topic);
    case MR_FEATURE_LEVEL:
        return replay_feature_level(img, &rec->u.feature_level);
    case MR_PRODUCER_IDS:
        return replay_producer_ids(img, &rec->u.producer_ids);
    case MR_BROKER_REGISTRATION_CHANGE:
        return replay_registration_change(img, &rec->u.registration_change);
    case MR_NO_OP:
        return 0;
    default:
        return SL_EUNSUPPORTED;
    }
}

int metadata_image_replay(struct metadata_image *img, int64_t offset, const uint8_t *value,
                          size_t len)
{
    struct arena a = ARENA_INIT;
    struct metadata_record rec;
    if (offset > img->offset)
        img->offset = offset;
    int rc = value ? metadata_record_decode(value, len, &a, &rec) : SL_ECORRUPT;
    if (rc != 0) {
        LOG_ERROR("metadata", "record at offset %" PRId64 " (%zu bytes) rejected: %s", offset, len,
                  sl_strerror(rc));
    } else {
        rc = apply(img, &rec);
        if (rc != 0)
            LOG_ERROR("metadata", "%s at offset %" PRId64 " not applied",
                      metadata_record_name(rec.type), offset);
    }
    arena_free(&a);
    return rc;
}

int metadata_image_replay_batch(struct metadata_image *img, const uint8_t *batch, size_t len)
{
    struct rb_header h;
    if (rb_header_parse(batch, len, &h) != 0 || rb_header_total_size(&h) != len ||
        rb_crc_check(batch, len) != 0) {
        LOG_ERROR("metadata", "malformed metadata batch of %zu bytes", len);
        return SL_ECORRUPT;
    }
    int64_t last = rb_header_last_offset(&h);
    if (h.attributes & RB_ATTR_CONTROL) {
        if (last > img->offset)
            img->offset = last;
        return 0;
    }
    struct rb_iter it;
    int rc = rb_iter_init(&it, batch, len, MI_MAX_BATCH_BYTES);
    struct rb_record rec;
    while (rc == 0) {
        int n = rb_iter_next(&it, &rec);
        if (n == 0)
            break;
        if (n < 0) {
            rc = n;
            break;
        }
        metadata_image_replay(img, rec.offset, rec.value,
                              rec.value_len >= 0 ? (size_t)rec.value_len : 0);
    }
    rb_iter_free(&it);
    if (rc != 0) {
        LOG_ERROR("metadata", "malformed metadata batch at offset %" PRId64, h.base_offset);
        return SL_ECORRUPT;
    }
    if (last > img->offset)
        img->offset = last;
    return 0;
}

/* ---- snapshots (KIP-630) ---- */

/* Records per snapshot batch, and a soft byte bound per batch. */
#define SNAP_BATCH_RECORDS 1000
#define SNAP_BATCH_BYTES   (1 << 20)
/* Snapshots are bounded by the Raft core's snapshot_max_bytes; this is a sanity cap per batch. */
#define SNAP_MAX_BATCH_BYTES MI_MAX_BATCH_BYTES

struct snap_writer {
    struct rb_builder b;
    bool open;
    int64_t next_offset;
    int32_t epoch;
    int64_t now;
    struct wbuf *out;
    struct wbuf rec;
    int rc;
};

static void snap_flush(struct snap_writer *w)
{
    if (!w->open)
        return;
    int rc = rb_builder_finish(&w->b, w->out);
    if (rc != 0 && w->rc == 0)
        w->rc = rc;
    w->next_offset += rb_builder_count(&w->b);
    rb_builder_free(&w->b);
    w->open = false;
}

static void snap_begin(struct snap_writer *w)
{
    rb_builder_init(&w->b, RB_COMPRESSION_NONE, w->next_offset, w->now);
    rb_builder_set_partition_leader_epoch(&w->b, w->epoch);
    w->open = true;
}

/* Control batch with one record of `type` whose value is the encoded record. */
static void snap_control(struct snap_writer *w, enum rb_control_type type, bool header)
{
    snap_flush(w);
    struct wbuf v;
    wbuf_init(&v, 16);
    wbuf_i16(&v, 0); /* Version */
    if (header)
        wbuf_i64(&v, w->now); /* LastContainedLogTimestamp */
    wbuf_uvarint(&v, 0);      /* no tagged fields */
    snap_begin(w);
    rb_builder_add_control(&w->b, w->now, type, v.data, (int32_t)v.len);
    wbuf_free(&v);
    snap_flush(w);
}

static void snap_add(struct snap_writer *w, int16_t type, const void *rec)
{
    if (w->rc != 0)
        return;
    w->rec.len = 0;
    int rc = metadata_record_encode(type, metadata_record_write_version(type), rec, &w->rec);
    if (rc != 0) {
        w->rc = rc;
        return;
    }
    if (!w->open)
        snap_begin(w);
    rb_builder_add(&w->b, w->now, NULL, -1, w->rec.data, (int32_t)w->rec.len, NULL, 0);
    if (rb_builder_count(&w->b) >= SNAP_BATCH_RECORDS || w->b.records.len >= SNAP_BATCH_BYTES)
        snap_flush(w);
}

static struct kstr kstr_of(const char *s)
{
    return s ? (struct kstr){s, (int32_t)strlen(s)} : (struct kstr){NULL, -1};
}

static void snap_configs(struct snap_writer *w, const struct strmap *m, int8_t type)
{
    size_t it = 0;
    const char *name;
    void *v;
    while (strmap_next(m, &it, &name, &v)) {
        const struct config_set *cs = v;
        size_t kit = 0;
        const char *key;
        void *val;
        while (strmap_next(&cs->kv, &kit, &key, &val)) {
            struct mr_config c = {.resource_type = type,
                                  .resource_name = kstr_of(name),
                                  .name = kstr_of(key),
                                  .value = kstr_of(val)};
            snap_add(w, MR_CONFIG, &c);
        }
    }
}

static void snap_broker(struct snap_writer *w, const struct mi_broker *b)
{
    struct mr_register_broker r;
    memset(&r, 0, sizeof(r));
    r.broker_id = b->id;
    r.incarnation_id = b->incarnation_id;
    r.broker_epoch = b->epoch;
    struct mr_broker_endpoint *eps = xcalloc((size_t)b->nendpoints + 1, sizeof(*eps));
    for (int32_t i = 0; i < b->nendpoints; i++) {
        eps[i].name = kstr_of(b->endpoints[i].name);
        eps[i].host = kstr_of(b->endpoints[i].host);
        eps[i].port = b->endpoints[i].port;
        eps[i].security_protocol = b->endpoints[i].security_protocol;
    }
    struct mr_broker_feature *fs = xcalloc((size_t)b->nfeatures + 1, sizeof(*fs));
    for (int32_t i = 0; i < b->nfeatures; i++) {
        fs[i].name = kstr_of(b->features[i].name);
        fs[i].min_supported_version = b->features[i].min_supported;
        fs[i].max_supported_version = b->features[i].max_supported;
    }
    r.end_points.n = b->nendpoints;
    r.end_points.v = eps;
    r.features.n = b->nfeatures;
    r.features.v = fs;
    r.rack = kstr_of(b->rack);
    /* RegisterBrokerRecord carries the fencing and controlled-shutdown state itself. */
    r.fenced = b->fenced;
    r.in_controlled_shutdown = b->in_controlled_shutdown;
    snap_add(w, MR_REGISTER_BROKER, &r);
    free(eps);
    free(fs);
}

static void snap_topic(struct snap_writer *w, const struct mi_topic *t)
{
    struct mr_topic tr = {.name = kstr_of(t->name), .topic_id = t->id};
    snap_add(w, MR_TOPIC, &tr);
    for (int32_t i = 0; i < t->npartitions; i++) {
        const struct mi_partition *p = &t->partitions[i];
        struct mr_partition pr;
        memset(&pr, 0, sizeof(pr));
        pr.partition_id = p->partition_id;
        pr.topic_id = t->id;
        pr.replicas.n = p->nreplicas;
        pr.replicas.v = p->replicas;
        pr.isr.n = p->nisr;
        pr.isr.v = p->isr;
        pr.removing_replicas.n = p->nremoving_replicas;
        pr.removing_replicas.v = p->removing_replicas;
        pr.adding_replicas.n = p->nadding_replicas;
        pr.adding_replicas.v = p->adding_replicas;
        pr.leader = p->leader;
        pr.leader_recovery_state = p->leader_recovery_state;
        pr.leader_epoch = p->leader_epoch;
        pr.partition_epoch = p->partition_epoch;
        snap_add(w, MR_PARTITION, &pr);
    }
}

int metadata_image_write_snapshot(const struct metadata_image *img, int64_t end_offset,
                                  int32_t epoch, struct wbuf *out)
{
    if (end_offset < 0 || img->offset >= end_offset)
        return SL_EINVAL;
    struct snap_writer w = {.epoch = epoch, .now = clock_wall_ms(), .out = out};
    wbuf_init(&w.rec, 256);
    size_t start = out->len;
    snap_control(&w, RB_CONTROL_SNAPSHOT_HEADER, true);
    for (size_t i = 0; i < img->nfeatures; i++) {
        struct mr_feature_level f = {.name = kstr_of(img->features[i].name),
                                     .feature_level = img->features[i].level};
        snap_add(&w, MR_FEATURE_LEVEL, &f);
    }
    for (size_t i = 0; i < img->nbrokers; i++)
        snap_broker(&w, img->brokers[i]);
    for (size_t i = 0; i < img->ntopics; i++)
        snap_topic(&w, img->topics[i]);
    snap_configs(&w, &img->topic_configs, MR_RESOURCE_TOPIC);
    snap_configs(&w, &img->broker_configs, MR_RESOURCE_BROKER);
    if (img->next_producer_id > 0) {
        struct mr_producer_ids p = {
            .broker_id = -1, .broker_epoch = -1, .next_producer_id = img->next_producer_id};
        snap_add(&w, MR_PRODUCER_IDS, &p);
    }
    snap_flush(&w);
    if (w.rc == 0)
        snap_control(&w, RB_CONTROL_SNAPSHOT_FOOTER, false);
    wbuf_free(&w.rec);
    if (w.rc != 0) {
        out->len = start;
        return w.rc < 0 ? w.rc : SL_EINVAL;
    }
    return 0;
}

/* The control type of a control batch holding exactly one control record, or < 0. */
static int snap_control_type(const uint8_t *batch, size_t len)
{
    struct rb_iter it;
    struct rb_record rec;
    int type = SL_ECORRUPT;
    if (rb_iter_init(&it, batch, len, SNAP_MAX_BATCH_BYTES) == 0 && rb_iter_next(&it, &rec) == 1) {
        type = rb_record_control_type(&rec);
        if (rb_iter_next(&it, &rec) != 0)
            type = SL_ECORRUPT;
    }
    rb_iter_free(&it);
    return type;
}

/* Replays a snapshot into `img` (no listeners).  Returns 0 or SL_ECORRUPT. */
static int snap_replay(struct metadata_image *img, const uint8_t *data, size_t len)
{
    size_t pos = 0;
    const uint8_t *batch;
    size_t blen;
    int64_t expect = 0;
    int32_t epoch = 0;
    bool header = false, footer = false;
    for (;;) {
        int n = rb_split(data, len, &pos, &batch, &blen);
        if (n == 0)
            break;
        if (n < 0 || footer) {
            LOG_ERROR("metadata", "snapshot: %s at byte %zu",
                      footer ? "data after the footer" : "malformed batch", pos);
            return SL_ECORRUPT;
        }
        struct rb_header h;
        if (rb_header_parse(batch, blen, &h) != 0 || rb_crc_check(batch, blen) != 0 ||
            h.base_offset != expect || (header && h.partition_leader_epoch != epoch)) {
            /* Every batch of a snapshot carries the snapshot's epoch. */
            LOG_ERROR("metadata", "snapshot: bad batch (CRC, offset or epoch) at byte %zu", pos);
            return SL_ECORRUPT;
        }
        epoch = h.partition_leader_epoch;
        expect = rb_header_last_offset(&h) + 1;
        if (h.attributes & RB_ATTR_CONTROL) {
            int type = snap_control_type(batch, blen);
            if (type == RB_CONTROL_SNAPSHOT_HEADER && !header) {
                header = true;
                continue;
            }
            if (type == RB_CONTROL_SNAPSHOT_FOOTER && header) {
                footer = true;
                continue;
            }
            LOG_ERROR("metadata", "snapshot: unexpected control batch (type %d)", type);
            return SL_ECORRUPT;
        }
        if (!header) {
            LOG_ERROR("metadata", "snapshot: records before the SnapshotHeader");
            return SL_ECORRUPT;
        }
        struct rb_iter it;
        struct rb_record rec;
        int rc = rb_iter_init(&it, batch, blen, SNAP_MAX_BATCH_BYTES);
        while (rc == 0) {
            int k = rb_iter_next(&it, &rec);
            if (k == 0)
                break;
            if (k < 0 || rec.value_len < 0) {
                rc = SL_ECORRUPT;
                break;
            }
            if (metadata_image_replay(img, rec.offset, rec.value, (size_t)rec.value_len) != 0)
                rc = SL_ECORRUPT;
        }
        rb_iter_free(&it);
        if (rc != 0) {
            LOG_ERROR("metadata", "snapshot: bad record in the batch at offset %" PRId64,
                      h.base_offset);
            return SL_ECORRUPT;
        }
    }
    if (!header || !footer) {
        LOG_ERROR("metadata", "snapshot: missing %s", header ? "SnapshotFooter" : "SnapshotHeader");
        return SL_ECORRUPT;
    }
    return 0;
}

static const struct mi_partition *partition_or_null(const struct mi_topic *t, int32_t i)
{
    return t && i < t->npartitions ? &t->partitions[i] : NULL;
}

/* config_changed for every key of `now` and a removal for keys only in `old`. */
static void notify_configs(struct metadata_image *img, const struct strmap *old_m,
                           const struct strmap *now_m, int8_t type)
{
    size_t it = 0;
    const char *name, *key;
    void *v, *val;
    while (strmap_next(now_m, &it, &name, &v)) {
        const struct config_set *cs = v;
        size_t kit = 0;
        while (strmap_next(&cs->kv, &kit, &key, &val))
            for (size_t j = 0; j < img->nlisteners; j++)
                if (img->listeners[j].config_changed)
                    img->listeners[j].config_changed(img->listeners[j].ctx, img, type, name, key,
                                                     val);
    }
    it = 0;
    while (strmap_next(old_m, &it, &name, &v)) {
        const struct config_set *cs = v;
        const struct config_set *ns = strmap_get(now_m, name);
        size_t kit = 0;
        while (strmap_next(&cs->kv, &kit, &key, &val)) {
            if (ns && strmap_get(&ns->kv, key))
                continue;
            for (size_t j = 0; j < img->nlisteners; j++)
                if (img->listeners[j].config_changed)
                    img->listeners[j].config_changed(img->listeners[j].ctx, img, type, name, key,
                                                     NULL);
        }
    }
}

int metadata_image_load_snapshot(struct metadata_image *img, const uint8_t *data, size_t len)
{
    struct metadata_image *fresh = metadata_image_new();
    int rc = data ? snap_replay(fresh, data, len) : SL_ECORRUPT;
    if (rc != 0) {
        metadata_image_free(fresh);
        return rc;
    }
    /* Swap the state: `fresh` keeps the old state (without listeners) for the deltas. */
    struct metadata_image old = *img;
    *img = *fresh;
    img->listeners = old.listeners;
    img->nlisteners = old.nlisteners;
    img->offset = old.offset;
    *fresh = old;
    fresh->listeners = NULL;
    fresh->nlisteners = 0;

    /* Topics gone from the image, then topics and partitions as they are now. */
    for (size_t i = 0; i < fresh->ntopics; i++) {
        struct mi_topic *t = fresh->topics[i];
        const struct mi_topic *now = metadata_image_topic_by_id(img, &t->id);
        if (now && strcmp(now->name, t->name) == 0)
            continue;
        for (size_t j = 0; j < img->nlisteners; j++)
            if (img->listeners[j].topic_deleted)
                img->listeners[j].topic_deleted(img->listeners[j].ctx, img, t);
    }
    for (size_t i = 0; i < img->ntopics; i++) {
        const struct mi_topic *t = img->topics[i];
        const struct mi_topic *was = metadata_image_topic_by_id(fresh, &t->id);
        if (was && strcmp(was->name, t->name) != 0)
            was = NULL;
        if (!was)
            for (size_t j = 0; j < img->nlisteners; j++)
                if (img->listeners[j].topic_created)
                    img->listeners[j].topic_created(img->listeners[j].ctx, img, t);
        for (int32_t p = 0; p < t->npartitions; p++)
            notify_partition(img, t, partition_or_null(was, p), &t->partitions[p]);
    }
    for (size_t i = 0; i < img->nbrokers; i++) {
        const struct mi_broker *b = img->brokers[i];
        const struct mi_broker *was = metadata_image_broker(fresh, b->id);
        for (size_t k = 0; k < img->nlisteners; k++)
            if (img->listeners[k].broker_changed)
                img->listeners[k].broker_changed(img->listeners[k].ctx, img, was, b);
    }
    notify_configs(img, &fresh->topic_configs, &img->topic_configs, MR_RESOURCE_TOPIC);
    notify_configs(img, &fresh->broker_configs, &img->broker_configs, MR_RESOURCE_BROKER);
    metadata_image_free(fresh);
    return 0;
}

void metadata_image_set_offset(struct metadata_image *img, int64_t offset)
{
    img->offset = offset;
}
