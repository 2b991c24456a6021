/*
 * 128-bit UUIDs as Kafka uses them for topic ids, cluster ids and incarnation
 * ids.  Kafka prints them as 22-character unpadded base64url (Uuid.toString).
 */
#ifndef SLUICE_UUID_H
#define SLUICE_UUID_H

#include <stdbool.h>
#include <stdint.h>

struct uuid {
    uint8_t b[16];
};

#define UUID_STR_LEN 22

/* A random version-4 UUID that is neither zero nor Kafka's reserved METADATA_TOPIC_ID (1). */
struct uuid uuid_random(void);
bool uuid_is_zero(const struct uuid *u);
bool uuid_equal(const struct uuid *a, const struct uuid *b);
/* Writes the 22-character base64url form and a NUL into out[23]. */
void uuid_to_string(const struct uuid *u, char out[UUID_STR_LEN + 1]);
/* Parses the base64url form; returns 0 or SL_EINVAL. */
int uuid_from_string(const char *s, struct uuid *out);

#endif
