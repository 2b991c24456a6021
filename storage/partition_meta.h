/*
 * <partition dir>/partition.metadata: the topic id of the partition's topic
 * (KIP-516), text "version: 0\ntopic_id: <22-char base64url uuid>\n" as
 * Kafka's PartitionMetadataFile writes it.
 */
#ifndef SLUICE_STORAGE_PARTITION_META_H
#define SLUICE_STORAGE_PARTITION_META_H

#include "uuid.h"

#define STORAGE_PARTITION_META_FILE "partition.metadata"

/* Writes the file in `dir` atomically (tmp, fsync, rename, dir fsync).
 * Returns 0, SL_EINVAL (zero uuid) or SL_EIO. */
int storage_partition_meta_write(const char *dir, const struct uuid *topic_id);

/* Reads the file in `dir`.  Errors: SL_ENOTFOUND (no file), SL_ECORRUPT
 * (malformed, logged), SL_EIO. */
int storage_partition_meta_read(const char *dir, struct uuid *topic_id);

#endif
