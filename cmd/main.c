/*
 * Entry point of the `sluice` binary: dispatches to the subcommands and
 * implements the small ones (random-uuid, version, help).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "uuid.h"

int cmd_cluster(int argc, char **argv); /* cmd_cluster.c */
int cmd_group(int argc, char **argv);   /* cmd_group.c */

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.0.0"
#endif

static void usage(FILE *out)
{
    fputs("Usage: sluice <command> [options]\n"
          "\n"
          "Node:\n"
          "  server        run a node (broker and/or controller) until SIGTERM/SIGINT\n"
          "  format        write meta.properties into the data directories\n"
          "  random-uuid   print a new random cluster id\n"
          "  version       print the version\n"
          "\n"
          "Clients (Kafka protocol; -b/--bootstrap-server, default $SLUICE_BOOTSTRAP or "
          "127.0.0.1:9092):\n"
          "  topic         create, list, describe or delete topics\n"
          "  produce       write lines from stdin to a topic\n"
          "  consume       print the records of a topic\n"
          "  group         list, describe, reset offsets of or delete consumer groups\n"
          "\n"
          "Cluster (admin API; --admin, default $SLUICE_ADMIN or 127.0.0.1:9644):\n"
          "  cluster       info (brokers, controller, topics) and health [--watch]\n"
          "\n"
          "Run 'sluice <command> --help' for the options of a command.\n",
          out);
}

const char *cmd_default_bootstrap(void)
{
    const char *b = getenv("SLUICE_BOOTSTRAP");
    return b && *b ? b : "127.0.0.1:9092";
}

static int cmd_random_uuid(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            puts("Usage: sluice random-uuid\n\nPrints a random id in Kafka's format (22 "
                 "characters of base64url),\nfor `sluice format --cluster-id`.");
            return CMD_OK;
        }
        fprintf(stderr, "sluice random-uuid: unexpected argument '%s'\n", argv[1]);
        return CMD_USAGE;
    }
    struct uuid u = uuid_random();
    char s[UUID_STR_LEN + 1];
    uuid_to_string(&u, s);
    puts(s);
    return CMD_OK;
}

static int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("Usage: sluice version\n\nPrints the version of this binary.");
        return CMD_OK;
    }
    printf("sluice %s\n", SLUICE_VERSION);
    return CMD_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CMD_USAGE;
    }
    static const struct {
        const char *name, *alias;
        int (*run)(int argc, char **argv);
    } commands[] = {
        {"server", NULL, cmd_server},           {"format", NULL, cmd_format},
        {"random-uuid", NULL, cmd_random_uuid}, {"version", "--version", cmd_version},
        {"topic", "topics", cmd_topic},         {"produce", NULL, cmd_produce},
        {"consume", NULL, cmd_consume},         {"cluster", NULL, cmd_cluster},
        {"group", "groups", cmd_group},
    };
    const char *c = argv[1];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(c, commands[i].name) == 0 ||
            (commands[i].alias && strcmp(c, commands[i].alias) == 0))
            return commands[i].run(argc - 1, argv + 1);
    if (strcmp(c, "help") == 0 || strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0) {
        usage(stdout);
        return CMD_OK;
    }
    fprintf(stderr, "sluice: unknown command '%s'\n\n", c);
    usage(stderr);
    return CMD_USAGE;
}
