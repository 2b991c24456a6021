/*
 * Kafka client connections: listening sockets, frame reading with
 * socket.request.max.bytes enforced before allocation, and responses written
 * in request order (file slices go out with sendfile via libevent file
 * segments).  Enforces the connection limits (max.connections,
 * max.connections.per.ip, connections.max.idle.ms,
 * socket.request.receive.timeout.ms) and the request budgets
 * (queued.max.requests, queued.max.request.bytes); see conn.c.
 */
#ifndef SLUICE_BROKER_CONN_H
#define SLUICE_BROKER_CONN_H

#include <stdint.h>

struct broker_api_table;
struct broker;
struct listener;

/*
 * Starts accepting Kafka connections on host:port for the listener `name`
 * ("PLAINTEXT", "CONTROLLER", ...) serving the APIs of `apis`.  Returns the
 * listener or NULL after logging why (address in use, bad host).  Freed by
 * listener_close.
 */
struct listener *listener_open(struct broker *node, const char *name, const char *host, int port,
                               const struct broker_api_table *apis);
/*
 * Stops accepting and frees the listener (its slot in node->listeners
 * becomes NULL); its connections stay open until conn_close_all.
 */
void listener_close(struct listener *l);
/* Closes every client connection of every listener (shutdown). */
void conn_close_all(struct broker *node);
/* Number of open client connections across all listeners. */
int conn_count(const struct broker *node);

#endif
