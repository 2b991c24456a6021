/*
 * `sluice server`: loads the configuration, formats the data directory in
 * dev mode (no -c FILE), then runs the node until SIGTERM/SIGINT
 * (broker_node_run in cmd/node/node.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker_config.h"
#include "cmd.h"
#include "err.h"
#include "log.h"
#include "meta_properties.h"

#include "node.h"

static void usage(FILE *out)
{
    fputs("Usage: sluice server [-c FILE] [--override k=v]...\n"
          "\n"
          "Runs a node until SIGTERM or SIGINT.  Configuration comes from the\n"
          "properties file, then SLUICE_* environment variables (SLUICE_NODE_ID ->\n"
          "node.id; '__' stands for '_'), then --override (highest precedence).\n"
          "\n"
          "Without -c the node is a single-node development cluster on 127.0.0.1\n"
          "(Kafka 9092, controller 9093, admin HTTP 9644, data in ./sluice-data) and\n"
          "formats its data directory itself; with -c the directories must have been\n"
          "formatted with `sluice format`.\n"
          "\n"
          "  -c, --config FILE   properties file (Kafka's server.properties format)\n"
          "      --override k=v  set a configuration key (repeatable)\n"
          "      --help-config   list every configuration key with its default\n"
          "  -h, --help          this help\n",
          out);
}

/* Outside dev mode every directory must be formatted already (as Kafka requires). */
static int check_formatted(const struct broker_config *cfg)
{
    for (size_t i = 0; i <= cfg->data_dirs.n; i++) {
        const char *dir = i < cfg->data_dirs.n ? cfg->data_dirs.v[i] : cfg->metadata_dir;
        struct storage_meta_properties m;
        int rc = storage_meta_properties_read(dir, &m);
        if (rc == SL_ENOTFOUND) {
            fprintf(stderr,
                    "sluice server: no %s in %s: format the directories first with\n"
                    "  sluice format -c %s --cluster-id <id>   (one id per cluster, from "
                    "`sluice random-uuid`)\n",
                    STORAGE_META_PROPERTIES_FILE, dir, cfg->config_file);
            return -1;
        }
        if (rc < 0) {
            fprintf(stderr, "sluice server: %s/%s cannot be read: %s\n", dir,
                    STORAGE_META_PROPERTIES_FILE, sl_strerror(rc));
            return -1;
        }
        if (m.node_id != cfg->node_id) {
            fprintf(stderr, "sluice server: %s belongs to node %d but node.id is %d\n", dir,
                    (int)m.node_id, (int)cfg->node_id);
            return -1;
        }
    }
    return 0;
}

/* --help-config: the configuration reference. */
static int help_config(void *dst, int letter, char *arg)
{
    (void)dst;
    (void)letter;
    (void)arg;
    broker_config_print_docs(stdout);
    return CMD_OK;
}

int cmd_server(int argc, char **argv)
{
    struct cmd_node_config nc = {0};
    const struct cmd_opt opts[] = {
        CMD_NODE_CONFIG_OPTS(&nc),
        {"help-config", 'H', CMD_OPT_CALL_FLAG, .call = help_config},
        {NULL},
    };
    const struct cmd_parser p = {
        .cmd = "server", .shorts = "c:o:h", .opts = opts, .usage = usage, .no_operands = true};
    struct broker_config cfg;
    int rc = cmd_node_config_load(&p, argc, argv, &nc, &cfg);
    if (rc != CMD_CONTINUE)
        return rc;
    log_set_level((enum log_level)cfg.log_level);
    if (broker_config_dev_mode(&cfg)) {
        char id[STORAGE_CLUSTER_ID_MAX + 1], err[1024];
        int written = 0;
        rc = cmd_format_dirs(&cfg, NULL, true, id, &written, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "sluice server: %s\n", err);
            broker_config_free(&cfg);
            return CMD_FAIL;
        }
        if (written > 0)
            LOG_INFO("server", "dev mode: formatted %s (cluster id %s, node %d)",
                     cfg.data_dirs.v[0], id, (int)cfg.node_id);
        else
            LOG_INFO("server", "dev mode: using %s (cluster id %s)", cfg.data_dirs.v[0], id);
    } else if (check_formatted(&cfg) < 0) {
        broker_config_free(&cfg);
        return CMD_FAIL;
    }
    rc = broker_node_run(&cfg);
    broker_config_free(&cfg);
    return rc;
}
