/*
 * The durable quorum-state file (quorum.h): KIP-595's QuorumStateData
 * (leader id, leader epoch, voted id) kept as key=value text and replaced
 * atomically.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fileutil.h"
#include "quorum.h"
#include "xalloc.h"

#define STATE_MAX_BYTES 4096

static int parse_i32(const char *s, int32_t *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < INT32_MIN || v > INT32_MAX)
        return SL_ECORRUPT;
    *out = (int32_t)v;
    return 0;
}

int quorum_state_read(const char *dir, struct quorum_state *st)
{
    st->leader_id = -1;
    st->leader_epoch = 0;
    st->voted_id = -1;
    char *path = xasprintf("%s/%s", dir, QUORUM_STATE_FILE);
    char *data = NULL;
    size_t len = 0;
    int rc = storage_file_read_all(path, STATE_MAX_BYTES, &data, &len);
    free(path);
    if (rc == SL_ENOTFOUND)
        return 0;
    if (rc == SL_ETOOLARGE)
        return SL_ECORRUPT;
    if (rc != 0)
        return SL_EIO;
    if (strlen(data) != len) {
        free(data);
        return SL_ECORRUPT;
    }
    bool have_epoch = false;
    char *save = NULL;
    rc = 0;
    for (char *line = strtok_r(data, "\n", &save); line && rc == 0;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *eq = strchr(line, '=');
        if (!eq) {
            rc = SL_ECORRUPT;
            break;
        }
        *eq = '\0';
        const char *k = line, *v = eq + 1;
        int32_t x;
        if (strcmp(k, "version") == 0) {
            rc = parse_i32(v, &x);
            if (rc == 0 && x != 0)
                rc = SL_ECORRUPT;
        } else if (strcmp(k, "leader_id") == 0) {
            rc = parse_i32(v, &st->leader_id);
        } else if (strcmp(k, "leader_epoch") == 0) {
            rc = parse_i32(v, &st->leader_epoch);
            have_epoch = true;
        } else if (strcmp(k, "voted_id") == 0) {
            rc = parse_i32(v, &st->voted_id);
        }
        /* Unknown keys are kept for forward compatibility: ignored. */
    }
    free(data);
    if (rc == 0 && (!have_epoch || st->leader_epoch < 0 || st->leader_id < -1 || st->voted_id < -1))
        rc = SL_ECORRUPT;
    return rc;
}

int quorum_state_write(const char *dir, const struct quorum_state *st)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf),
                     "# Raft election state of the metadata quorum (KIP-595)\n"
                     "version=0\nleader_id=%d\nleader_epoch=%d\nvoted_id=%d\n",
                     (int)st->leader_id, (int)st->leader_epoch, (int)st->voted_id);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return SL_EIO;
    char *path = xasprintf("%s/%s", dir, QUORUM_STATE_FILE);
    int rc = storage_file_write_atomic(path, buf, (size_t)n);
    free(path);
    return rc == 0 ? 0 : SL_EIO;
}
