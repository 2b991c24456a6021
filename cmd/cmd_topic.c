/*
 * `sluice topic create|list|describe|delete`, over the Kafka protocol
 * (CreateTopics, Metadata, DescribeConfigs, DeleteTopics).  The describe
 * output follows kafka-topics.sh --describe so scripts written for it work.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "err.h"
#include "kafka.h"
#include "kclient.h"
#include "xalloc.h"

static void usage(FILE *out)
{
    fputs("Usage: sluice topic <create|list|describe|delete> [options]\n"
          "\n"
          "  sluice topic create NAME [-p PARTITIONS] [-r REPLICATION] [-c k=v]... "
          "[--if-not-exists]\n"
          "  sluice topic list\n"
          "  sluice topic describe [NAME]...\n"
          "  sluice topic delete NAME [--if-exists]\n"
          "\n"
          "  -b, --bootstrap-server HOST:PORT  broker to connect to (default $SLUICE_BOOTSTRAP\n"
          "                                    or 127.0.0.1:9092)\n"
          "  -p, --partitions N                partitions (default: the broker's "
          "num.partitions)\n"
          "  -r, --replication-factor N        replicas (default: the broker's\n"
          "                                    default.replication.factor)\n"
          "  -c, --config k=v                  topic configuration (repeatable)\n"
          "      --if-not-exists               create: succeed if the topic exists\n"
          "      --if-exists                   delete: succeed if the topic does not exist\n"
          "      --timeout-ms MS               broker-side timeout (default 30000)\n"
          "  -h, --help                        this help\n",
          out);
}

static int cmp_names(const void *a, const void *b)
{
    const struct metadata_resp_topic *x = *(const struct metadata_resp_topic *const *)a;
    const struct metadata_resp_topic *y = *(const struct metadata_resp_topic *const *)b;
    int32_t n = x->name.len < y->name.len ? x->name.len : y->name.len;
    int c = memcmp(x->name.s, y->name.s, (size_t)n);
    return c ? c : (x->name.len > y->name.len) - (x->name.len < y->name.len);
}

static int cmp_partitions(const void *a, const void *b)
{
    const struct metadata_resp_partition *x = a, *y = b;
    return (x->partition_index > y->partition_index) - (x->partition_index < y->partition_index);
}

static void print_ids(const int32_t *v, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", (int)v[i]);
}

/* Sorted, named topics of the cached metadata (the array is the caller's to free). */
static const struct metadata_resp_topic **sorted_topics(const struct kclient *c, int32_t *n)
{
    const struct metadata_resp_topic **v =
        xcalloc((size_t)(c->meta.topics.n > 0 ? c->meta.topics.n : 1), sizeof *v);
    *n = 0;
    for (int32_t i = 0; i < c->meta.topics.n; i++)
        if (c->meta.topics.v[i].name.s)
            v[(*n)++] = &c->meta.topics.v[i];
    qsort(v, (size_t)*n, sizeof *v, cmp_names);
    return v;
}

static int do_list(struct kclient *c)
{
    if (kclient_metadata(c, NULL, -1, false) < 0) {
        fprintf(stderr, "sluice topic list: %s\n", kclient_error(c));
        return CMD_FAIL;
    }
    int32_t n;
    const struct metadata_resp_topic **v = sorted_topics(c, &n);
    for (int32_t i = 0; i < n; i++)
        printf("%.*s\n", (int)v[i]->name.len, v[i]->name.s);
    free(v);
    return CMD_OK;
}

static void describe_one(struct kclient *c, const struct metadata_resp_topic *t)
{
    char id[UUID_STR_LEN + 1];
    uuid_to_string(&t->topic_id, id);
    struct arena a = ARENA_INIT;
    char *configs = "";
    if (kclient_topic_configs(c, t->name.s, &a, &configs) < 0)
        configs = "";
    qsort(t->partitions.v, (size_t)t->partitions.n, sizeof *t->partitions.v, cmp_partitions);
    int32_t rf = t->partitions.n > 0 ? t->partitions.v[0].replica_nodes.n : 0;
    printf("Topic: %.*s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n",
           (int)t->name.len, t->name.s, id, (int)t->partitions.n, (int)rf, configs);
    for (int32_t i = 0; i < t->partitions.n; i++) {
        const struct metadata_resp_partition *p = &t->partitions.v[i];
        printf("\tTopic: %.*s\tPartition: %d\tLeader: ", (int)t->name.len, t->name.s,
               (int)p->partition_index);
        if (p->leader_id >= 0)
            printf("%d", (int)p->leader_id);
        else
            printf("none");
        printf("\tReplicas: ");
        print_ids(p->replica_nodes.v, p->replica_nodes.n);
        printf("\tIsr: ");
        print_ids(p->isr_nodes.v, p->isr_nodes.n);
        if (p->offline_replicas.n > 0) {
            printf("\tOffline: ");
            print_ids(p->offline_replicas.v, p->offline_replicas.n);
        }
        printf("\n");
    }
    arena_free(&a);
}

static int do_describe(struct kclient *c, char **names, int n_names)
{
    int rc;
    if (n_names > 0)
        rc = kclient_metadata(c, (const char *const *)names, n_names, false);
    else
        rc = kclient_metadata(c, NULL, -1, false);
    if (rc < 0) {
        fprintf(stderr, "sluice topic describe: %s\n", kclient_error(c));
        return CMD_FAIL;
    }
    int status = CMD_OK;
    for (int i = 0; i < n_names; i++) {
        const struct metadata_resp_topic *t = kclient_topic(c, names[i]);
        if (!t || t->error_code != 0) {
            fprintf(stderr, "sluice topic describe: topic '%s' %s\n", names[i],
                    t && t->error_code != KERR_UNKNOWN_TOPIC_OR_PARTITION
                        ? kafka_error_name(t->error_code)
                        : "does not exist");
            status = CMD_FAIL;
        }
    }
    int32_t n;
    const struct metadata_resp_topic **v = sorted_topics(c, &n);
    for (int32_t i = 0; i < n; i++)
        if (v[i]->error_code == 0)
            describe_one(c, v[i]);
    free(v);
    return status;
}

/*
 * The exit status of a create or delete that returned rc: done (printed as
 * "<done> topic <name>."), nothing to do (rc == quiet_rc, for --if-not-exists
 * and --if-exists), or failed.
 */
static int outcome(struct kclient *c, const char *action, const char *done, const char *name,
                   int rc, int quiet_rc)
{
    if (rc == 0)
        printf("%s topic %s.\n", done, name);
    else if (rc != quiet_rc)
        fprintf(stderr, "sluice topic %s: %s\n", action, kclient_error(c));
    return rc == 0 || rc == quiet_rc ? CMD_OK : CMD_FAIL;
}

/* --config key=value: repeatable. */
static int config_opt(void *dst, int letter, char *arg)
{
    (void)letter;
    if (!strchr(arg, '=') || arg[0] == '=') {
        fprintf(stderr, "sluice topic: --config '%s': expected key=value\n", arg);
        return CMD_USAGE;
    }
    cmd_strv_push(dst, arg);
    return CMD_CONTINUE;
}

int cmd_topic(int argc, char **argv)
{
    const char *bootstrap = cmd_default_bootstrap();
    int64_t partitions = -1, rf = -1, timeout = 30000;
    struct cmd_strv configs = {0};
    bool if_not_exists = false, if_exists = false;
    const struct cmd_opt opts[] = {
        {"bootstrap-server", 'b', CMD_OPT_STR, &bootstrap},
        {"partitions", 'p', CMD_OPT_INT, &partitions, "partition count", 1, INT32_MAX},
        {"replication-factor", 'r', CMD_OPT_INT, &rf, "replication factor", 1, INT16_MAX},
        {"config", 'c', CMD_OPT_CALL, &configs, .call = config_opt},
        {"if-not-exists", 'N', CMD_OPT_FLAG, &if_not_exists},
        {"if-exists", 'E', CMD_OPT_FLAG, &if_exists},
        {"timeout-ms", 'T', CMD_OPT_INT, &timeout, "timeout", 1, INT32_MAX},
        {NULL},
    };
    const struct cmd_parser p = {.cmd = "topic",
                                 .shorts = "b:p:r:c:h",
                                 .opts = opts,
                                 .usage = usage,
                                 .usage_on_bad_value = true};
    int status = cmd_opts_parse(&p, argc, argv);
    if (status != CMD_CONTINUE) {
        free(configs.v);
        return status;
    }
    if (optind >= argc) {
        fprintf(stderr, "sluice topic: missing action (create, list, describe or delete)\n");
        goto usage_error;
    }
    const char *action = argv[optind++];
    char **names = argv + optind;
    int n_names = argc - optind;
    bool is_create = strcmp(action, "create") == 0, is_delete = strcmp(action, "delete") == 0;
    bool is_list = strcmp(action, "list") == 0, is_describe = strcmp(action, "describe") == 0;
    if (!is_create && !is_delete && !is_list && !is_describe) {
        fprintf(stderr, "sluice topic: unknown action '%s'\n", action);
        goto usage_error;
    }
    if ((is_create || is_delete) && n_names != 1) {
        fprintf(stderr, "sluice topic %s: expected exactly one topic name\n", action);
        goto usage_error;
    }
    if (is_list && n_names != 0) {
        fprintf(stderr, "sluice topic list: unexpected argument '%s'\n", names[0]);
        goto usage_error;
    }

    struct kclient c;
    if (cmd_kclient_init("topic", bootstrap, &c) != CMD_CONTINUE) {
        free(configs.v);
        return CMD_USAGE;
    }
    status = CMD_OK;
    if (is_list) {
        status = do_list(&c);
    } else if (is_describe) {
        status = do_describe(&c, names, n_names);
    } else if (is_create) {
        struct kclient_config_kv *kv = xcalloc((size_t)(configs.n ? configs.n : 1), sizeof *kv);
        for (int i = 0; i < configs.n; i++) {
            char *eq = strchr(configs.v[i], '=');
            *eq = '\0';
            kv[i].name = configs.v[i];
            kv[i].value = eq + 1;
        }
        int rc = kclient_create_topic(&c, names[0], (int32_t)partitions, (int16_t)rf, kv, configs.n,
                                      (int32_t)timeout);
        free(kv);
        status = outcome(&c, "create", "Created", names[0], rc, if_not_exists ? SL_EEXISTS : 0);
    } else {
        int rc = kclient_delete_topic(&c, names[0], (int32_t)timeout);
        status = outcome(&c, "delete", "Deleted", names[0], rc, if_exists ? SL_ENOTFOUND : 0);
    }
    kclient_free(&c);
    free(configs.v);
    return status;

usage_error:
    usage(stderr);
    free(configs.v);
    return CMD_USAGE;
}
