/*
 * partition.metadata read/write (partition_meta.h).
 */
#include "partition_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileutil.h"
#include "log.h"
#include "xalloc.h"

int storage_partition_meta_write(const char *dir, const struct uuid *topic_id)
{
    if (uuid_is_zero(topic_id))
        return SL_EINVAL;
    char id[UUID_STR_LEN + 1];
    uuid_to_string(topic_id, id);
    char text[64];
    int len = snprintf(text, sizeof text, "version: 0\ntopic_id: %s\n", id);
    char *path = xasprintf("%s/%s", dir, STORAGE_PARTITION_META_FILE);
    int rc = storage_file_write_atomic(path, text, (size_t)len);
    free(path);
    return rc;
}

/* Value of a "key: value" line (spaces after the colon are optional), or NULL. */
static const char *value_of(const char *line, const char *key)
{
    size_t k = strlen(key);
    if (line == NULL || strncmp(line, key, k) != 0 || line[k] != ':')
        return NULL;
    line += k + 1;
    while (*line == ' ')
        line++;
    return line;
}

int storage_partition_meta_read(const char *dir, struct uuid *topic_id)
{
    char *path = xasprintf("%s/%s", dir, STORAGE_PARTITION_META_FILE);
    char *text;
    size_t len;
    int rc = storage_file_read_all(path, 4096, &text, &len);
    if (rc == SL_ETOOLARGE)
        rc = SL_ECORRUPT;
    if (rc != 0) {
        free(path);
        return rc;
    }
    char *cur = text;
    const char *v = value_of(storage_text_next_line(&cur), "version");
    const char *id = NULL;
    if (v == NULL || strcmp(v, "0") != 0) {
        LOG_ERROR("storage", "%s: malformed: expected \"version: 0\"", path);
        rc = SL_ECORRUPT;
    } else if ((id = value_of(storage_text_next_line(&cur), "topic_id")) == NULL ||
               strlen(id) != UUID_STR_LEN || uuid_from_string(id, topic_id) != 0) {
        LOG_ERROR("storage", "%s: malformed: expected \"topic_id: <uuid>\"", path);
        rc = SL_ECORRUPT;
    }
    free(text);
    free(path);
    return rc;
}
