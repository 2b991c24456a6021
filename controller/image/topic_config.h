/*
 * The topic-level configurations users set (retention.ms, cleanup.policy ...):
 * names, types, validators, Kafka's defaults and the broker configuration each
 * one defaults from (TopicConfig.java / LogConfig.java and their broker
 * synonyms).  Used to validate CreateTopics / AlterConfigs and to resolve
 * effective values for CreateTopics results and DescribeConfigs.
 */
#ifndef SLUICE_TOPIC_CONFIG_H
#define SLUICE_TOPIC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DescribeConfigs ConfigType codes (KIP-569). */
enum topic_config_type {
    TC_TYPE_UNKNOWN = 0,
    TC_TYPE_BOOLEAN = 1,
    TC_TYPE_STRING = 2,
    TC_TYPE_INT = 3,
    TC_TYPE_SHORT = 4,
    TC_TYPE_LONG = 5,
    TC_TYPE_DOUBLE = 6,
    TC_TYPE_LIST = 7,
    TC_TYPE_CLASS = 8,
    TC_TYPE_PASSWORD = 9,
};

/* DescribeConfigs ConfigSource codes. */
enum topic_config_source {
    TC_SOURCE_UNKNOWN = 0,
    TC_SOURCE_DYNAMIC_TOPIC = 1,
    TC_SOURCE_DYNAMIC_BROKER = 2,
    TC_SOURCE_DYNAMIC_DEFAULT_BROKER = 3,
    TC_SOURCE_STATIC_BROKER = 4,
    TC_SOURCE_DEFAULT = 5,
};

struct topic_config_def {
    const char *name;
    uint8_t type;               /* enum topic_config_type */
    const char *broker_config;  /* the broker property it defaults from, or NULL */
    const char *default_value;  /* Kafka's default when the broker property is unset */
    int64_t min, max;           /* inclusive range for INT/LONG (DOUBLE: the same bounds) */
    const char *const *choices; /* NULL-terminated allowed values (STRING, LIST), or NULL */
    bool sensitive;
};

/* The definition of a topic config name, or NULL when it is not a topic config. */
const struct topic_config_def *topic_config_find(const char *name);

/* All definitions, in name order: index 0 .. topic_config_count()-1. */
size_t topic_config_count(void);
const struct topic_config_def *topic_config_at(size_t i);

/*
 * Validates `value` for the topic config `name`.  Returns 0, or SL_EINVAL
 * with Kafka's explanation ("Unknown topic config name: x", "Invalid value y
 * for configuration x: ...") written into why[whylen] (NUL-terminated,
 * truncated to fit).  A NULL value is rejected ("Null value not supported").
 */
int topic_config_validate(const char *name, const char *value, char *why, size_t whylen);

/*
 * One broker property a topic config defaults from, in Kafka's precedence
 * order (KafkaConfig's logRetentionTimeMillis and logRollTimeMillis):
 * retention.ms from log.retention.ms, then log.retention.minutes, then
 * log.retention.hours; segment.ms from log.roll.ms, then log.roll.hours;
 * segment.jitter.ms from log.roll.jitter.ms, then log.roll.jitter.hours.
 * scale converts the broker value to the topic unit (60000 for minutes);
 * a negative scaled value becomes -1 (Kafka: unlimited retention).
 * default_value is the broker property's own default, NULL when it has none.
 */
struct topic_config_synonym {
    const char *broker_config;
    int64_t scale;
    const char *default_value;
};

/*
 * The broker synonyms of `d`, highest precedence first, copied into out;
 * returns their number (0 when d has no broker property).  Topic configs
 * without a unit conversion have one synonym, d->broker_config, with scale 1
 * and d->default_value.
 */
#define TC_MAX_SYNONYMS 3
size_t topic_config_synonyms(const struct topic_config_def *d,
                             struct topic_config_synonym out[TC_MAX_SYNONYMS]);

/* Room for any scaled value topic_config_effective writes. */
#define TC_VALUE_BUF 32

/*
 * The effective value of topic config `d`: `override` (the topic's own value)
 * when not NULL, else the first of its broker synonyms (above) that `lookup`
 * returns (lookup may be NULL; it returns the broker's value or NULL when
 * unset, and sets *source to TC_SOURCE_STATIC_BROKER, TC_SOURCE_DYNAMIC_BROKER
 * or TC_SOURCE_DYNAMIC_DEFAULT_BROKER), converted to the topic's unit, else
 * Kafka's default.  *source receives the ConfigSource that supplied the value.
 * The result borrows from override, the lookup, the static table or buf (a
 * caller's buffer of TC_VALUE_BUF bytes, used for converted values).
 */
const char *topic_config_effective(const struct topic_config_def *d, const char *override,
                                   const char *(*lookup)(void *ctx, const char *broker_config,
                                                         int8_t *source),
                                   void *lookup_ctx, int8_t *source, char *buf);

#endif
