/*
 * Topic config table: lookup, validation of every value type with Kafka's
 * messages, and effective-value resolution (override, broker property,
 * Kafka default).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "topic_config.h"

static int ok(const char *n, const char *v)
{
    char why[256];
    return topic_config_validate(n, v, why, sizeof(why)) == 0;
}

static const char *why_of(const char *n, const char *v)
{
    static char why[256];
    why[0] = '\0';
    ck_assert_int_eq(topic_config_validate(n, v, why, sizeof(why)), SL_EINVAL);
    return why;
}

START_TEST(table_sorted_and_findable)
{
    size_t n = topic_config_count();
    ck_assert_uint_ge(n, 20);
    for (size_t i = 0; i < n; i++) {
        const struct topic_config_def *d = topic_config_at(i);
        ck_assert_ptr_eq(topic_config_find(d->name), d);
        if (i > 0)
            ck_assert_int_lt(strcmp(topic_config_at(i - 1)->name, d->name), 0);
        /* Every default is itself valid. */
        ck_assert_msg(ok(d->name, d->default_value), "default of %s", d->name);
    }
    ck_assert_ptr_null(topic_config_at(n));
    ck_assert_ptr_null(topic_config_find("no.such.config"));
    ck_assert_str_eq(topic_config_find("retention.ms")->broker_config, "log.retention.ms");
    ck_assert_str_eq(topic_config_find("max.message.bytes")->broker_config, "message.max.bytes");
}
END_TEST

START_TEST(validation)
{
    ck_assert(ok("retention.ms", "1000"));
    ck_assert(ok("retention.ms", " -1 "));
    ck_assert_str_eq(why_of("retention.ms", "-2"),
                     "Invalid value -2 for configuration retention.ms: Value must be at least -1");
    ck_assert_str_eq(why_of("retention.ms", "abc"),
                     "Invalid value abc for configuration retention.ms: Not a number of type LONG");
    ck_assert_str_eq(why_of("retention.ms", ""),
                     "Invalid value  for configuration retention.ms: Not a number of type LONG");
    ck_assert(ok("retention.bytes", "-5"));
    ck_assert(ok("segment.bytes", "1048576"));
    ck_assert(!ok("segment.bytes", "1048575"));
    ck_assert_str_eq(why_of("segment.bytes", "3000000000"),
                     "Invalid value 3000000000 for configuration segment.bytes: Not a number of "
                     "type INT");
    ck_assert(ok("min.insync.replicas", "2"));
    ck_assert(!ok("min.insync.replicas", "0"));
    ck_assert(ok("unclean.leader.election.enable", "TRUE"));
    ck_assert_str_eq(why_of("preallocate", "yes"),
                     "Invalid value yes for configuration preallocate: Expected value to be either "
                     "true or false");
    ck_assert(ok("cleanup.policy", "compact,delete"));
    ck_assert(ok("cleanup.policy", " delete "));
    ck_assert_str_eq(why_of("cleanup.policy", "compact,bogus"),
                     "Invalid value compact,bogus for configuration cleanup.policy: String must be "
                     "one of: compact, delete");
    ck_assert(!ok("cleanup.policy", ""));
    ck_assert(!ok("cleanup.policy", "compact,"));
    ck_assert(ok("compression.type", "zstd"));
    ck_assert_str_eq(why_of("compression.type", "brotli"),
                     "Invalid value brotli for configuration compression.type: String must be one "
                     "of: uncompressed, zstd, lz4, snappy, gzip, producer");
    ck_assert(ok("message.timestamp.type", "LogAppendTime"));
    ck_assert(!ok("message.timestamp.type", "logappendtime"));
    ck_assert(ok("min.cleanable.dirty.ratio", "0.25"));
    ck_assert(!ok("min.cleanable.dirty.ratio", "1.5"));
    ck_assert(!ok("min.cleanable.dirty.ratio", "nan"));
    ck_assert(ok("compression.gzip.level", "-1"));
    ck_assert(ok("compression.gzip.level", "9"));
    ck_assert(!ok("compression.gzip.level", "0"));
    ck_assert(!ok("compression.gzip.level", "10"));
    ck_assert(ok("leader.replication.throttled.replicas", "*"));
    ck_assert(ok("leader.replication.throttled.replicas", "0:1,1:2"));
    ck_assert(!ok("leader.replication.throttled.replicas", "0:x"));
    ck_assert_str_eq(why_of("retention.minutes", "5"),
                     "Unknown topic config name: retention.minutes");
    ck_assert_str_eq(why_of("retention.ms", NULL),
                     "Null value not supported for topic configs: retention.ms");
    /* A tiny buffer is truncated, never overrun. */
    char tiny[8];
    ck_assert_int_eq(topic_config_validate("retention.ms", "x", tiny, sizeof(tiny)), SL_EINVAL);
    ck_assert_uint_eq(strlen(tiny), 7);
}
END_TEST

static const char *lookup(void *ctx, const char *key, int8_t *source)
{
    if (strcmp(key, "log.retention.ms") == 0) {
        *source = TC_SOURCE_STATIC_BROKER;
        return "3600000";
    }
    if (strcmp(key, "log.segment.bytes") == 0) {
        *source = TC_SOURCE_DYNAMIC_DEFAULT_BROKER;
        return "2097152";
    }
    return NULL;
}

START_TEST(effective_values)
{
    int8_t src;
    char vb[TC_VALUE_BUF];
    const struct topic_config_def *d = topic_config_find("retention.ms");
    ck_assert_str_eq(topic_config_effective(d, "5", lookup, NULL, &src, vb), "5");
    ck_assert_int_eq(src, TC_SOURCE_DYNAMIC_TOPIC);
    ck_assert_str_eq(topic_config_effective(d, NULL, lookup, NULL, &src, vb), "3600000");
    ck_assert_int_eq(src, TC_SOURCE_STATIC_BROKER);
    ck_assert_str_eq(topic_config_effective(d, NULL, NULL, NULL, &src, vb), "604800000");
    ck_assert_int_eq(src, TC_SOURCE_DEFAULT);
    d = topic_config_find("segment.bytes");
    ck_assert_str_eq(topic_config_effective(d, NULL, lookup, NULL, &src, vb), "2097152");
    ck_assert_int_eq(src, TC_SOURCE_DYNAMIC_DEFAULT_BROKER);
    d = topic_config_find("cleanup.policy");
    ck_assert_str_eq(topic_config_effective(d, NULL, lookup, NULL, &src, vb), "delete");
    ck_assert_int_eq(src, TC_SOURCE_DEFAULT);
}
END_TEST

/* A broker configuration given as "key=value" pairs, all static. */
struct fake_broker {
    const char *kv[6][2];
};

static const char *fake_lookup(void *ctx, const char *key, int8_t *source)
{
    const struct fake_broker *b = ctx;
    for (int i = 0; i < 6 && b->kv[i][0]; i++)
        if (strcmp(b->kv[i][0], key) == 0) {
            *source = TC_SOURCE_STATIC_BROKER;
            return b->kv[i][1];
        }
    return NULL;
}

static const char *eff(const char *name, struct fake_broker *b, int8_t *src, char *vb)
{
    return topic_config_effective(topic_config_find(name), NULL, fake_lookup, b, src, vb);
}

/* Kafka's KafkaConfig.logRetentionTimeMillis / logRollTimeMillis precedence. */
START_TEST(broker_time_precedence)
{
    int8_t src;
    char vb[TC_VALUE_BUF];
    struct fake_broker none = {{{NULL, NULL}}};
    ck_assert_str_eq(eff("retention.ms", &none, &src, vb), "604800000");
    ck_assert_int_eq(src, TC_SOURCE_DEFAULT);
    struct fake_broker hours = {{{"log.retention.hours", "2"}}};
    ck_assert_str_eq(eff("retention.ms", &hours, &src, vb), "7200000");
    ck_assert_int_eq(src, TC_SOURCE_STATIC_BROKER);
    struct fake_broker minutes = {{{"log.retention.hours", "2"}, {"log.retention.minutes", "1"}}};
    ck_assert_str_eq(eff("retention.ms", &minutes, &src, vb), "60000");
    ck_assert_int_eq(src, TC_SOURCE_STATIC_BROKER);
    struct fake_broker ms = {
        {{"log.retention.hours", "2"}, {"log.retention.minutes", "1"}, {"log.retention.ms", "5"}}};
    ck_assert_str_eq(eff("retention.ms", &ms, &src, vb), "5");
    struct fake_broker unl_h = {{{"log.retention.hours", "-1"}}};
    ck_assert_str_eq(eff("retention.ms", &unl_h, &src, vb), "-1");
    struct fake_broker unl_m = {{{"log.retention.minutes", "-1"}, {"log.retention.hours", "5"}}};
    ck_assert_str_eq(eff("retention.ms", &unl_m, &src, vb), "-1");
    struct fake_broker unl_ms = {{{"log.retention.ms", "-1"}, {"log.retention.minutes", "3"}}};
    ck_assert_str_eq(eff("retention.ms", &unl_ms, &src, vb), "-1");

    ck_assert_str_eq(eff("segment.ms", &none, &src, vb), "604800000");
    struct fake_broker roll_h = {{{"log.roll.hours", "3"}}};
    ck_assert_str_eq(eff("segment.ms", &roll_h, &src, vb), "10800000");
    ck_assert_int_eq(src, TC_SOURCE_STATIC_BROKER);
    struct fake_broker roll_ms = {{{"log.roll.hours", "3"}, {"log.roll.ms", "1000"}}};
    ck_assert_str_eq(eff("segment.ms", &roll_ms, &src, vb), "1000");

    ck_assert_str_eq(eff("segment.jitter.ms", &none, &src, vb), "0");
    ck_assert_int_eq(src, TC_SOURCE_DEFAULT);
    struct fake_broker jit_h = {{{"log.roll.jitter.hours", "1"}}};
    ck_assert_str_eq(eff("segment.jitter.ms", &jit_h, &src, vb), "3600000");
    struct fake_broker jit_ms = {{{"log.roll.jitter.hours", "1"}, {"log.roll.jitter.ms", "7"}}};
    ck_assert_str_eq(eff("segment.jitter.ms", &jit_ms, &src, vb), "7");

    /* The synonyms DescribeConfigs lists, highest precedence first. */
    struct topic_config_synonym syn[TC_MAX_SYNONYMS];
    ck_assert_uint_eq(topic_config_synonyms(topic_config_find("retention.ms"), syn), 3);
    ck_assert_str_eq(syn[0].broker_config, "log.retention.ms");
    ck_assert_str_eq(syn[2].broker_config, "log.retention.hours");
    ck_assert_str_eq(syn[2].default_value, "168");
    ck_assert_uint_eq(topic_config_synonyms(topic_config_find("file.delete.delay.ms"), syn), 1);
    ck_assert_str_eq(syn[0].broker_config, "log.segment.delete.delay.ms");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("topic_config");
    TCase *tc = tcase_create("topic_config");
    tcase_add_test(tc, table_sorted_and_findable);
    tcase_add_test(tc, validation);
    tcase_add_test(tc, effective_values);
    tcase_add_test(tc, broker_time_precedence);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
