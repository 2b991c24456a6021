/*
 * <log.dir>/meta.properties, the identity of a formatted log directory
 * (KIP-631, Kafka's MetaProperties): java-properties lines
 *   version=1
 *   node.id=<N>
 *   cluster.id=<cluster id, Kafka's 22-char base64url uuid>
 *   directory.id=<uuid>          (optional, KIP-858)
 * written by `sluice format` and checked on start-up.
 */
#ifndef SLUICE_STORAGE_META_PROPERTIES_H
#define SLUICE_STORAGE_META_PROPERTIES_H

#include <stdbool.h>
#include <stdint.h>

#include "uuid.h"

#define STORAGE_META_PROPERTIES_FILE "meta.properties"
#define STORAGE_CLUSTER_ID_MAX       64

struct storage_meta_properties {
    int32_t version; /* 1 for KRaft */
    int32_t node_id;
    char cluster_id[STORAGE_CLUSTER_ID_MAX + 1];
    bool has_directory_id;
    struct uuid directory_id;
};

/*
 * Writes <dir>/meta.properties atomically.  The cluster id must be 1..64
 * characters from [A-Za-z0-9_-]; node_id >= 0; version 1.
 * Returns 0, SL_EINVAL or SL_EIO.
 */
int storage_meta_properties_write(const char *dir, const struct storage_meta_properties *m);

/*
 * Reads <dir>/meta.properties.  Unknown keys are ignored.  Errors:
 * SL_ENOTFOUND (the directory is not formatted), SL_ECORRUPT (missing or bad
 * version, node.id or cluster.id; logged), SL_EIO.
 */
int storage_meta_properties_read(const char *dir, struct storage_meta_properties *m);

#endif
