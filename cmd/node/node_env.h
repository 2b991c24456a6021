/*
 * struct broker_env (broker_env.h) for the node: what the replica manager,
 * its fetchers and ISR updates, and the group coordinator see of the node,
 * implemented with the node's registration, controller, forwarding
 * connection and metrics.  Only the wiring fills one in.
 */
#ifndef SLUICE_NODE_ENV_H
#define SLUICE_NODE_ENV_H

struct broker;

/*
 * Fills in n->env from the node's state (event base, configuration, node id,
 * image, purgatory) with n as the callbacks' context; n->env.rm is left to the
 * caller.  n must outlive every module that is handed &n->env.
 */
void node_env_init(struct broker *n);

#endif
