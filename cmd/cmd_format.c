/*
 * `sluice format`: writes meta.properties (KIP-631) into every log directory
 * and the metadata log directory, as `kafka-storage.sh format` does.  Also
 * used by `sluice server` in dev mode to format its data directory on first
 * start.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_config.h"
#include "cmd.h"
#include "err.h"
#include "fileutil.h"
#include "meta_properties.h"
#include "uuid.h"
#include "xalloc.h"

static int einval(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int einval(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

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

/* cmd_format_dirs with caller-provided arrays of data_dirs.n + 1 entries. */
static int format_dirs(const struct broker_config *cfg, const char *cluster_id,
                       bool ignore_formatted, const char **dirs, bool *formatted,
                       char *cluster_id_out, int *n_written, char *err, size_t errlen)
{
    if (n_written)
        *n_written = 0;
    /* The log dirs, then the metadata dir when it is not one of them. */
    size_t n = cfg->data_dirs.n;
    for (size_t i = 0; i < n; i++)
        dirs[i] = cfg->data_dirs.v[i];
    bool meta_listed = false;
    for (size_t i = 0; i < n; i++)
        meta_listed |= strcmp(dirs[i], cfg->metadata_dir) == 0;
    if (!meta_listed)
        dirs[n++] = cfg->metadata_dir;

    if (cluster_id && !cluster_id_ok(cluster_id))
        return einval(err, errlen, SL_EINVAL,
                      "invalid cluster id '%s': use 1 to %d characters from [A-Za-z0-9_-] "
                      "(see sluice random-uuid)",
                      cluster_id, STORAGE_CLUSTER_ID_MAX);

    char existing[STORAGE_CLUSTER_ID_MAX + 1] = "";
    const char *existing_dir = NULL;
    for (size_t i = 0; i < n; i++) {
        struct storage_meta_properties m;
        int rc = storage_meta_properties_read(dirs[i], &m);
        formatted[i] = rc == 0;
        if (rc == SL_ENOTFOUND)
            continue;
        if (rc < 0)
            return einval(err, errlen, rc, "%s/%s cannot be read: %s", dirs[i],
                          STORAGE_META_PROPERTIES_FILE, sl_strerror(rc));
        if (!ignore_formatted)
            return einval(err, errlen, SL_EEXISTS,
                          "log directory %s is already formatted (cluster id %s); use "
                          "--ignore-formatted to skip formatted directories",
                          dirs[i], m.cluster_id);
        if (m.node_id != cfg->node_id)
            return einval(err, errlen, SL_EINVAL,
                          "log directory %s belongs to node %d, but node.id is %d", dirs[i],
                          (int)m.node_id, (int)cfg->node_id);
        if (existing_dir && strcmp(existing, m.cluster_id) != 0)
            return einval(err, errlen, SL_EINVAL,
                          "log directories %s and %s belong to different clusters (%s, %s)",
                          existing_dir, dirs[i], existing, m.cluster_id);
        snprintf(existing, sizeof existing, "%s", m.cluster_id);
        existing_dir = dirs[i];
    }
    char id[STORAGE_CLUSTER_ID_MAX + 1];
    if (cluster_id) {
        if (existing_dir && strcmp(existing, cluster_id) != 0)
            return einval(err, errlen, SL_EINVAL,
                          "log directory %s is formatted for cluster %s, not %s", existing_dir,
                          existing, cluster_id);
        snprintf(id, sizeof id, "%s", cluster_id);
    } else if (existing_dir) {
        snprintf(id, sizeof id, "%s", existing);
    } else {
        struct uuid u = uuid_random();
        char s[UUID_STR_LEN + 1];
        uuid_to_string(&u, s);
        snprintf(id, sizeof id, "%s", s);
    }
    for (size_t i = 0; i < n; i++) {
        if (formatted[i])
            continue;
        int rc = storage_mkdirs(dirs[i]);
        if (rc < 0)
            return einval(err, errlen, rc, "cannot create directory %s", dirs[i]);
        struct storage_meta_properties m = {.version = 1, .node_id = cfg->node_id};
        snprintf(m.cluster_id, sizeof m.cluster_id, "%s", id);
        /* KIP-858: every log directory gets its own id. */
        m.has_directory_id = true;
        m.directory_id = uuid_random();
        rc = storage_meta_properties_write(dirs[i], &m);
        if (rc < 0)
            return einval(err, errlen, rc, "cannot write %s/%s: %s", dirs[i],
                          STORAGE_META_PROPERTIES_FILE, sl_strerror(rc));
        if (n_written)
            (*n_written)++;
    }
    if (cluster_id_out)
        snprintf(cluster_id_out, STORAGE_CLUSTER_ID_MAX + 1, "%s", id);
    return 0;
}

int cmd_format_dirs(const struct broker_config *cfg, const char *cluster_id, bool ignore_formatted,
                    char *cluster_id_out, int *n_written, char *err, size_t errlen)
{
    size_t n = cfg->data_dirs.n;
    const char **dirs = xcalloc(n + 1, sizeof *dirs);
    bool *formatted = xcalloc(n + 1, sizeof *formatted);
    int rc = format_dirs(cfg, cluster_id, ignore_formatted, dirs, formatted, cluster_id_out,
                         n_written, err, errlen);
    free(dirs);
    free(formatted);
    return rc;
}

static void usage(FILE *out)
{
    fputs("Usage: sluice format [-c FILE] [--cluster-id ID] [--override k=v]... "
          "[--ignore-formatted]\n"
          "\n"
          "Writes meta.properties (version, node.id, cluster.id) into every directory of\n"
          "log.dirs and into metadata.log.dir, creating them if needed.  Every node of a\n"
          "cluster must be formatted with the same cluster id.\n"
          "\n"
          "  -c, --config FILE      properties file (without one, the dev defaults apply)\n"
          "  -t, --cluster-id ID    cluster id (default: a new random id, printed)\n"
          "      --override k=v     set a configuration key (repeatable)\n"
          "  -g, --ignore-formatted skip directories that are already formatted instead of\n"
          "                         failing\n"
          "  -h, --help             this help\n",
          out);
}

int cmd_format(int argc, char **argv)
{
    struct cmd_node_config nc = {0};
    const char *cluster_id = NULL;
    bool ignore = false;
    const struct cmd_opt opts[] = {
        CMD_NODE_CONFIG_OPTS(&nc),
        {"cluster-id", 't', CMD_OPT_STR, &cluster_id},
        {"ignore-formatted", 'g', CMD_OPT_FLAG, &ignore},
        {NULL},
    };
    const struct cmd_parser p = {
        .cmd = "format", .shorts = "c:t:o:gh", .opts = opts, .usage = usage, .no_operands = true};
    struct broker_config cfg;
    int rc = cmd_node_config_load(&p, argc, argv, &nc, &cfg);
    if (rc != CMD_CONTINUE)
        return rc;
    char id[STORAGE_CLUSTER_ID_MAX + 1];
    int written = 0;
    char err[1024];
    rc = cmd_format_dirs(&cfg, cluster_id, ignore, id, &written, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "sluice format: %s\n", err);
        broker_config_free(&cfg);
        return CMD_FAIL;
    }
    printf("Formatted %d director%s for node %d, cluster id %s\n", written,
           written == 1 ? "y" : "ies", (int)cfg.node_id, id);
    broker_config_free(&cfg);
    return CMD_OK;
}
