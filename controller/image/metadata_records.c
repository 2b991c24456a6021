/*
 * Codec tables and value framing for the KRaft metadata records we use
 * (metadata_records.h).  The tables mirror the field order, versions,
 * nullability and tags of Kafka's metadata record schemas.
 */
#include "metadata_records.h"

#include <string.h>

#include "err.h"

/* A tagged array field (the generic PF_* helpers cover untagged arrays only). */
#define MR_TAGGED_ARRAY(ST, F, ET, V0, V1, NV0, TAG)                                               \
    {                                                                                              \
        .name = #F, .type = PF_ARRAY, .elem_type = (ET), .vmin = (V0), .vmax = (V1),               \
        .null_vmin = (NV0), .tag = (TAG), .offset = offsetof(ST, F),                               \
        .elem_size = sizeof(*((ST *)0)->F.v)                                                       \
    }
#define MR_TAGGED_D(ST, F, T, V0, V1, TAG, DFLT)                                                   \
    {                                                                                              \
        .name = #F, .type = (T), .vmin = (V0), .vmax = (V1), .null_vmin = PROTO_VMAX,              \
        .tag = (TAG), .offset = offsetof(ST, F), .dflt = (DFLT)                                    \
    }

/* RegisterBrokerRecord */
static const struct proto_field endpoint_fields[] = {
    PF_FIELD(struct mr_broker_endpoint, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct mr_broker_endpoint, host, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct mr_broker_endpoint, port, PF_UINT16, 0, PROTO_VMAX),
    PF_FIELD(struct mr_broker_endpoint, security_protocol, PF_INT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(endpoint_schema, struct mr_broker_endpoint, endpoint_fields);

static const struct proto_field feature_fields[] = {
    PF_FIELD(struct mr_broker_feature, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct mr_broker_feature, min_supported_version, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct mr_broker_feature, max_supported_version, PF_INT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(feature_schema, struct mr_broker_feature, feature_fields);

static const struct proto_field register_broker_fields[] = {
    PF_FIELD(struct mr_register_broker, broker_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct mr_register_broker, is_migrating_zk_broker, PF_BOOL, 2, PROTO_VMAX),
    PF_FIELD(struct mr_register_broker, incarnation_id, PF_UUID, 0, PROTO_VMAX),
    PF_FIELD(struct mr_register_broker, broker_epoch, PF_INT64, 0, PROTO_VMAX),
    PF_SARRAY(struct mr_register_broker, end_points, endpoint_schema, 0, PROTO_VMAX),
    PF_SARRAY(struct mr_register_broker, features, feature_schema, 0, PROTO_VMAX),
    PF_FIELD_N(struct mr_register_broker, rack, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD_D(struct mr_register_broker, fenced, PF_BOOL, 0, PROTO_VMAX, 1),
    PF_FIELD(struct mr_register_broker, in_controlled_shutdown, PF_BOOL, 1, PROTO_VMAX),
    MR_TAGGED_ARRAY(struct mr_register_broker, log_dirs, PF_UUID, 3, PROTO_VMAX, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(register_broker_schema, struct mr_register_broker, register_broker_fields);

/* TopicRecord */
static const struct proto_field topic_fields[] = {
    PF_FIELD(struct mr_topic, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct mr_topic, topic_id, PF_UUID, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(topic_schema, struct mr_topic, topic_fields);

/* PartitionRecord */
static const struct proto_field partition_fields[] = {
    PF_FIELD_D(struct mr_partition, partition_id, PF_INT32, 0, PROTO_VMAX, -1),
    PF_FIELD(struct mr_partition, topic_id, PF_UUID, 0, PROTO_VMAX),
    PF_ARRAYF(struct mr_partition, replicas, PF_INT32, 0, PROTO_VMAX),
    PF_ARRAYF(struct mr_partition, isr, PF_INT32, 0, PROTO_VMAX),
    PF_ARRAYF(struct mr_partition, removing_replicas, PF_INT32, 0, PROTO_VMAX),
    PF_ARRAYF(struct mr_partition, adding_replicas, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct mr_partition, leader, PF_INT32, 0, PROTO_VMAX, -1),
    MR_TAGGED_D(struct mr_partition, leader_recovery_state, PF_INT8, 0, PROTO_VMAX, 0, 0),
    PF_FIELD_D(struct mr_partition, leader_epoch, PF_INT32, 0, PROTO_VMAX, -1),
    PF_FIELD_D(struct mr_partition, partition_epoch, PF_INT32, 0, PROTO_VMAX, -1),
    PF_ARRAYF(struct mr_partition, directories, PF_UUID, 1, PROTO_VMAX),
    MR_TAGGED_ARRAY(struct mr_partition, eligible_leader_replicas, PF_INT32, 2, PROTO_VMAX, 2, 1),
    MR_TAGGED_ARRAY(struct mr_partition, last_known_elr, PF_INT32, 2, PROTO_VMAX, 2, 2),
};
static PROTO_SCHEMA(partition_schema, struct mr_partition, partition_fields);

/* ConfigRecord */
static const struct proto_field config_fields[] = {
    PF_FIELD(struct mr_config, resource_type, PF_INT8, 0, PROTO_VMAX),
    PF_FIELD(struct mr_config, resource_name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct mr_config, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct mr_config, value, PF_STRING, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(config_schema, struct mr_config, config_fields);

/* PartitionChangeRecord: everything but the partition and topic id is tagged. */
static const struct proto_field partition_change_fields[] = {
    PF_FIELD_D(struct mr_partition_change, partition_id, PF_INT32, 0, PROTO_VMAX, -1),
    PF_FIELD(struct mr_partition_change, topic_id, PF_UUID, 0, PROTO_VMAX),
    MR_TAGGED_ARRAY(struct mr_partition_change, isr, PF_INT32, 0, PROTO_VMAX, 0, 0),
    MR_TAGGED_D(struct mr_partition_change, leader, PF_INT32, 0, PROTO_VMAX, 1,
                MR_NO_LEADER_CHANGE),
    MR_TAGGED_ARRAY(struct mr_partition_change, replicas, PF_INT32, 0, PROTO_VMAX, 0, 2),
    MR_TAGGED_ARRAY(struct mr_partition_change, removing_replicas, PF_INT32, 0, PROTO_VMAX, 0, 3),
    MR_TAGGED_ARRAY(struct mr_partition_change, adding_replicas, PF_INT32, 0, PROTO_VMAX, 0, 4),
    MR_TAGGED_D(struct mr_partition_change, leader_recovery_state, PF_INT8, 0, PROTO_VMAX, 5,
                MR_LRS_NO_CHANGE),
    MR_TAGGED_ARRAY(struct mr_partition_change, directories, PF_UUID, 1, PROTO_VMAX, 1, 8),
    MR_TAGGED_ARRAY(struct mr_partition_change, eligible_leader_replicas, PF_INT32, 2, PROTO_VMAX,
                    2, 6),
    MR_TAGGED_ARRAY(struct mr_partition_change, last_known_elr, PF_INT32, 2, PROTO_VMAX, 2, 7),
};
static PROTO_SCHEMA(partition_change_schema, struct mr_partition_change, partition_change_fields);

/* FenceBrokerRecord / UnfenceBrokerRecord share one layout. */
static const struct proto_field fencing_fields[] = {
    PF_FIELD(struct mr_broker_fencing, id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct mr_broker_fencing, epoch, PF_INT64, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(fencing_schema, struct mr_broker_fencing, fencing_fields);

/* RemoveTopicRecord */
static const struct proto_field remove_topic_fields[] = {
    PF_FIELD(struct mr_remove_topic, topic_id, PF_UUID, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(remove_topic_schema, struct mr_remove_topic, remove_topic_fields);

/* FeatureLevelRecord */
static const struct proto_field feature_level_fields[] = {
    PF_FIELD(struct mr_feature_level, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct mr_feature_level, feature_level, PF_INT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(feature_level_schema, struct mr_feature_level, feature_level_fields);

/* ProducerIdsRecord */
static const struct proto_field producer_ids_fields[] = {
    PF_FIELD(struct mr_producer_ids, broker_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct mr_producer_ids, broker_epoch, PF_INT64, 0, PROTO_VMAX, -1),
    PF_FIELD(struct mr_producer_ids, next_producer_id, PF_INT64, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(producer_ids_schema, struct mr_producer_ids, producer_ids_fields);

/* BrokerRegistrationChangeRecord: everything but the id and epoch is tagged. */
static const struct proto_field registration_change_fields[] = {
    PF_FIELD(struct mr_broker_registration_change, broker_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct mr_broker_registration_change, broker_epoch, PF_INT64, 0, PROTO_VMAX),
    MR_TAGGED_D(struct mr_broker_registration_change, fenced, PF_INT8, 0, PROTO_VMAX, 0,
                MR_FENCING_NONE),
    MR_TAGGED_D(struct mr_broker_registration_change, in_controlled_shutdown, PF_INT8, 1,
                PROTO_VMAX, 1, MR_CONTROLLED_SHUTDOWN_NONE),
    MR_TAGGED_ARRAY(struct mr_broker_registration_change, log_dirs, PF_UUID, 2, PROTO_VMAX,
                    PROTO_VMAX, 2),
};
static PROTO_SCHEMA(registration_change_schema, struct mr_broker_registration_change,
                    registration_change_fields);

/* NoOpRecord: an empty body (only the tagged-field section). */
static const struct proto_schema no_op_schema = {"struct mr_no_op", NULL, 0,
                                                 sizeof(struct mr_no_op)};

struct record_type_info {
    int16_t type;
    int16_t max_version;   /* highest version we read */
    int16_t write_version; /* the version we write */
    const char *name;
    const struct proto_schema *schema;
};

/*
 * PartitionRecord and PartitionChangeRecord are written at version 0: we do
 * not use per-replica directories (KIP-858) or ELR (KIP-966) yet.
 */
static const struct record_type_info record_types[] = {
    {MR_REGISTER_BROKER, 3, 3, "RegisterBrokerRecord", &register_broker_schema},
    {MR_TOPIC, 0, 0, "TopicRecord", &topic_schema},
    {MR_PARTITION, 2, 0, "PartitionRecord", &partition_schema},
    {MR_CONFIG, 0, 0, "ConfigRecord", &config_schema},
    {MR_PARTITION_CHANGE, 2, 0, "PartitionChangeRecord", &partition_change_schema},
    {MR_FENCE_BROKER, 0, 0, "FenceBrokerRecord", &fencing_schema},
    {MR_UNFENCE_BROKER, 0, 0, "UnfenceBrokerRecord", &fencing_schema},
    {MR_REMOVE_TOPIC, 0, 0, "RemoveTopicRecord", &remove_topic_schema},
    {MR_FEATURE_LEVEL, 0, 0, "FeatureLevelRecord", &feature_level_schema},
    {MR_PRODUCER_IDS, 0, 0, "ProducerIdsRecord", &producer_ids_schema},
    {MR_BROKER_REGISTRATION_CHANGE, 2, 1, "BrokerRegistrationChangeRecord",
     &registration_change_schema},
    {MR_NO_OP, 0, 0, "NoOpRecord", &no_op_schema},
};

static const struct record_type_info *type_info(int16_t type)
{
    for (size_t i = 0; i < sizeof(record_types) / sizeof(record_types[0]); i++)
        if (record_types[i].type == type)
            return &record_types[i];
    return NULL;
}

const struct proto_schema *metadata_record_schema(int16_t type, int16_t *max_version)
{
    const struct record_type_info *ti = type_info(type);
    if (!ti)
        return NULL;
    if (max_version)
        *max_version = ti->max_version;
    return ti->schema;
}

int16_t metadata_record_write_version(int16_t type)
{
    const struct record_type_info *ti = type_info(type);
    return ti ? ti->write_version : -1;
}

const char *metadata_record_name(int16_t type)
{
    const struct record_type_info *ti = type_info(type);
    return ti ? ti->name : "Unknown";
}

void metadata_partition_change_init(struct mr_partition_change *r)
{
    memset(r, 0, sizeof(*r));
    r->partition_id = -1;
    r->isr.n = -1;
    r->leader = MR_NO_LEADER_CHANGE;
    r->replicas.n = -1;
    r->removing_replicas.n = -1;
    r->adding_replicas.n = -1;
    r->leader_recovery_state = MR_LRS_NO_CHANGE;
    r->directories.n = -1;
    r->eligible_leader_replicas.n = -1;
    r->last_known_elr.n = -1;
}

int metadata_record_encode(int16_t type, int16_t version, const void *rec, struct wbuf *out)
{
    const struct record_type_info *ti = type_info(type);
    if (!ti || version < 0 || version > ti->max_version || !rec)
        return SL_EINVAL;
    struct proto_out o;
    proto_out_init(&o);
    int rc = proto_encode(ti->schema, version, true, rec, &o);
    if (rc == 0 && o.nsplices != 0)
        rc = SL_EINVAL; /* metadata records never reference files */
    if (rc == 0) {
        wbuf_uvarint(out, MR_FRAME_VERSION);
        wbuf_uvarint(out, (uint64_t)type);
        wbuf_uvarint(out, (uint64_t)version);
        wbuf_bytes(out, o.w.data, o.w.len);
    }
    proto_out_free(&o);
    return rc < 0 ? rc : 0;
}

int metadata_record_decode(const uint8_t *p, size_t len, struct arena *a,
                           struct metadata_record *out)
{
    struct rbuf r;
    memset(out, 0, sizeof(*out));
    rbuf_init(&r, p, len);
    uint32_t frame = rbuf_uvarint(&r);
    uint32_t type = rbuf_uvarint(&r);
    uint32_t version = rbuf_uvarint(&r);
    if (r.err)
        return SL_ECORRUPT;
    if (frame != MR_FRAME_VERSION)
        return SL_EUNSUPPORTED;
    const struct record_type_info *ti = type <= INT16_MAX ? type_info((int16_t)type) : NULL;
    if (!ti || version > (uint32_t)ti->max_version)
        return SL_EUNSUPPORTED;
    out->type = (int16_t)type;
    out->version = (int16_t)version;
    if (proto_decode(ti->schema, (int16_t)version, true, &r, &out->u, a) != 0 || r.err)
        return SL_ECORRUPT;
    if (rbuf_remaining(&r) != 0)
        return SL_ECORRUPT;
    return 0;
}
