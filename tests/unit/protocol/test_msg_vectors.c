/*
 * Hand-written wire vectors for the message schemas of protocol/messages.h:
 * Metadata requests v1/v4/v9 and responses v1/v9, Produce requests v3/v9,
 * Fetch requests and responses v4/v12.  Every vector is spelled out byte by
 * byte from Kafka's protocol guide and message definitions (never produced by
 * our encoder).  Each test decodes the vector, checks every field (including
 * Kafka's defaults for fields absent in that version), re-encodes the decoded
 * struct and checks that exactly the same bytes come back, and checks that
 * every truncation of the vector is rejected.
 */
#include "msg_vectors.h"

static const uint8_t fake_records[] = {FAKE_RECORDS};

/* ------------------------------------------------------------------ */
/* Metadata                                                             */
/* ------------------------------------------------------------------ */

START_TEST(metadata_req_v1_null_topics)
{
    /* topics: null array (all topics, v1+). */
    static const uint8_t b[] = {B32(-1)};
    struct metadata_req *m = VECTOR(proto_metadata_req_schema, 1, false, b);
    ck_assert_int_eq(m->topics.n, -1);
    /* allow_auto_topic_creation is v4+: Kafka's default applies. */
    ck_assert(m->allow_auto_topic_creation);
    ck_assert(!m->include_cluster_authorized_operations);
    ck_assert(!m->include_topic_authorized_operations);
}
END_TEST

START_TEST(metadata_req_v0_null_rejected)
{
    /* A null topics array does not exist before v1. */
    static const uint8_t b[] = {B32(-1)};
    struct metadata_req *m = arena_alloc(&arena, sizeof(*m));
    struct rbuf r;
    rbuf_init(&r, b, sizeof(b));
    ck_assert_int_eq(proto_decode(&proto_metadata_req_schema, 0, false, &r, m, &arena),
                     SL_ECORRUPT);
}
END_TEST

START_TEST(metadata_req_v4)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(2),                       /* topics */
        B16(3), 'f', 'o', 'o',        /* name */
        B16(3), 'b', 'a', 'r',        /* name */
        0x00,                         /* allow_auto_topic_creation = false */
    };
    /* clang-format on */
    struct metadata_req *m = VECTOR(proto_metadata_req_schema, 4, false, b);
    ck_assert_int_eq(m->topics.n, 2);
    ck_kstr(m->topics.v[0].name, "foo");
    ck_kstr(m->topics.v[1].name, "bar");
    ck_assert(uuid_is_zero(&m->topics.v[0].topic_id));
    ck_assert(!m->allow_auto_topic_creation);
}
END_TEST

/* clang-format off */
static const uint8_t metadata_req_v9_bytes[] = {
    0x02,                                    /* topics: compact array of 1 */
    0x07, 'o', 'r', 'd', 'e', 'r', 's',      /* name: compact string */
    0x00,                                    /* topic tagged fields */
    0x01,                                    /* allow_auto_topic_creation */
    0x00,                                    /* include_cluster_authorized_operations */
    0x01,                                    /* include_topic_authorized_operations */
    0x00,                                    /* tagged fields */
};
/* clang-format on */

START_TEST(metadata_req_v9)
{
    struct metadata_req *m = VECTOR(proto_metadata_req_schema, 9, true, metadata_req_v9_bytes);
    ck_assert_int_eq(m->topics.n, 1);
    ck_kstr(m->topics.v[0].name, "orders");
    ck_assert(m->allow_auto_topic_creation);
    ck_assert(!m->include_cluster_authorized_operations);
    ck_assert(m->include_topic_authorized_operations);
}
END_TEST

START_TEST(metadata_req_v9_unknown_tag)
{
    /* The same request with an unknown tagged field (tag 5, 2 bytes): skipped (KIP-482). */
    /* clang-format off */
    static const uint8_t b[] = {
        0x02, 0x07, 'o', 'r', 'd', 'e', 'r', 's', 0x00, 0x01, 0x00, 0x01,
        0x01,             /* one tagged field */
        0x05, 0x02,       /* tag 5, size 2 */
        0xaa, 0xbb,
    };
    /* clang-format on */
    struct metadata_req *m = decode_ok(&proto_metadata_req_schema, 9, true, b, sizeof(b));
    ck_kstr(m->topics.v[0].name, "orders");
    ck_assert(m->include_topic_authorized_operations);
    encode_eq(&proto_metadata_req_schema, 9, true, m, metadata_req_v9_bytes,
              sizeof(metadata_req_v9_bytes));
}
END_TEST

START_TEST(metadata_resp_v1)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(2),                                                   /* brokers */
        B32(1), B16(9), 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', B32(9092),
        B16(-1),                                                  /* rack: null */
        B32(2), B16(2), 'h', '2', B32(9093), B16(2), 'r', '2',
        B32(1),                                                   /* controller_id */
        B32(1),                                                   /* topics */
        B16(0), B16(3), 'f', 'o', 'o',                            /* error_code, name */
        0x00,                                                     /* is_internal */
        B32(2),                                                   /* partitions */
        B16(0), B32(0), B32(1),                                   /* error, index, leader */
        B32(2), B32(1), B32(2),                                   /* replica_nodes */
        B32(2), B32(1), B32(2),                                   /* isr_nodes */
        B16(9), B32(1), B32(2),                                   /* REPLICA_NOT_AVAILABLE */
        B32(2), B32(2), B32(1),
        B32(1), B32(2),
    };
    /* clang-format on */
    struct metadata_resp *m = VECTOR(proto_metadata_resp_schema, 1, false, b);
    ck_assert_int_eq(m->throttle_time_ms, 0);
    ck_assert_int_eq(m->brokers.n, 2);
    ck_assert_int_eq(m->brokers.v[0].node_id, 1);
    ck_kstr(m->brokers.v[0].host, "localhost");
    ck_assert_int_eq(m->brokers.v[0].port, 9092);
    ck_kstr(m->brokers.v[0].rack, NULL);
    ck_assert_int_eq(m->brokers.v[1].node_id, 2);
    ck_kstr(m->brokers.v[1].host, "h2");
    ck_assert_int_eq(m->brokers.v[1].port, 9093);
    ck_kstr(m->brokers.v[1].rack, "r2");
    ck_kstr(m->cluster_id, NULL); /* v2+ */
    ck_assert_int_eq(m->controller_id, 1);
    ck_assert_int_eq(m->cluster_authorized_operations, INT32_MIN);
    ck_assert_int_eq(m->topics.n, 1);
    struct metadata_resp_topic *t = &m->topics.v[0];
    ck_assert_int_eq(t->error_code, 0);
    ck_kstr(t->name, "foo");
    ck_assert(!t->is_internal);
    ck_assert(uuid_is_zero(&t->topic_id));
    ck_assert_int_eq(t->topic_authorized_operations, INT32_MIN);
    ck_assert_int_eq(t->partitions.n, 2);
    struct metadata_resp_partition *p = &t->partitions.v[0];
    ck_assert_int_eq(p->error_code, 0);
    ck_assert_int_eq(p->partition_index, 0);
    ck_assert_int_eq(p->leader_id, 1);
    ck_assert_int_eq(p->leader_epoch, -1); /* v7+ */
    ck_assert_int_eq(p->replica_nodes.n, 2);
    ck_assert_int_eq(p->replica_nodes.v[0], 1);
    ck_assert_int_eq(p->replica_nodes.v[1], 2);
    ck_assert_int_eq(p->isr_nodes.n, 2);
    ck_assert_int_eq(p->isr_nodes.v[0], 1);
    ck_assert_int_eq(p->isr_nodes.v[1], 2);
    ck_assert_int_eq(p->offline_replicas.n, 0); /* v5+ */
    p = &t->partitions.v[1];
    ck_assert_int_eq(p->error_code, 9);
    ck_assert_int_eq(p->partition_index, 1);
    ck_assert_int_eq(p->leader_id, 2);
    ck_assert_int_eq(p->replica_nodes.n, 2);
    ck_assert_int_eq(p->replica_nodes.v[0], 2);
    ck_assert_int_eq(p->replica_nodes.v[1], 1);
    ck_assert_int_eq(p->isr_nodes.n, 1);
    ck_assert_int_eq(p->isr_nodes.v[0], 2);
}
END_TEST

START_TEST(metadata_resp_v9)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0),                                                   /* throttle_time_ms */
        0x03,                                                     /* brokers: 2 */
        B32(1), 0x0a, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't', B32(9092),
        0x00,                                                     /* rack: null */
        0x00,                                                     /* broker tags */
        B32(2), 0x03, 'h', '2', B32(9093), 0x03, 'r', '2', 0x00,
        0x0b, 'c', '1', '-', 'c', 'l', 'u', 's', 't', 'e', 'r',   /* cluster_id */
        B32(1),                                                   /* controller_id */
        0x02,                                                     /* topics: 1 */
        B16(0), 0x04, 'f', 'o', 'o', 0x00,                        /* error, name, internal */
        0x02,                                                     /* partitions: 1 */
        B16(0), B32(0), B32(1), B32(5),                           /* error, index, leader, epoch */
        0x03, B32(1), B32(2),                                     /* replica_nodes */
        0x03, B32(1), B32(2),                                     /* isr_nodes */
        0x01,                                                     /* offline_replicas: empty */
        0x00,                                                     /* partition tags */
        B32(INT32_MIN),                                           /* topic_authorized_ops */
        0x00,                                                     /* topic tags */
        B32(INT32_MIN),                                           /* cluster_authorized_ops */
        0x00,                                                     /* tags */
    };
    /* clang-format on */
    struct metadata_resp *m = VECTOR(proto_metadata_resp_schema, 9, true, b);
    ck_assert_int_eq(m->throttle_time_ms, 0);
    ck_assert_int_eq(m->brokers.n, 2);
    ck_assert_int_eq(m->brokers.v[0].node_id, 1);
    ck_kstr(m->brokers.v[0].host, "localhost");
    ck_assert_int_eq(m->brokers.v[0].port, 9092);
    ck_kstr(m->brokers.v[0].rack, NULL);
    ck_assert_int_eq(m->brokers.v[1].node_id, 2);
    ck_kstr(m->brokers.v[1].host, "h2");
    ck_assert_int_eq(m->brokers.v[1].port, 9093);
    ck_kstr(m->brokers.v[1].rack, "r2");
    ck_kstr(m->cluster_id, "c1-cluster");
    ck_assert_int_eq(m->controller_id, 1);
    ck_assert_int_eq(m->cluster_authorized_operations, INT32_MIN);
    ck_assert_int_eq(m->topics.n, 1);
    struct metadata_resp_topic *t = &m->topics.v[0];
    ck_assert_int_eq(t->error_code, 0);
    ck_kstr(t->name, "foo");
    ck_assert(!t->is_internal);
    ck_assert_int_eq(t->topic_authorized_operations, INT32_MIN);
    ck_assert_int_eq(t->partitions.n, 1);
    struct metadata_resp_partition *p = &t->partitions.v[0];
    ck_assert_int_eq(p->error_code, 0);
    ck_assert_int_eq(p->partition_index, 0);
    ck_assert_int_eq(p->leader_id, 1);
    ck_assert_int_eq(p->leader_epoch, 5);
    ck_assert_int_eq(p->replica_nodes.n, 2);
    ck_assert_int_eq(p->replica_nodes.v[0], 1);
    ck_assert_int_eq(p->replica_nodes.v[1], 2);
    ck_assert_int_eq(p->isr_nodes.n, 2);
    ck_assert_int_eq(p->isr_nodes.v[0], 1);
    ck_assert_int_eq(p->isr_nodes.v[1], 2);
    ck_assert_int_eq(p->offline_replicas.n, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Produce                                                              */
/* ------------------------------------------------------------------ */

START_TEST(produce_req_v3)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B16(-1),                          /* transactional_id: null */
        B16(-1),                          /* acks: all */
        B32(30000),                       /* timeout_ms */
        B32(1),                           /* topic_data */
        B16(4), 't', 'e', 's', 't',       /* name */
        B32(1),                           /* partition_data */
        B32(0),                           /* index */
        B32(7), FAKE_RECORDS,             /* records */
    };
    /* clang-format on */
    struct produce_req *m = VECTOR(proto_produce_req_schema, 3, false, b);
    ck_kstr(m->transactional_id, NULL);
    ck_assert_int_eq(m->acks, -1);
    ck_assert_int_eq(m->timeout_ms, 30000);
    ck_assert_int_eq(m->topic_data.n, 1);
    ck_kstr(m->topic_data.v[0].name, "test");
    ck_assert_int_eq(m->topic_data.v[0].partition_data.n, 1);
    ck_assert_int_eq(m->topic_data.v[0].partition_data.v[0].index, 0);
    ck_records(m->topic_data.v[0].partition_data.v[0].records, fake_records, 7);
    /* RECORDS alias the request buffer (zero-copy). */
    ck_assert_ptr_eq(m->topic_data.v[0].partition_data.v[0].records.p, b + sizeof(b) - 7);
}
END_TEST

START_TEST(produce_req_v9)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x04, 't', 'x', '1',              /* transactional_id */
        B16(1),                           /* acks */
        B32(1500),                        /* timeout_ms */
        0x02,                             /* topic_data: 1 */
        0x05, 't', 'e', 's', 't',         /* name */
        0x02,                             /* partition_data: 1 */
        B32(2),                           /* index */
        0x08, FAKE_RECORDS,               /* records: compact, 7 bytes */
        0x00,                             /* partition tags */
        0x00,                             /* topic tags */
        0x00,                             /* tags */
    };
    /* clang-format on */
    struct produce_req *m = VECTOR(proto_produce_req_schema, 9, true, b);
    ck_kstr(m->transactional_id, "tx1");
    ck_assert_int_eq(m->acks, 1);
    ck_assert_int_eq(m->timeout_ms, 1500);
    ck_assert_int_eq(m->topic_data.n, 1);
    ck_kstr(m->topic_data.v[0].name, "test");
    ck_assert_int_eq(m->topic_data.v[0].partition_data.n, 1);
    ck_assert_int_eq(m->topic_data.v[0].partition_data.v[0].index, 2);
    ck_records(m->topic_data.v[0].partition_data.v[0].records, fake_records, 7);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Fetch                                                                */
/* ------------------------------------------------------------------ */

START_TEST(fetch_req_v4)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(-1),                          /* replica_id: consumer */
        B32(500),                         /* max_wait_ms */
        B32(1),                           /* min_bytes */
        B32(52428800),                    /* max_bytes */
        0x01,                             /* isolation_level: read committed */
        B32(1),                           /* topics */
        B16(4), 't', 'e', 's', 't',
        B32(1),                           /* partitions */
        B32(0),                           /* partition */
        B64(42),                          /* fetch_offset */
        B32(1048576),                     /* partition_max_bytes */
    };
    /* clang-format on */
    struct fetch_req *m = VECTOR(proto_fetch_req_schema, 4, false, b);
    ck_kstr(m->cluster_id, NULL);
    ck_assert_int_eq(m->replica_id, -1);
    ck_assert_int_eq(m->max_wait_ms, 500);
    ck_assert_int_eq(m->min_bytes, 1);
    ck_assert_int_eq(m->max_bytes, 52428800);
    ck_assert_int_eq(m->isolation_level, 1);
    ck_assert_int_eq(m->session_id, 0);     /* v7+ */
    ck_assert_int_eq(m->session_epoch, -1); /* v7+ */
    ck_assert_int_eq(m->topics.n, 1);
    ck_kstr(m->topics.v[0].topic, "test");
    ck_assert_int_eq(m->topics.v[0].partitions.n, 1);
    struct fetch_req_partition *p = &m->topics.v[0].partitions.v[0];
    ck_assert_int_eq(p->partition, 0);
    ck_assert_int_eq(p->current_leader_epoch, -1); /* v9+ */
    ck_assert_int_eq(p->fetch_offset, 42);
    ck_assert_int_eq(p->last_fetched_epoch, -1); /* v12+ */
    ck_assert_int_eq(p->log_start_offset, -1);   /* v5+ */
    ck_assert_int_eq(p->partition_max_bytes, 1048576);
    ck_assert_int_eq(m->forgotten_topics_data.n, 0); /* v7+ */
    ck_kstr(m->rack_id, NULL);                       /* v11+ */
}
END_TEST

START_TEST(fetch_req_v12)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(2),                           /* replica_id: follower broker 2 */
        B32(500),                         /* max_wait_ms */
        B32(1),                           /* min_bytes */
        B32(0x7fffffff),                  /* max_bytes */
        0x00,                             /* isolation_level */
        B32(0),                           /* session_id */
        B32(-1),                          /* session_epoch */
        0x02,                             /* topics: 1 */
        0x05, 't', 'e', 's', 't',
        0x02,                             /* partitions: 1 */
        B32(1),                           /* partition */
        B32(7),                           /* current_leader_epoch */
        B64(100),                         /* fetch_offset */
        B32(6),                           /* last_fetched_epoch */
        B64(0),                           /* log_start_offset */
        B32(1048576),                     /* partition_max_bytes */
        0x00,                             /* partition tags */
        0x00,                             /* topic tags */
        0x02,                             /* forgotten_topics_data: 1 */
        0x04, 'o', 'l', 'd',
        0x03, B32(3), B32(4),             /* partitions: [3, 4] */
        0x00,                             /* forgotten topic tags */
        0x03, 'r', '1',                   /* rack_id */
        0x01,                             /* one tagged field */
        0x00, 0x0a,                       /* tag 0 (cluster_id), 10 bytes */
        0x0a, 'c', 'l', 'u', 's', 't', 'e', 'r', '-', '1',
    };
    /* clang-format on */
    struct fetch_req *m = VECTOR(proto_fetch_req_schema, 12, true, b);
    ck_kstr(m->cluster_id, "cluster-1");
    ck_assert_int_eq(m->replica_id, 2);
    ck_assert_int_eq(m->max_wait_ms, 500);
    ck_assert_int_eq(m->min_bytes, 1);
    ck_assert_int_eq(m->max_bytes, 0x7fffffff);
    ck_assert_int_eq(m->isolation_level, 0);
    ck_assert_int_eq(m->session_id, 0);
    ck_assert_int_eq(m->session_epoch, -1);
    ck_assert_int_eq(m->topics.n, 1);
    ck_kstr(m->topics.v[0].topic, "test");
    ck_assert_int_eq(m->topics.v[0].partitions.n, 1);
    struct fetch_req_partition *p = &m->topics.v[0].partitions.v[0];
    ck_assert_int_eq(p->partition, 1);
    ck_assert_int_eq(p->current_leader_epoch, 7);
    ck_assert_int_eq(p->fetch_offset, 100);
    ck_assert_int_eq(p->last_fetched_epoch, 6);
    ck_assert_int_eq(p->log_start_offset, 0);
    ck_assert_int_eq(p->partition_max_bytes, 1048576);
    ck_assert_int_eq(m->forgotten_topics_data.n, 1);
    ck_kstr(m->forgotten_topics_data.v[0].topic, "old");
    ck_assert_int_eq(m->forgotten_topics_data.v[0].partitions.n, 2);
    ck_assert_int_eq(m->forgotten_topics_data.v[0].partitions.v[0], 3);
    ck_assert_int_eq(m->forgotten_topics_data.v[0].partitions.v[1], 4);
    ck_kstr(m->rack_id, "r1");
}
END_TEST

START_TEST(fetch_resp_v4)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0),                           /* throttle_time_ms */
        B32(1),                           /* responses */
        B16(4), 't', 'e', 's', 't',
        B32(1),                           /* partitions */
        B32(0),                           /* partition_index */
        B16(0),                           /* error_code */
        B64(50),                          /* high_watermark */
        B64(48),                          /* last_stable_offset */
        B32(1),                           /* aborted_transactions */
        B64(1000), B64(40),               /* producer_id, first_offset */
        B32(7), FAKE_RECORDS,             /* records */
    };
    /* clang-format on */
    struct fetch_resp *m = VECTOR(proto_fetch_resp_schema, 4, false, b);
    ck_assert_int_eq(m->throttle_time_ms, 0);
    ck_assert_int_eq(m->error_code, 0); /* v7+ */
    ck_assert_int_eq(m->session_id, 0); /* v7+ */
    ck_assert_int_eq(m->responses.n, 1);
    ck_kstr(m->responses.v[0].topic, "test");
    ck_assert_int_eq(m->responses.v[0].partitions.n, 1);
    struct fetch_resp_partition *p = &m->responses.v[0].partitions.v[0];
    ck_assert_int_eq(p->partition_index, 0);
    ck_assert_int_eq(p->error_code, 0);
    ck_assert_int_eq(p->high_watermark, 50);
    ck_assert_int_eq(p->last_stable_offset, 48);
    ck_assert_int_eq(p->log_start_offset, -1); /* v5+ */
    ck_assert_int_eq(p->aborted_transactions.n, 1);
    ck_assert_int_eq(p->aborted_transactions.v[0].producer_id, 1000);
    ck_assert_int_eq(p->aborted_transactions.v[0].first_offset, 40);
    ck_assert_int_eq(p->preferred_read_replica, -1); /* v11+ */
    /* v12+ tagged structs read as Kafka's defaults. */
    ck_assert_int_eq(p->diverging_epoch.epoch, -1);
    ck_assert_int_eq(p->diverging_epoch.end_offset, -1);
    ck_assert_int_eq(p->current_leader.leader_id, -1);
    ck_assert_int_eq(p->current_leader.leader_epoch, -1);
    ck_assert_int_eq(p->snapshot_id.end_offset, -1);
    ck_assert_int_eq(p->snapshot_id.epoch, -1);
    ck_records(p->records, fake_records, 7);
}
END_TEST

START_TEST(fetch_resp_v12)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0),                           /* throttle_time_ms */
        B16(0),                           /* error_code */
        B32(0),                           /* session_id */
        0x02,                             /* responses: 1 */
        0x05, 't', 'e', 's', 't',
        0x03,                             /* partitions: 2 */
        /* partition 0: data, no tagged fields */
        B32(0), B16(0),                   /* partition_index, error_code */
        B64(50), B64(50), B64(0),         /* high_watermark, last_stable, log_start */
        0x00,                             /* aborted_transactions: null */
        B32(-1),                          /* preferred_read_replica */
        0x08, FAKE_RECORDS,               /* records */
        0x00,                             /* partition tags */
        /* partition 1: diverging epoch and current leader */
        B32(1), B16(0),
        B64(10), B64(10), B64(0),
        0x01,                             /* aborted_transactions: empty */
        B32(-1),
        0x01,                             /* records: empty */
        0x02,                             /* two tagged fields */
        0x00, 0x0d,                       /* tag 0: diverging_epoch, 13 bytes */
        B32(3), B64(8), 0x00,             /* epoch, end_offset, struct tags */
        0x01, 0x09,                       /* tag 1: current_leader, 9 bytes */
        B32(2), B32(4), 0x00,             /* leader_id, leader_epoch, struct tags */
        0x00,                             /* topic tags */
        0x00,                             /* tags */
    };
    /* clang-format on */
    struct fetch_resp *m = VECTOR(proto_fetch_resp_schema, 12, true, b);
    ck_assert_int_eq(m->throttle_time_ms, 0);
    ck_assert_int_eq(m->error_code, 0);
    ck_assert_int_eq(m->session_id, 0);
    ck_assert_int_eq(m->responses.n, 1);
    ck_kstr(m->responses.v[0].topic, "test");
    ck_assert_int_eq(m->responses.v[0].partitions.n, 2);

    struct fetch_resp_partition *p = &m->responses.v[0].partitions.v[0];
    ck_assert_int_eq(p->partition_index, 0);
    ck_assert_int_eq(p->error_code, 0);
    ck_assert_int_eq(p->high_watermark, 50);
    ck_assert_int_eq(p->last_stable_offset, 50);
    ck_assert_int_eq(p->log_start_offset, 0);
    ck_assert_int_eq(p->aborted_transactions.n, -1);
    ck_assert_int_eq(p->preferred_read_replica, -1);
    ck_assert_int_eq(p->diverging_epoch.epoch, -1);
    ck_assert_int_eq(p->diverging_epoch.end_offset, -1);
    ck_assert_int_eq(p->current_leader.leader_id, -1);
    ck_assert_int_eq(p->current_leader.leader_epoch, -1);
    ck_assert_int_eq(p->snapshot_id.end_offset, -1);
    ck_assert_int_eq(p->snapshot_id.epoch, -1);
    ck_records(p->records, fake_records, 7);

    p = &m->responses.v[0].partitions.v[1];
    ck_assert_int_eq(p->partition_index, 1);
    ck_assert_int_eq(p->high_watermark, 10);
    ck_assert_int_eq(p->last_stable_offset, 10);
    ck_assert_int_eq(p->log_start_offset, 0);
    ck_assert_int_eq(p->aborted_transactions.n, 0);
    ck_assert_int_eq(p->preferred_read_replica, -1);
    ck_assert_int_eq(p->diverging_epoch.epoch, 3);
    ck_assert_int_eq(p->diverging_epoch.end_offset, 8);
    ck_assert_int_eq(p->current_leader.leader_id, 2);
    ck_assert_int_eq(p->current_leader.leader_epoch, 4);
    ck_assert_int_eq(p->snapshot_id.end_offset, -1);
    ck_assert_int_eq(p->snapshot_id.epoch, -1);
    ck_records(p->records, NULL, 0);
}
END_TEST

START_TEST(fetch_resp_v12_from_init)
{
    /* A handler-built partition started with proto_fetch_resp_partition_init()
     * carries no tagged fields, a null aborted list and empty records. */
    /* clang-format off */
    static const uint8_t want[] = {
        B32(0), B16(0), B32(0),           /* throttle, error_code, session_id */
        0x02, 0x02, 't',                  /* responses: 1, topic "t" */
        0x02,                             /* partitions: 1 */
        B32(0), B16(0), B64(5),           /* index, error, high_watermark */
        B64(-1), B64(-1),                 /* last_stable_offset, log_start_offset */
        0x00,                             /* aborted_transactions: null */
        B32(-1),                          /* preferred_read_replica */
        0x01,                             /* records: empty */
        0x00, 0x00, 0x00,                 /* partition, topic, top-level tags */
    };
    /* clang-format on */
    struct fetch_resp_partition part;
    proto_fetch_resp_partition_init(&part);
    part.high_watermark = 5;
    struct fetch_resp_topic topic = {.topic = {"t", 1}};
    topic.partitions.n = 1;
    topic.partitions.v = &part;
    struct fetch_resp resp = {0};
    resp.responses.n = 1;
    resp.responses.v = &topic;
    encode_eq(&proto_fetch_resp_schema, 12, true, &resp, want, sizeof(want));
}
END_TEST

static Suite *msg_vectors_suite(void)
{
    Suite *s = suite_create("msg_vectors");
    TCase *tc = tcase_create("vectors");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, metadata_req_v1_null_topics);
    tcase_add_test(tc, metadata_req_v0_null_rejected);
    tcase_add_test(tc, metadata_req_v4);
    tcase_add_test(tc, metadata_req_v9);
    tcase_add_test(tc, metadata_req_v9_unknown_tag);
    tcase_add_test(tc, metadata_resp_v1);
    tcase_add_test(tc, metadata_resp_v9);
    tcase_add_test(tc, produce_req_v3);
    tcase_add_test(tc, produce_req_v9);
    tcase_add_test(tc, fetch_req_v4);
    tcase_add_test(tc, fetch_req_v12);
    tcase_add_test(tc, fetch_resp_v4);
    tcase_add_test(tc, fetch_resp_v12);
    tcase_add_test(tc, fetch_resp_v12_from_init);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(msg_vectors_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
