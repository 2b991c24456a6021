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

struct broker_config;

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

/*
 * Appends s to a growable array of strings (for repeated --override and
 * --config options).  The array borrows the strings.
 */
void cmd_strv_push(char ***v, int *n, char *s);

#endif
