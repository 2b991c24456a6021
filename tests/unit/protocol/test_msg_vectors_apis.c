/*
 * Hand-written wire vectors for the remaining message schemas of
 * protocol/messages.h, chosen where versions differ: Produce responses v2/v8/v9,
 * Metadata v12 by topic id, ListOffsets, FindCoordinator v0 and v4 (batched,
 * KIP-699), InitProducerId, OffsetForLeaderEpoch, CreateTopics v2/v5/v7,
 * DeleteTopics v1/v4/v6, DescribeConfigs v0 (is_default) / v1 (synonyms) / v4,
 * CreatePartitions and DescribeCluster.  Each vector is spelled out byte by
 * byte from Kafka's protocol guide and message definitions, decoded, checked
 * field by field (with Kafka's defaults for absent fields), re-encoded to the
 * same bytes, and every truncation of it is rejected.
 */
#include "msg_vectors.h"

#define TOPIC_ID_BYTES                                                                             \
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10
static const uint8_t topic_id[16] = {TOPIC_ID_BYTES};

static void ck_uuid(const struct uuid *u, const uint8_t *want)
{
    ck_assert_mem_eq(u->b, want, 16);
}

/* ------------------------------------------------------------------ */
/* Produce responses                                                    */
/* ------------------------------------------------------------------ */

START_TEST(produce_resp_v2)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(1),                           /* responses */
        B16(4), 't', 'e', 's', 't',
        B32(1),                           /* partition_responses */
        B32(0), B16(0),                   /* index, error_code */
        B64(100),                         /* base_offset */
        B64(-1),                          /* log_append_time_ms */
        B32(0),                           /* throttle_time_ms (v1+) */
    };
    /* clang-format on */
    struct produce_resp *m = VECTOR(proto_produce_resp_schema, 2, false, b);
    ck_assert_int_eq(m->responses.n, 1);
    ck_kstr(m->responses.v[0].name, "test");
    ck_assert_int_eq(m->responses.v[0].partition_responses.n, 1);
    struct produce_resp_partition *p = &m->responses.v[0].partition_responses.v[0];
    ck_assert_int_eq(p->index, 0);
    ck_assert_int_eq(p->error_code, 0);
    ck_assert_int_eq(p->base_offset, 100);
    ck_assert_int_eq(p->log_append_time_ms, -1);
    ck_assert_int_eq(p->log_start_offset, -1); /* v5+ */
    ck_assert_int_eq(p->record_errors.n, 0);   /* v8+ */
    ck_kstr(p->error_message, NULL);           /* v8+ */
    ck_assert_int_eq(m->throttle_time_ms, 0);
}
END_TEST

START_TEST(produce_resp_v8_record_errors)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(1),
        B16(4), 't', 'e', 's', 't',
        B32(1),
        B32(3), B16(87),                  /* index 3, INVALID_RECORD */
        B64(-1), B64(-1), B64(0),         /* base_offset, log_append_time, log_start */
        B32(1),                           /* record_errors */
        B32(2), B16(3), 'b', 'a', 'd',    /* batch_index, batch_index_error_message */
        B16(7), 'i', 'n', 'v', 'a', 'l', 'i', 'd', /* error_message */
        B32(5),                           /* throttle_time_ms */
    };
    /* clang-format on */
    struct produce_resp *m = VECTOR(proto_produce_resp_schema, 8, false, b);
    struct produce_resp_partition *p = &m->responses.v[0].partition_responses.v[0];
    ck_assert_int_eq(p->index, 3);
    ck_assert_int_eq(p->error_code, 87);
    ck_assert_int_eq(p->base_offset, -1);
    ck_assert_int_eq(p->log_append_time_ms, -1);
    ck_assert_int_eq(p->log_start_offset, 0);
    ck_assert_int_eq(p->record_errors.n, 1);
    ck_assert_int_eq(p->record_errors.v[0].batch_index, 2);
    ck_kstr(p->record_errors.v[0].batch_index_error_message, "bad");
    ck_kstr(p->error_message, "invalid");
    ck_assert_int_eq(m->throttle_time_ms, 5);
}
END_TEST

START_TEST(produce_resp_v9)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x02,                             /* responses: 1 */
        0x05, 't', 'e', 's', 't',
        0x02,                             /* partition_responses: 1 */
        B32(0), B16(0), B64(100), B64(-1), B64(0),
        0x01,                             /* record_errors: empty */
        0x00,                             /* error_message: null */
        0x00,                             /* partition tags */
        0x00,                             /* topic tags */
        B32(0),                           /* throttle_time_ms */
        0x00,                             /* tags */
    };
    /* clang-format on */
    struct produce_resp *m = VECTOR(proto_produce_resp_schema, 9, true, b);
    struct produce_resp_partition *p = &m->responses.v[0].partition_responses.v[0];
    ck_kstr(m->responses.v[0].name, "test");
    ck_assert_int_eq(p->base_offset, 100);
    ck_assert_int_eq(p->log_append_time_ms, -1);
    ck_assert_int_eq(p->log_start_offset, 0);
    ck_assert_int_eq(p->record_errors.n, 0);
    ck_kstr(p->error_message, NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Metadata by topic id                                                 */
/* ------------------------------------------------------------------ */

START_TEST(metadata_req_v12_by_id)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x02,                             /* topics: 1 */
        TOPIC_ID_BYTES,                   /* topic_id (v10+) */
        0x00,                             /* name: null (v10+) */
        0x00,                             /* topic tags */
        0x00,                             /* allow_auto_topic_creation */
        0x01,                             /* include_topic_authorized_operations */
        0x00,                             /* tags (no cluster flag after v10) */
    };
    /* clang-format on */
    struct metadata_req *m = VECTOR(proto_metadata_req_schema, 12, true, b);
    ck_assert_int_eq(m->topics.n, 1);
    ck_uuid(&m->topics.v[0].topic_id, topic_id);
    ck_kstr(m->topics.v[0].name, NULL);
    ck_assert(!m->allow_auto_topic_creation);
    ck_assert(!m->include_cluster_authorized_operations);
    ck_assert(m->include_topic_authorized_operations);
}
END_TEST

START_TEST(metadata_resp_v12_topic_id)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0),                           /* throttle_time_ms */
        0x01,                             /* brokers: empty */
        0x00,                             /* cluster_id: null */
        B32(-1),                          /* controller_id */
        0x02,                             /* topics: 1 */
        B16(3),                           /* UNKNOWN_TOPIC_OR_PARTITION */
        0x00,                             /* name: null (v12+) */
        TOPIC_ID_BYTES,
        0x00,                             /* is_internal */
        0x01,                             /* partitions: empty */
        B32(INT32_MIN),                   /* topic_authorized_operations */
        0x00,                             /* topic tags */
        0x00,                             /* tags (no cluster ops after v10) */
    };
    /* clang-format on */
    struct metadata_resp *m = VECTOR(proto_metadata_resp_schema, 12, true, b);
    ck_assert_int_eq(m->brokers.n, 0);
    ck_kstr(m->cluster_id, NULL);
    ck_assert_int_eq(m->controller_id, -1);
    ck_assert_int_eq(m->topics.n, 1);
    ck_assert_int_eq(m->topics.v[0].error_code, 3);
    ck_kstr(m->topics.v[0].name, NULL);
    ck_uuid(&m->topics.v[0].topic_id, topic_id);
    ck_assert_int_eq(m->topics.v[0].partitions.n, 0);
    ck_assert_int_eq(m->cluster_authorized_operations, INT32_MIN);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ListOffsets                                                          */
/* ------------------------------------------------------------------ */

START_TEST(list_offsets_req_v1)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(-1),                          /* replica_id */
        B32(1),                           /* topics */
        B16(4), 't', 'e', 's', 't',
        B32(1),                           /* partitions */
        B32(0), B64(-2),                  /* partition_index, timestamp: earliest */
    };
    /* clang-format on */
    struct list_offsets_req *m = VECTOR(proto_list_offsets_req_schema, 1, false, b);
    ck_assert_int_eq(m->replica_id, -1);
    ck_assert_int_eq(m->isolation_level, 0); /* v2+ */
    ck_assert_int_eq(m->topics.n, 1);
    ck_kstr(m->topics.v[0].name, "test");
    ck_assert_int_eq(m->topics.v[0].partitions.n, 1);
    ck_assert_int_eq(m->topics.v[0].partitions.v[0].partition_index, 0);
    ck_assert_int_eq(m->topics.v[0].partitions.v[0].current_leader_epoch, -1); /* v4+ */
    ck_assert_int_eq(m->topics.v[0].partitions.v[0].timestamp, -2);
}
END_TEST

START_TEST(list_offsets_v7)
{
    /* clang-format off */
    static const uint8_t req[] = {
        B32(-1), 0x01,                    /* replica_id, isolation_level */
        0x02, 0x05, 't', 'e', 's', 't',   /* topics: 1 */
        0x02, B32(0), B32(3), B64(-3),    /* partition 0, epoch 3, max timestamp */
        0x00, 0x00, 0x00,                 /* partition, topic, top-level tags */
    };
    static const uint8_t resp[] = {
        B32(0),                           /* throttle_time_ms */
        0x02, 0x05, 't', 'e', 's', 't',
        0x02,
        B32(0), B16(0),                   /* partition_index, error_code */
        B64(1700000000000),               /* timestamp */
        B64(42),                          /* offset */
        B32(3),                           /* leader_epoch */
        0x00, 0x00, 0x00,
    };
    /* clang-format on */
    struct list_offsets_req *q = VECTOR(proto_list_offsets_req_schema, 7, true, req);
    ck_assert_int_eq(q->isolation_level, 1);
    ck_assert_int_eq(q->topics.v[0].partitions.v[0].current_leader_epoch, 3);
    ck_assert_int_eq(q->topics.v[0].partitions.v[0].timestamp, -3);
    struct list_offsets_resp *r = VECTOR(proto_list_offsets_resp_schema, 7, true, resp);
    ck_assert_int_eq(r->throttle_time_ms, 0);
    ck_kstr(r->topics.v[0].name, "test");
    struct list_offsets_resp_partition *p = &r->topics.v[0].partitions.v[0];
    ck_assert_int_eq(p->partition_index, 0);
    ck_assert_int_eq(p->error_code, 0);
    ck_assert_int_eq(p->timestamp, 1700000000000);
    ck_assert_int_eq(p->offset, 42);
    ck_assert_int_eq(p->leader_epoch, 3);
}
END_TEST

START_TEST(list_offsets_resp_v1)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(1), B16(4), 't', 'e', 's', 't',
        B32(1), B32(0), B16(0), B64(-1), B64(17),
    };
    /* clang-format on */
    struct list_offsets_resp *r = VECTOR(proto_list_offsets_resp_schema, 1, false, b);
    ck_assert_int_eq(r->throttle_time_ms, 0); /* v2+ */
    struct list_offsets_resp_partition *p = &r->topics.v[0].partitions.v[0];
    ck_assert_int_eq(p->timestamp, -1);
    ck_assert_int_eq(p->offset, 17);
    ck_assert_int_eq(p->leader_epoch, -1); /* v4+ */
}
END_TEST

/* ------------------------------------------------------------------ */
/* FindCoordinator                                                      */
/* ------------------------------------------------------------------ */

START_TEST(find_coordinator_v0)
{
    static const uint8_t req[] = {B16(4), 'g', 'r', 'p', '1'};
    /* clang-format off */
    static const uint8_t resp[] = {
        B16(0),                           /* error_code */
        B32(1),                           /* node_id */
        B16(9), 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
        B32(9092),                        /* port */
    };
    /* clang-format on */
    struct find_coordinator_req *q = VECTOR(proto_find_coordinator_req_schema, 0, false, req);
    ck_kstr(q->key, "grp1");
    ck_assert_int_eq(q->key_type, 0);
    ck_assert_int_eq(q->coordinator_keys.n, 0);
    struct find_coordinator_resp *r = VECTOR(proto_find_coordinator_resp_schema, 0, false, resp);
    ck_assert_int_eq(r->throttle_time_ms, 0);
    ck_assert_int_eq(r->error_code, 0);
    ck_kstr(r->error_message, NULL);
    ck_assert_int_eq(r->node_id, 1);
    ck_kstr(r->host, "localhost");
    ck_assert_int_eq(r->port, 9092);
    ck_assert_int_eq(r->coordinators.n, 0);
}
END_TEST

START_TEST(find_coordinator_v3)
{
    /* clang-format off */
    static const uint8_t req[] = {
        0x05, 'g', 'r', 'p', '1',         /* key */
        0x00,                             /* key_type: group */
        0x00,                             /* tags */
    };
    static const uint8_t resp[] = {
        B32(0),                           /* throttle_time_ms */
        B16(15),                          /* COORDINATOR_NOT_AVAILABLE */
        0x05, 'w', 'a', 'i', 't',         /* error_message */
        B32(-1),                          /* node_id */
        0x01,                             /* host: "" */
        B32(-1),                          /* port */
        0x00,                             /* tags */
    };
    /* clang-format on */
    struct find_coordinator_req *q = VECTOR(proto_find_coordinator_req_schema, 3, true, req);
    ck_kstr(q->key, "grp1");
    struct find_coordinator_resp *r = VECTOR(proto_find_coordinator_resp_schema, 3, true, resp);
    ck_assert_int_eq(r->error_code, 15);
    ck_kstr(r->error_message, "wait");
    ck_assert_int_eq(r->node_id, -1);
    ck_kstr(r->host, "");
    ck_assert_int_eq(r->port, -1);
}
END_TEST

START_TEST(find_coordinator_v4_batched)
{
    /* clang-format off */
    static const uint8_t req[] = {
        0x01,                             /* key_type: transaction */
        0x03,                             /* coordinator_keys: 2 */
        0x03, 't', '1',
        0x03, 't', '2',
        0x00,                             /* tags */
    };
    static const uint8_t resp[] = {
        B32(0),                           /* throttle_time_ms */
        0x03,                             /* coordinators: 2 */
        0x03, 't', '1', B32(1),           /* key, node_id */
        0x0a, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
        B32(9092), B16(0), 0x00, 0x00,    /* port, error_code, error_message null, tags */
        0x03, 't', '2', B32(-1),
        0x01,                             /* host: "" */
        B32(-1), B16(15), 0x00, 0x00,
        0x00,                             /* tags */
    };
    /* clang-format on */
    struct find_coordinator_req *q = VECTOR(proto_find_coordinator_req_schema, 4, true, req);
    ck_kstr(q->key, NULL); /* v0-3 */
    ck_assert_int_eq(q->key_type, 1);
    ck_assert_int_eq(q->coordinator_keys.n, 2);
    ck_kstr(q->coordinator_keys.v[0], "t1");
    ck_kstr(q->coordinator_keys.v[1], "t2");
    struct find_coordinator_resp *r = VECTOR(proto_find_coordinator_resp_schema, 4, true, resp);
    ck_assert_int_eq(r->coordinators.n, 2);
    ck_kstr(r->coordinators.v[0].key, "t1");
    ck_assert_int_eq(r->coordinators.v[0].node_id, 1);
    ck_kstr(r->coordinators.v[0].host, "localhost");
    ck_assert_int_eq(r->coordinators.v[0].port, 9092);
    ck_assert_int_eq(r->coordinators.v[0].error_code, 0);
    ck_kstr(r->coordinators.v[0].error_message, NULL);
    ck_kstr(r->coordinators.v[1].key, "t2");
    ck_assert_int_eq(r->coordinators.v[1].node_id, -1);
    ck_kstr(r->coordinators.v[1].host, "");
    ck_assert_int_eq(r->coordinators.v[1].error_code, 15);
    ck_kstr(r->host, NULL); /* v0-3 */
}
END_TEST

/* ------------------------------------------------------------------ */
/* InitProducerId                                                       */
/* ------------------------------------------------------------------ */

START_TEST(init_producer_id_v0)
{
    static const uint8_t req[] = {B16(-1), B32(60000)};
    static const uint8_t resp[] = {B32(0), B16(0), B64(1000), B16(0)};
    struct init_producer_id_req *q = VECTOR(proto_init_producer_id_req_schema, 0, false, req);
    ck_kstr(q->transactional_id, NULL);
    ck_assert_int_eq(q->transaction_timeout_ms, 60000);
    ck_assert_int_eq(q->producer_id, -1);    /* v3+ */
    ck_assert_int_eq(q->producer_epoch, -1); /* v3+ */
    struct init_producer_id_resp *r = VECTOR(proto_init_producer_id_resp_schema, 0, false, resp);
    ck_assert_int_eq(r->throttle_time_ms, 0);
    ck_assert_int_eq(r->error_code, 0);
    ck_assert_int_eq(r->producer_id, 1000);
    ck_assert_int_eq(r->producer_epoch, 0);
}
END_TEST

START_TEST(init_producer_id_v4)
{
    /* clang-format off */
    static const uint8_t req[] = {
        0x04, 't', 'x', '1',              /* transactional_id */
        B32(60000),                       /* transaction_timeout_ms */
        B64(1000), B16(2),                /* producer_id, producer_epoch (KIP-360) */
        0x00,
    };
    static const uint8_t resp[] = {B32(0), B16(0), B64(1000), B16(3), 0x00};
    /* clang-format on */
    struct init_producer_id_req *q = VECTOR(proto_init_producer_id_req_schema, 4, true, req);
    ck_kstr(q->transactional_id, "tx1");
    ck_assert_int_eq(q->producer_id, 1000);
    ck_assert_int_eq(q->producer_epoch, 2);
    struct init_producer_id_resp *r = VECTOR(proto_init_producer_id_resp_schema, 4, true, resp);
    ck_assert_int_eq(r->producer_id, 1000);
    ck_assert_int_eq(r->producer_epoch, 3);
}
END_TEST

/* ------------------------------------------------------------------ */
/* OffsetForLeaderEpoch                                                 */
/* ------------------------------------------------------------------ */

START_TEST(offset_for_leader_epoch_v2)
{
    /* clang-format off */
    static const uint8_t req[] = {
        B32(1), B16(4), 't', 'e', 's', 't',
        B32(1), B32(0), B32(5), B32(4),   /* partition, current_leader_epoch, leader_epoch */
    };
    static const uint8_t resp[] = {
        B32(0),                           /* throttle_time_ms */
        B32(1), B16(4), 't', 'e', 's', 't',
        B32(1), B16(0), B32(0), B32(4), B64(120),
    };
    /* clang-format on */
    struct offset_for_leader_epoch_req *q =
        VECTOR(proto_offset_for_leader_epoch_req_schema, 2, false, req);
    ck_assert_int_eq(q->replica_id, -2); /* v3+: consumer */
    ck_kstr(q->topics.v[0].topic, "test");
    ck_assert_int_eq(q->topics.v[0].partitions.v[0].partition, 0);
    ck_assert_int_eq(q->topics.v[0].partitions.v[0].current_leader_epoch, 5);
    ck_assert_int_eq(q->topics.v[0].partitions.v[0].leader_epoch, 4);
    struct offset_for_leader_epoch_resp *r =
        VECTOR(proto_offset_for_leader_epoch_resp_schema, 2, false, resp);
    struct offset_for_leader_epoch_resp_partition *p = &r->topics.v[0].partitions.v[0];
    ck_assert_int_eq(p->error_code, 0);
    ck_assert_int_eq(p->partition, 0);
    ck_assert_int_eq(p->leader_epoch, 4);
    ck_assert_int_eq(p->end_offset, 120);
}
END_TEST

START_TEST(offset_for_leader_epoch_v4)
{
    /* clang-format off */
    static const uint8_t req[] = {
        B32(2),                           /* replica_id: follower 2 */
        0x02, 0x05, 't', 'e', 's', 't',
        0x02, B32(1), B32(-1), B32(7), 0x00,
        0x00, 0x00,
    };
    static const uint8_t resp[] = {
        B32(0),
        0x02, 0x05, 't', 'e', 's', 't',
        0x02, B16(74), B32(1), B32(-1), B64(-1), 0x00, /* FENCED_LEADER_EPOCH */
        0x00, 0x00,
    };
    /* clang-format on */
    struct offset_for_leader_epoch_req *q =
        VECTOR(proto_offset_for_leader_epoch_req_schema, 4, true, req);
    ck_assert_int_eq(q->replica_id, 2);
    ck_assert_int_eq(q->topics.v[0].partitions.v[0].partition, 1);
    ck_assert_int_eq(q->topics.v[0].partitions.v[0].current_leader_epoch, -1);
    ck_assert_int_eq(q->topics.v[0].partitions.v[0].leader_epoch, 7);
    struct offset_for_leader_epoch_resp *r =
        VECTOR(proto_offset_for_leader_epoch_resp_schema, 4, true, resp);
    ck_assert_int_eq(r->topics.v[0].partitions.v[0].error_code, 74);
    ck_assert_int_eq(r->topics.v[0].partitions.v[0].leader_epoch, -1);
    ck_assert_int_eq(r->topics.v[0].partitions.v[0].end_offset, -1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* CreateTopics                                                         */
/* ------------------------------------------------------------------ */

START_TEST(create_topics_v2)
{
    /* clang-format off */
    static const uint8_t req[] = {
        B32(1),                           /* topics */
        B16(4), 't', 'e', 's', 't',
        B32(-1), B16(-1),                 /* num_partitions, replication_factor */
        B32(1),                           /* assignments */
        B32(0), B32(2), B32(1), B32(2),   /* partition_index, broker_ids [1, 2] */
        B32(1),                           /* configs */
        B16(14), 'c', 'l', 'e', 'a', 'n', 'u', 'p', '.', 'p', 'o', 'l', 'i', 'c', 'y',
        B16(-1),                          /* value: null */
        B32(5000),                        /* timeout_ms */
        0x01,                             /* validate_only */
    };
    static const uint8_t resp[] = {
        B32(0),                           /* throttle_time_ms */
        B32(1),
        B16(4), 't', 'e', 's', 't',
        B16(36),                          /* TOPIC_ALREADY_EXISTS */
        B16(6), 'e', 'x', 'i', 's', 't', 's',
    };
    /* clang-format on */
    struct create_topics_req *q = VECTOR(proto_create_topics_req_schema, 2, false, req);
    ck_assert_int_eq(q->topics.n, 1);
    struct create_topics_req_topic *t = &q->topics.v[0];
    ck_kstr(t->name, "test");
    ck_assert_int_eq(t->num_partitions, -1);
    ck_assert_int_eq(t->replication_factor, -1);
    ck_assert_int_eq(t->assignments.n, 1);
    ck_assert_int_eq(t->assignments.v[0].partition_index, 0);
    ck_assert_int_eq(t->assignments.v[0].broker_ids.n, 2);
    ck_assert_int_eq(t->assignments.v[0].broker_ids.v[0], 1);
    ck_assert_int_eq(t->assignments.v[0].broker_ids.v[1], 2);
    ck_assert_int_eq(t->configs.n, 1);
    ck_kstr(t->configs.v[0].name, "cleanup.policy");
    ck_kstr(t->configs.v[0].value, NULL);
    ck_assert_int_eq(q->timeout_ms, 5000);
    ck_assert(q->validate_only);

    struct create_topics_resp *r = VECTOR(proto_create_topics_resp_schema, 2, false, resp);
    ck_assert_int_eq(r->topics.n, 1);
    struct create_topics_resp_topic *rt = &r->topics.v[0];
    ck_kstr(rt->name, "test");
    ck_assert_int_eq(rt->error_code, 36);
    ck_kstr(rt->error_message, "exists");
    ck_assert_int_eq(rt->topic_config_error_code, 0);
    ck_assert_int_eq(rt->num_partitions, -1);     /* v5+ */
    ck_assert_int_eq(rt->replication_factor, -1); /* v5+ */
    ck_assert_int_eq(rt->configs.n, 0);           /* v5+ */
}
END_TEST

START_TEST(create_topics_req_v5)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x02,                             /* topics: 1 */
        0x05, 't', 'e', 's', 't',
        B32(3), B16(1),                   /* num_partitions, replication_factor */
        0x01,                             /* assignments: empty */
        0x02,                             /* configs: 1 */
        0x0f, 'c', 'l', 'e', 'a', 'n', 'u', 'p', '.', 'p', 'o', 'l', 'i', 'c', 'y',
        0x08, 'c', 'o', 'm', 'p', 'a', 'c', 't',
        0x00,                             /* config tags */
        0x00,                             /* topic tags */
        B32(30000),                       /* timeout_ms */
        0x00,                             /* validate_only */
        0x00,                             /* tags */
    };
    /* clang-format on */
    struct create_topics_req *q = VECTOR(proto_create_topics_req_schema, 5, true, b);
    struct create_topics_req_topic *t = &q->topics.v[0];
    ck_kstr(t->name, "test");
    ck_assert_int_eq(t->num_partitions, 3);
    ck_assert_int_eq(t->replication_factor, 1);
    ck_assert_int_eq(t->assignments.n, 0);
    ck_assert_int_eq(t->configs.n, 1);
    ck_kstr(t->configs.v[0].name, "cleanup.policy");
    ck_kstr(t->configs.v[0].value, "compact");
    ck_assert_int_eq(q->timeout_ms, 30000);
    ck_assert(!q->validate_only);
}
END_TEST

START_TEST(create_topics_resp_v7)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0),                           /* throttle_time_ms */
        0x02,                             /* topics: 1 */
        0x05, 't', 'e', 's', 't',
        TOPIC_ID_BYTES,                   /* topic_id (v7+) */
        B16(0),                           /* error_code */
        0x00,                             /* error_message: null */
        B32(3), B16(1),                   /* num_partitions, replication_factor */
        0x02,                             /* configs: 1 */
        0x0f, 'c', 'l', 'e', 'a', 'n', 'u', 'p', '.', 'p', 'o', 'l', 'i', 'c', 'y',
        0x08, 'c', 'o', 'm', 'p', 'a', 'c', 't',
        0x00,                             /* read_only */
        0x01,                             /* config_source: DYNAMIC_TOPIC_CONFIG */
        0x00,                             /* is_sensitive */
        0x00,                             /* config tags */
        0x01,                             /* topic tags: 1 */
        0x00, 0x02, B16(29),              /* tag 0 topic_config_error_code, 2 bytes */
        0x00,                             /* tags */
    };
    /* clang-format on */
    struct create_topics_resp *r = VECTOR(proto_create_topics_resp_schema, 7, true, b);
    struct create_topics_resp_topic *t = &r->topics.v[0];
    ck_kstr(t->name, "test");
    ck_uuid(&t->topic_id, topic_id);
    ck_assert_int_eq(t->error_code, 0);
    ck_kstr(t->error_message, NULL);
    ck_assert_int_eq(t->topic_config_error_code, 29);
    ck_assert_int_eq(t->num_partitions, 3);
    ck_assert_int_eq(t->replication_factor, 1);
    ck_assert_int_eq(t->configs.n, 1);
    ck_kstr(t->configs.v[0].name, "cleanup.policy");
    ck_kstr(t->configs.v[0].value, "compact");
    ck_assert(!t->configs.v[0].read_only);
    ck_assert_int_eq(t->configs.v[0].config_source, 1);
    ck_assert(!t->configs.v[0].is_sensitive);
}
END_TEST

/* ------------------------------------------------------------------ */
/* DeleteTopics                                                         */
/* ------------------------------------------------------------------ */

START_TEST(delete_topics_v1)
{
    static const uint8_t req[] = {B32(2), B16(1), 'a', B16(1), 'b', B32(30000)};
    static const uint8_t resp[] = {B32(0), B32(1), B16(1), 'a', B16(0)};
    struct delete_topics_req *q = VECTOR(proto_delete_topics_req_schema, 1, false, req);
    ck_assert_int_eq(q->topics.n, 0); /* v6+ */
    ck_assert_int_eq(q->topic_names.n, 2);
    ck_kstr(q->topic_names.v[0], "a");
    ck_kstr(q->topic_names.v[1], "b");
    ck_assert_int_eq(q->timeout_ms, 30000);
    struct delete_topics_resp *r = VECTOR(proto_delete_topics_resp_schema, 1, false, resp);
    ck_assert_int_eq(r->responses.n, 1);
    ck_kstr(r->responses.v[0].name, "a");
    ck_assert_int_eq(r->responses.v[0].error_code, 0);
    ck_kstr(r->responses.v[0].error_message, NULL); /* v5+ */
}
END_TEST

START_TEST(delete_topics_v4)
{
    /* clang-format off */
    static const uint8_t req[] = {
        0x03, 0x02, 'a', 0x02, 'b',       /* topic_names: 2 */
        B32(30000), 0x00,
    };
    static const uint8_t resp[] = {
        B32(0),
        0x03,                             /* responses: 2 */
        0x02, 'a', B16(0), 0x00,
        0x02, 'b', B16(3), 0x00,          /* UNKNOWN_TOPIC_OR_PARTITION */
        0x00,
    };
    /* clang-format on */
    struct delete_topics_req *q = VECTOR(proto_delete_topics_req_schema, 4, true, req);
    ck_assert_int_eq(q->topic_names.n, 2);
    ck_kstr(q->topic_names.v[1], "b");
    struct delete_topics_resp *r = VECTOR(proto_delete_topics_resp_schema, 4, true, resp);
    ck_assert_int_eq(r->responses.n, 2);
    ck_kstr(r->responses.v[1].name, "b");
    ck_assert_int_eq(r->responses.v[1].error_code, 3);
}
END_TEST

START_TEST(delete_topics_v6)
{
    /* clang-format off */
    static const uint8_t req[] = {
        0x03,                             /* topics: 2 */
        0x00, TOPIC_ID_BYTES, 0x00,       /* by id: name null */
        0x02, 'b',                        /* by name: topic_id zero */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x00,
        B32(30000), 0x00,
    };
    static const uint8_t resp[] = {
        B32(0),
        0x02,
        0x02, 'a', TOPIC_ID_BYTES, B16(0),
        0x00,                             /* error_message: null */
        0x00,
        0x00,
    };
    /* clang-format on */
    struct delete_topics_req *q = VECTOR(proto_delete_topics_req_schema, 6, true, req);
    ck_assert_int_eq(q->topic_names.n, 0); /* v0-5 */
    ck_assert_int_eq(q->topics.n, 2);
    ck_kstr(q->topics.v[0].name, NULL);
    ck_uuid(&q->topics.v[0].topic_id, topic_id);
    ck_kstr(q->topics.v[1].name, "b");
    ck_assert(uuid_is_zero(&q->topics.v[1].topic_id));
    struct delete_topics_resp *r = VECTOR(proto_delete_topics_resp_schema, 6, true, resp);
    ck_kstr(r->responses.v[0].name, "a");
    ck_uuid(&r->responses.v[0].topic_id, topic_id);
    ck_kstr(r->responses.v[0].error_message, NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* DescribeConfigs                                                      */
/* ------------------------------------------------------------------ */

START_TEST(describe_configs_v0)
{
    /* clang-format off */
    static const uint8_t req[] = {
        B32(1),                           /* resources */
        0x02,                             /* resource_type: topic */
        B16(4), 't', 'e', 's', 't',
        B32(-1),                          /* configuration_keys: null = all */
    };
    static const uint8_t resp[] = {
        B32(0),                           /* throttle_time_ms */
        B32(1),                           /* results */
        B16(0), B16(-1),                  /* error_code, error_message */
        0x02, B16(4), 't', 'e', 's', 't', /* resource_type, resource_name */
        B32(1),                           /* configs */
        B16(14), 'c', 'l', 'e', 'a', 'n', 'u', 'p', '.', 'p', 'o', 'l', 'i', 'c', 'y',
        B16(6), 'd', 'e', 'l', 'e', 't', 'e',
        0x00,                             /* read_only */
        0x01,                             /* is_default (v0 only) */
        0x00,                             /* is_sensitive */
    };
    /* clang-format on */
    struct describe_configs_req *q = VECTOR(proto_describe_configs_req_schema, 0, false, req);
    ck_assert_int_eq(q->resources.n, 1);
    ck_assert_int_eq(q->resources.v[0].resource_type, 2);
    ck_kstr(q->resources.v[0].resource_name, "test");
    ck_assert_int_eq(q->resources.v[0].configuration_keys.n, -1);
    ck_assert(!q->include_synonyms);
    ck_assert(!q->include_documentation);
    struct describe_configs_resp *r = VECTOR(proto_describe_configs_resp_schema, 0, false, resp);
    ck_assert_int_eq(r->results.n, 1);
    struct describe_configs_resp_result *res = &r->results.v[0];
    ck_assert_int_eq(res->error_code, 0);
    ck_kstr(res->error_message, NULL);
    ck_assert_int_eq(res->resource_type, 2);
    ck_kstr(res->resource_name, "test");
    ck_assert_int_eq(res->configs.n, 1);
    struct describe_configs_resp_config *c = &res->configs.v[0];
    ck_kstr(c->name, "cleanup.policy");
    ck_kstr(c->value, "delete");
    ck_assert(!c->read_only);
    ck_assert(c->is_default);
    ck_assert_int_eq(c->config_source, -1); /* v1+ */
    ck_assert(!c->is_sensitive);
    ck_assert_int_eq(c->synonyms.n, 0);
    ck_assert_int_eq(c->config_type, 0);
    ck_kstr(c->documentation, NULL);
}
END_TEST

START_TEST(describe_configs_v1_synonyms)
{
    /* clang-format off */
    static const uint8_t req[] = {
        B32(1), 0x04, B16(1), '1',        /* broker 1 */
        B32(1), B16(8), 'l', 'o', 'g', '.', 'd', 'i', 'r', 's',
        0x01,                             /* include_synonyms */
    };
    static const uint8_t resp[] = {
        B32(0),
        B32(1),
        B16(0), B16(-1), 0x04, B16(1), '1',
        B32(1),
        B16(8), 'l', 'o', 'g', '.', 'd', 'i', 'r', 's',
        B16(4), '/', 't', 'm', 'p',
        0x01,                             /* read_only */
        0x04,                             /* config_source: STATIC_BROKER_CONFIG */
        0x00,                             /* is_sensitive */
        B32(1),                           /* synonyms */
        B16(8), 'l', 'o', 'g', '.', 'd', 'i', 'r', 's',
        B16(4), '/', 't', 'm', 'p',
        0x04,                             /* source */
    };
    /* clang-format on */
    struct describe_configs_req *q = VECTOR(proto_describe_configs_req_schema, 1, false, req);
    ck_assert_int_eq(q->resources.v[0].resource_type, 4);
    ck_kstr(q->resources.v[0].resource_name, "1");
    ck_assert_int_eq(q->resources.v[0].configuration_keys.n, 1);
    ck_kstr(q->resources.v[0].configuration_keys.v[0], "log.dirs");
    ck_assert(q->include_synonyms);
    struct describe_configs_resp *r = VECTOR(proto_describe_configs_resp_schema, 1, false, resp);
    struct describe_configs_resp_config *c = &r->results.v[0].configs.v[0];
    ck_kstr(c->name, "log.dirs");
    ck_kstr(c->value, "/tmp");
    ck_assert(c->read_only);
    ck_assert(!c->is_default); /* v0 only */
    ck_assert_int_eq(c->config_source, 4);
    ck_assert_int_eq(c->synonyms.n, 1);
    ck_kstr(c->synonyms.v[0].name, "log.dirs");
    ck_kstr(c->synonyms.v[0].value, "/tmp");
    ck_assert_int_eq(c->synonyms.v[0].source, 4);
}
END_TEST

START_TEST(describe_configs_v4)
{
    /* clang-format off */
    static const uint8_t req[] = {
        0x02, 0x02, 0x05, 't', 'e', 's', 't',
        0x01,                             /* configuration_keys: empty */
        0x00,
        0x00, 0x01,                       /* include_synonyms, include_documentation */
        0x00,
    };
    static const uint8_t resp[] = {
        B32(0),
        0x02,
        B16(0), 0x00, 0x02, 0x05, 't', 'e', 's', 't',
        0x02,                             /* configs: 1 */
        0x0f, 'c', 'l', 'e', 'a', 'n', 'u', 'p', '.', 'p', 'o', 'l', 'i', 'c', 'y',
        0x07, 'd', 'e', 'l', 'e', 't', 'e',
        0x00, 0x05, 0x00,                 /* read_only, config_source DEFAULT_CONFIG, sensitive */
        0x01,                             /* synonyms: empty */
        0x07,                             /* config_type: LIST */
        0x04, 'd', 'o', 'c',              /* documentation */
        0x00,                             /* config tags */
        0x00,                             /* result tags */
        0x00,
    };
    /* clang-format on */
    struct describe_configs_req *q = VECTOR(proto_describe_configs_req_schema, 4, true, req);
    ck_assert_int_eq(q->resources.v[0].configuration_keys.n, 0);
    ck_assert(!q->include_synonyms);
    ck_assert(q->include_documentation);
    struct describe_configs_resp *r = VECTOR(proto_describe_configs_resp_schema, 4, true, resp);
    struct describe_configs_resp_config *c = &r->results.v[0].configs.v[0];
    ck_kstr(c->value, "delete");
    ck_assert_int_eq(c->config_source, 5);
    ck_assert_int_eq(c->config_type, 7);
    ck_kstr(c->documentation, "doc");
}
END_TEST

/* ------------------------------------------------------------------ */
/* CreatePartitions                                                     */
/* ------------------------------------------------------------------ */

START_TEST(create_partitions_v0)
{
    /* clang-format off */
    static const uint8_t req[] = {
        B32(1), B16(4), 't', 'e', 's', 't',
        B32(6),                           /* count */
        B32(-1),                          /* assignments: null */
        B32(5000), 0x00,                  /* timeout_ms, validate_only */
    };
    static const uint8_t resp[] = {
        B32(0), B32(1), B16(4), 't', 'e', 's', 't', B16(0), B16(-1),
    };
    /* clang-format on */
    struct create_partitions_req *q = VECTOR(proto_create_partitions_req_schema, 0, false, req);
    ck_kstr(q->topics.v[0].name, "test");
    ck_assert_int_eq(q->topics.v[0].count, 6);
    ck_assert_int_eq(q->topics.v[0].assignments.n, -1);
    ck_assert_int_eq(q->timeout_ms, 5000);
    ck_assert(!q->validate_only);
    struct create_partitions_resp *r = VECTOR(proto_create_partitions_resp_schema, 0, false, resp);
    ck_kstr(r->results.v[0].name, "test");
    ck_assert_int_eq(r->results.v[0].error_code, 0);
    ck_kstr(r->results.v[0].error_message, NULL);
}
END_TEST

START_TEST(create_partitions_v3)
{
    /* clang-format off */
    static const uint8_t req[] = {
        0x02, 0x05, 't', 'e', 's', 't', B32(4),
        0x02,                             /* assignments: 1 */
        0x03, B32(2), B32(1), 0x00,       /* broker_ids [2, 1] */
        0x00,                             /* topic tags */
        B32(5000), 0x01, 0x00,
    };
    static const uint8_t resp[] = {
        B32(0), 0x02, 0x05, 't', 'e', 's', 't',
        B16(37), 0x06, 'f', 'e', 'w', 'e', 'r', 0x00,  /* INVALID_PARTITIONS */
        0x00,
    };
    /* clang-format on */
    struct create_partitions_req *q = VECTOR(proto_create_partitions_req_schema, 3, true, req);
    ck_assert_int_eq(q->topics.v[0].count, 4);
    ck_assert_int_eq(q->topics.v[0].assignments.n, 1);
    ck_assert_int_eq(q->topics.v[0].assignments.v[0].broker_ids.n, 2);
    ck_assert_int_eq(q->topics.v[0].assignments.v[0].broker_ids.v[0], 2);
    ck_assert_int_eq(q->topics.v[0].assignments.v[0].broker_ids.v[1], 1);
    ck_assert(q->validate_only);
    struct create_partitions_resp *r = VECTOR(proto_create_partitions_resp_schema, 3, true, resp);
    ck_assert_int_eq(r->results.v[0].error_code, 37);
    ck_kstr(r->results.v[0].error_message, "fewer");
}
END_TEST

/* ------------------------------------------------------------------ */
/* DescribeCluster (flexible from v0)                                   */
/* ------------------------------------------------------------------ */

START_TEST(describe_cluster_v0)
{
    static const uint8_t req[] = {0x00, 0x00};
    /* clang-format off */
    static const uint8_t resp[] = {
        B32(0), B16(0),                   /* throttle_time_ms, error_code */
        0x00,                             /* error_message: null */
        0x05, 'a', 'b', 'c', 'd',         /* cluster_id */
        B32(1),                           /* controller_id */
        0x02,                             /* brokers: 1 */
        B32(1), 0x0a, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', B32(9092),
        0x00, 0x00,                       /* rack: null, broker tags */
        B32(INT32_MIN),                   /* cluster_authorized_operations */
        0x00,
    };
    /* clang-format on */
    struct describe_cluster_req *q = VECTOR(proto_describe_cluster_req_schema, 0, true, req);
    ck_assert(!q->include_cluster_authorized_operations);
    ck_assert_int_eq(q->endpoint_type, 1); /* v1+ */
    struct describe_cluster_resp *r = VECTOR(proto_describe_cluster_resp_schema, 0, true, resp);
    ck_assert_int_eq(r->error_code, 0);
    ck_kstr(r->error_message, NULL);
    ck_assert_int_eq(r->endpoint_type, 1);
    ck_kstr(r->cluster_id, "abcd");
    ck_assert_int_eq(r->controller_id, 1);
    ck_assert_int_eq(r->brokers.n, 1);
    ck_assert_int_eq(r->brokers.v[0].broker_id, 1);
    ck_kstr(r->brokers.v[0].host, "localhost");
    ck_assert_int_eq(r->brokers.v[0].port, 9092);
    ck_kstr(r->brokers.v[0].rack, NULL);
    ck_assert_int_eq(r->cluster_authorized_operations, INT32_MIN);
}
END_TEST

START_TEST(describe_cluster_v1)
{
    static const uint8_t req[] = {0x01, 0x02, 0x00};
    /* clang-format off */
    static const uint8_t resp[] = {
        B32(0), B16(0), 0x00,
        0x02,                             /* endpoint_type: controllers */
        0x05, 'a', 'b', 'c', 'd', B32(1),
        0x02, B32(1), 0x0a, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', B32(9093),
        0x03, 'r', '1', 0x00,             /* rack, broker tags */
        B32(0),
        0x00,
    };
    /* clang-format on */
    struct describe_cluster_req *q = VECTOR(proto_describe_cluster_req_schema, 1, true, req);
    ck_assert(q->include_cluster_authorized_operations);
    ck_assert_int_eq(q->endpoint_type, 2);
    struct describe_cluster_resp *r = VECTOR(proto_describe_cluster_resp_schema, 1, true, resp);
    ck_assert_int_eq(r->endpoint_type, 2);
    ck_assert_int_eq(r->brokers.v[0].port, 9093);
    ck_kstr(r->brokers.v[0].rack, "r1");
    ck_assert_int_eq(r->cluster_authorized_operations, 0);
}
END_TEST

static Suite *msg_vectors_apis_suite(void)
{
    Suite *s = suite_create("msg_vectors_apis");
    TCase *tc = tcase_create("vectors");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, produce_resp_v2);
    tcase_add_test(tc, produce_resp_v8_record_errors);
    tcase_add_test(tc, produce_resp_v9);
    tcase_add_test(tc, metadata_req_v12_by_id);
    tcase_add_test(tc, metadata_resp_v12_topic_id);
    tcase_add_test(tc, list_offsets_req_v1);
    tcase_add_test(tc, list_offsets_v7);
    tcase_add_test(tc, list_offsets_resp_v1);
    tcase_add_test(tc, find_coordinator_v0);
    tcase_add_test(tc, find_coordinator_v3);
    tcase_add_test(tc, find_coordinator_v4_batched);
    tcase_add_test(tc, init_producer_id_v0);
    tcase_add_test(tc, init_producer_id_v4);
    tcase_add_test(tc, offset_for_leader_epoch_v2);
    tcase_add_test(tc, offset_for_leader_epoch_v4);
    tcase_add_test(tc, create_topics_v2);
    tcase_add_test(tc, create_topics_req_v5);
    tcase_add_test(tc, create_topics_resp_v7);
    tcase_add_test(tc, delete_topics_v1);
    tcase_add_test(tc, delete_topics_v4);
    tcase_add_test(tc, delete_topics_v6);
    tcase_add_test(tc, describe_configs_v0);
    tcase_add_test(tc, describe_configs_v1_synonyms);
    tcase_add_test(tc, describe_configs_v4);
    tcase_add_test(tc, create_partitions_v0);
    tcase_add_test(tc, create_partitions_v3);
    tcase_add_test(tc, describe_cluster_v0);
    tcase_add_test(tc, describe_cluster_v1);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(msg_vectors_apis_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
