/*
 * The `sluice` binary's subcommands (one file each) and the helpers they
 * share.  Every subcommand takes (argc, argv) with argv[0] = its own name,
 * prints its usage for --help, and returns the process exit status: 0 on
 * success, 1 on failure (with a message on stderr), 2 on a usage error.
 */
#ifndef SLUICE_CMD_H
#define SLUICE_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct broker_config;
struct cmd_strv;
struct kclient;

#define CMD_OK    0
#define CMD_FAIL  1
#define CMD_USAGE 2

int cmd_server(int argc, char **argv);
int cmd_format(int argc, char **argv);
int cmd_topic(int argc, char **argv);
int cmd_produce(int argc, char **argv);
int cmd_consume(int argc, char **argv);

/*
 * Writes meta.properties (version 1, node.id, cluster.id) into every log dir
 * of cfg and its metadata log dir, creating the directories as needed.
 * cluster_id NULL means: the id already present in a formatted dir, else a
 * fresh random one.  A dir already formatted is an error unless
 * ignore_formatted, in which case it is left as it is (Kafka's
 * --ignore-formatted).  Formatted dirs must agree on cluster and node id.
 * The cluster id used is copied to cluster_id_out (at least 65 bytes) when
 * not NULL; *n_written (may be NULL) counts the dirs written.
 * Returns 0 or a negative SL_E* code with a message in err.
 */
int cmd_format_dirs(const struct broker_config *cfg, const char *cluster_id, bool ignore_formatted,
                    char *cluster_id_out, int *n_written, char *err, size_t errlen);

/* The default bootstrap server: $SLUICE_BOOTSTRAP or 127.0.0.1:9092. */
const char *cmd_default_bootstrap(void);

/*
 * Parses a whole decimal integer within [min, max] for option `what` of
 * command `cmd`; on failure prints "sluice <cmd>: invalid <what> 's'" and
 * returns -1.
 */
int cmd_parse_int(const char *cmd, const char *what, const char *s, int64_t min, int64_t max,
                  int64_t *out);

/* A growable array of strings borrowed from argv (repeated --override, --config). */
struct cmd_strv {
    char **v; /* owned: free(v) */
    int n;
};
void cmd_strv_push(struct cmd_strv *v, char *s);

/* cmd_opts_parse's answer when the command goes on (any other is an exit status). */
#define CMD_CONTINUE (-1)

/* Where an option's argument goes. */
enum cmd_opt_kind {
    CMD_OPT_FLAG,      /* no argument: *(bool *)dst = true */
    CMD_OPT_STR,       /* *(const char **)dst = the argument (borrowed from argv) */
    CMD_OPT_INT,       /* *(int64_t *)dst = the argument, a whole number in [min, max] */
    CMD_OPT_STRV,      /* appended to *(struct cmd_strv *)dst: repeatable */
    CMD_OPT_CALL,      /* call(dst, letter, argument) */
    CMD_OPT_CALL_FLAG, /* call(dst, letter, NULL): no argument */
};

/* One --name option of a subcommand; a table of them ends with a NULL name. */
struct cmd_opt {
    const char *name;
    int letter; /* getopt's code; also -letter when the parser's `shorts` lists it */
    enum cmd_opt_kind kind;
    void *dst;
    const char *what; /* CMD_OPT_INT: the value's name in the error message */
    int64_t min, max; /* CMD_OPT_INT */
    /* CMD_OPT_CALL*: returns CMD_CONTINUE, or the exit status after printing why. */
    int (*call)(void *dst, int letter, char *arg);
};

/* A subcommand's options and what to do on --help and on errors. */
struct cmd_parser {
    const char *cmd;    /* "topic": messages start "sluice topic: " */
    const char *shorts; /* getopt's short options ("h" for -h) */
    const struct cmd_opt *opts;
    void (*usage)(FILE *out);
    bool usage_on_bad_value; /* a refused value prints the usage too, as an unknown option does */
    bool no_operands;        /* anything after the options is "unexpected argument" */
    const char *one_operand; /* "topic name": exactly one operand, else this error and the usage */
};

/*
 * Parses argv[1..argc) with getopt_long by p's table (plus --help/-h, which
 * prints the usage to stdout and returns CMD_OK).  An unknown option prints
 * the usage to stderr and returns CMD_USAGE, as does a refused value (after
 * its message).  Returns CMD_CONTINUE when the command goes on; the operands
 * then start at argv[optind].
 */
int cmd_opts_parse(const struct cmd_parser *p, int argc, char **argv);

/* The --config FILE and --override k=v options of the node commands (server, format). */
struct cmd_node_config {
    const char *file;
    struct cmd_strv overrides;
};
#define CMD_NODE_CONFIG_OPTS(nc)                                                                   \
    {"config", 'c', CMD_OPT_STR, &(nc)->file},                                                     \
    {                                                                                              \
        "override", 'o', CMD_OPT_STRV, &(nc)->overrides                                            \
    }

/*
 * cmd_opts_parse, then loads the node configuration (nc's file, then its
 * overrides) into *cfg.  Returns CMD_CONTINUE (the caller frees cfg with
 * broker_config_free), or the exit status after printing why.
 */
int cmd_node_config_load(const struct cmd_parser *p, int argc, char **argv,
                         struct cmd_node_config *nc, struct broker_config *cfg);

/*
 * kclient_init for subcommand `cmd` (client id "sluice-<cmd>").  Returns
 * CMD_CONTINUE, or CMD_USAGE after printing why (c is freed).
 */
int cmd_kclient_init(const char *cmd, const char *bootstrap, struct kclient *c);

#endif
