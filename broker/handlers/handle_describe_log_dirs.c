/*
 * DescribeLogDirs (35, KIP-113; v3 top-level error code KIP-784, v4 volume
 * sizes KIP-827): what kafka-log-dirs.sh and Admin.describeLogDirs ask each
 * broker.  Sluice has one log dir: its absolute path, the volume's total and
 * usable bytes, and every hosted partition asked for (all when topics is
 * null) with its size (the sum of its segment files) and offset lag; an
 * offline dir answers KAFKA_STORAGE_ERROR and lists nothing, as Kafka's
 * ReplicaManager.describeLogDirs does.  Partitions not hosted here are left
 * out, never errors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "handlers.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "broker.h"
#include "partition.h"
#include "replica_manager.h"
#include "request.h"
#include "topic_name.h"

/* The hosted partitions to describe, collected before grouping. */
struct dld_list {
    struct partition **v;
    size_t n, cap;
};

static void dld_collect(void *ctx, struct partition *p)
{
    struct dld_list *l = ctx;
    if (l->n < l->cap && !p->deleted && !partition_offline(p))
        l->v[l->n++] = p;
}

static int dld_cmp(const void *a, const void *b)
{
    const struct partition *x = *(struct partition *const *)a, *y = *(struct partition *const *)b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Kafka reports File.getAbsolutePath: the configured path made absolute, links kept. */
static struct kstr dld_abs_path(struct request *req, const char *dir)
{
    if (dir[0] == '/')
        return request_kstr(req, dir);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return request_kstr(req, dir);
    size_t a = strlen(cwd), b = strlen(dir);
    char *s = request_alloc(req, a + b + 2, 1);
    memcpy(s, cwd, a);
    s[a] = '/';
    memcpy(s + a + 1, dir, b + 1);
    return (struct kstr){s, (int32_t)(a + 1 + b)};
}

/* Kafka's adjustForLargeFileSystems: a size that overflows a long reads Long.MAX_VALUE. */
static int64_t dld_volume_bytes(unsigned long long blocks, unsigned long frsize)
{
    if (frsize && blocks > (unsigned long long)INT64_MAX / frsize)
        return INT64_MAX;
    return (int64_t)(blocks * frsize);
}

/* Fills the dir's topics from the sorted, possibly repeated partitions in l. */
static void dld_group(struct request *req, struct dld_list *l,
                      struct describe_log_dirs_resp_result *res)
{
    struct replica_manager *rm = req->node->rm;
    qsort(l->v, l->n, sizeof *l->v, dld_cmp);
    struct describe_log_dirs_resp_topic *topics = request_alloc(req, l->n + 1, sizeof *topics);
    struct describe_log_dirs_resp_partition *parts = request_alloc(req, l->n + 1, sizeof *parts);
    int32_t nt = 0, np = 0;
    for (size_t i = 0; i < l->n; i++) {
        struct partition *p = l->v[i];
        if (i > 0 && l->v[i - 1] == p)
            continue; /* asked for twice: Kafka's request is a set */
        if (nt == 0 || strcmp(topics[nt - 1].name.s, p->topic) != 0) {
            topics[nt].name = request_kstr(req, p->topic);
            topics[nt].partitions.v = &parts[np];
            nt++;
        }
        int64_t lag = 0;
        if (!p->repl.is_leader) {
            lag = replica_manager_follower_lag(rm, p->topic, p->index);
            if (lag < 0)
                lag = 0;
        }
        parts[np++] = (struct describe_log_dirs_resp_partition){
            .partition_index = p->index,
            .partition_size = storage_log_size_bytes(p->log),
            .offset_lag = lag,
            .is_future_key = false,
        };
        topics[nt - 1].partitions.n++;
    }
    res->topics.n = nt;
    res->topics.v = topics;
}

void handle_describe_log_dirs(struct request *req)
{
    struct describe_log_dirs_req *dr =
        request_decode_body(req, &proto_describe_log_dirs_req_schema);
    if (!dr)
        return;
    struct replica_manager *rm = req->node->rm;
    struct describe_log_dirs_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->error_code = KERR_NONE;
    if (!rm) {
        request_respond(req, &proto_describe_log_dirs_resp_schema, resp);
        return;
    }
    struct describe_log_dirs_resp_result *res = request_alloc(req, 1, sizeof *res);
    res->log_dir = dld_abs_path(req, replica_manager_log_dir(rm));
    res->total_bytes = -1;
    res->usable_bytes = -1;
    resp->results.n = 1;
    resp->results.v = res;
    replica_manager_check_storage(rm);
    struct statvfs st;
    if (replica_manager_log_dir_offline(rm)) {
        res->error_code = KERR_KAFKA_STORAGE_ERROR;
    } else if (statvfs(replica_manager_log_dir(rm), &st) != 0) {
        LOG_WARN("broker", "DescribeLogDirs: statvfs %s: %s", replica_manager_log_dir(rm),
                 strerror(errno));
        res->error_code = KERR_KAFKA_STORAGE_ERROR;
    } else {
        res->total_bytes = dld_volume_bytes(st.f_blocks, st.f_frsize);
        res->usable_bytes = dld_volume_bytes(st.f_bavail, st.f_frsize);
        struct dld_list l = {0};
        if (dr->topics.n < 0) {
            l.cap = (size_t)replica_manager_partition_count(rm);
            l.v = request_alloc(req, l.cap + 1, sizeof *l.v);
            replica_manager_foreach(rm, dld_collect, &l);
        } else {
            for (int32_t i = 0; i < dr->topics.n; i++)
                l.cap += (size_t)dr->topics.v[i].partitions.n;
            l.v = request_alloc(req, l.cap + 1, sizeof *l.v);
            for (int32_t i = 0; i < dr->topics.n; i++) {
                const struct describe_log_dirs_req_topic *t = &dr->topics.v[i];
                if (!proto_topic_name_legal(t->topic))
                    continue; /* names no log */
                const char *name = proto_kstr_cstr(t->topic, &req->arena);
                for (int32_t j = 0; j < t->partitions.n; j++) {
                    struct partition *p = NULL;
                    if (replica_manager_lookup(rm, name, t->partitions.v[j], &p) == KERR_NONE)
                        dld_collect(&l, p);
                }
            }
        }
        if (replica_manager_log_dir_offline(rm))
            res->error_code = KERR_KAFKA_STORAGE_ERROR; /* a lookup found a failed log */
        else
            dld_group(req, &l, res);
    }
    request_respond(req, &proto_describe_log_dirs_resp_schema, resp);
}
