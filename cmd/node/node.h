/*
 * One Sluice process: the node wiring (DESIGN.md section 1 and section 5).
 * It builds the event loop and everything hanging off it, the metadata
 * quorum, the controller and its image, the replica manager, the group
 * coordinator, the Kafka listeners and the admin listener, hands each module
 * the small interfaces it needs (struct broker, struct broker_env), and runs
 * until SIGTERM/SIGINT.  It is the only code that knows every module.
 */
#ifndef SLUICE_NODE_H
#define SLUICE_NODE_H

struct broker_config;

/*
 * Runs a node with the given configuration until SIGTERM or SIGINT, then shuts
 * down cleanly (every log flushed, checkpoints written).  The data directory
 * must be formatted (meta.properties present).  Returns the process exit code.
 */
int broker_node_run(const struct broker_config *cfg);

#endif
