/*
 * meta.properties read/write (meta_properties.h).
 */
#include "meta_properties.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileutil.h"
#include "log.h"
#include "properties.h"
#include "xalloc.h"

static bool cluster_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > STORAGE_CLUSTER_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

int storage_meta_properties_write(const char *dir, const struct storage_meta_properties *m)
{
    if (m->version != 1 || m->node_id < 0 || !cluster_id_ok(m->cluster_id))
        return SL_EINVAL;
    char text[256];
    int len = snprintf(text, sizeof text,
                       "#\n# Written by sluice format; do not edit.\n#\n"
                       "cluster.id=%s\nnode.id=%" PRId32 "\nversion=%" PRId32 "\n",
                       m->cluster_id, m->node_id, m->version);
    if (m->has_directory_id) {
        char id[UUID_STR_LEN + 1];
        uuid_to_string(&m->directory_id, id);
        len += snprintf(text + len, sizeof text - (size_t)len, "directory.id=%s\n", id);
    }
    char *path = xasprintf("%s/%s", dir, STORAGE_META_PROPERTIES_FILE);
    int rc = storage_file_write_atomic(path, text, (size_t)len);
    free(path);
    return rc;
}

static bool int_value(const struct props *p, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const struct prop_entry *e = props_get(p, key);
    return e != NULL && storage_parse_i64(e->value, out) && *out >= lo && *out <= hi;
}

int storage_meta_properties_read(const char *dir, struct storage_meta_properties *m)
{
    memset(m, 0, sizeof *m);
    char *path = xasprintf("%s/%s", dir, STORAGE_META_PROPERTIES_FILE);
    char *text;
    size_t len;
    int rc = storage_file_read_all(path, 64 * 1024, &text, &len);
    if (rc == SL_ETOOLARGE)
        rc = SL_ECORRUPT;
    if (rc != 0) {
        free(path);
        return rc;
    }
    struct props p = PROPS_INIT;
    char err[256];
    int64_t v, node;
    const struct prop_entry *cid, *did;
    if (props_parse_string(&p, text, len, path, err, sizeof err) != 0) {
        LOG_ERROR("storage", "%s", err);
        rc = SL_ECORRUPT;
    } else if (!int_value(&p, "version", 1, 1, &v)) {
        LOG_ERROR("storage", "%s: missing or unsupported version", path);
        rc = SL_ECORRUPT;
    } else if (!int_value(&p, "node.id", 0, INT32_MAX, &node)) {
        LOG_ERROR("storage", "%s: missing or bad node.id", path);
        rc = SL_ECORRUPT;
    } else if ((cid = props_get(&p, "cluster.id")) == NULL || !cluster_id_ok(cid->value)) {
        LOG_ERROR("storage", "%s: missing or bad cluster.id", path);
        rc = SL_ECORRUPT;
    } else {
        m->version = (int32_t)v;
        m->node_id = (int32_t)node;
        snprintf(m->cluster_id, sizeof m->cluster_id, "%s", cid->value);
        if ((did = props_get(&p, "directory.id")) != NULL) {
            if (uuid_from_string(did->value, &m->directory_id) != 0) {
                LOG_ERROR("storage", "%s: bad directory.id", path);
                rc = SL_ECORRUPT;
            } else {
                m->has_directory_id = true;
            }
        }
    }
    props_free(&p);
    free(text);
    free(path);
    return rc;
}
