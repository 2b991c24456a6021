/*
 * Codec schemas for ElectLeaders (43), from Kafka's message definitions
 * (msg_elect_leaders.h), plus Sluice's tagged target_leader field.
 */
#include "msg_elect_leaders.h"

#include <stddef.h>

/* ---- request ---- */

PROTO_TOPIC_INDEXES_SCHEMA(elect_leaders_req_topic_schema, struct elect_leaders_req_topic, topic,
                           partitions);

static const struct proto_field elect_leaders_req_fields[] = {
    PF_FIELD_D(struct elect_leaders_req, election_type, PF_INT8, 1, PROTO_VMAX,
               PROTO_ELECTION_PREFERRED),
    PF_SARRAY_N(struct elect_leaders_req, topic_partitions, elect_leaders_req_topic_schema, 0,
                PROTO_VMAX, 0),
    PF_FIELD_D(struct elect_leaders_req, timeout_ms, PF_INT32, 0, PROTO_VMAX, 60000),
    {.name = "target_leader",
     .type = PF_INT32,
     .vmin = 2,
     .vmax = PROTO_VMAX,
     .null_vmin = PROTO_VMAX,
     .tag = PROTO_ELECT_LEADERS_TAG_TARGET,
     .offset = offsetof(struct elect_leaders_req, target_leader),
     .dflt = -1},
};
PROTO_SCHEMA(proto_elect_leaders_req_schema, struct elect_leaders_req, elect_leaders_req_fields);

/* ---- response ---- */

static const struct proto_field elect_leaders_resp_partition_fields[] = {
    PF_FIELD(struct elect_leaders_resp_partition, partition_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct elect_leaders_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct elect_leaders_resp_partition, error_message, PF_STRING, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(elect_leaders_resp_partition_schema, struct elect_leaders_resp_partition,
                    elect_leaders_resp_partition_fields);

PROTO_TOPIC_SCHEMA(elect_leaders_resp_topic_schema, struct elect_leaders_resp_topic, topic,
                   partition_result, elect_leaders_resp_partition_schema);

static const struct proto_field elect_leaders_resp_fields[] = {
    PF_FIELD(struct elect_leaders_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct elect_leaders_resp, error_code, PF_INT16, 1, PROTO_VMAX),
    PF_SARRAY(struct elect_leaders_resp, replica_election_results, elect_leaders_resp_topic_schema,
              0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_elect_leaders_resp_schema, struct elect_leaders_resp, elect_leaders_resp_fields);
