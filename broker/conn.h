/*
 * Kafka client connections: listening sockets, frame reading with
 * socket.request.max.bytes enforced before allocation, and responses written
 * in request order (file slices go out with sendfile via libevent file
 * segments).
 */
#ifndef SLUICE_BROKER_CONN_H
#define SLUICE_BROKER_CONN_H

#include <stdint.h>

struct api_table;
struct node;
struct listener;

/*
 * Starts accepting Kafka connections on host:port for the listener `name`
 * ("PLAINTEXT", "CONTROLLER", ...) serving the APIs of `apis`.  Returns the
 * listener or NULL after logging why (address in use, bad host).  Freed by
 * listener_close.
 */
struct listener *listener_open(struct node *node, const char *name, const char *host, int port,
                               const struct api_table *apis);
/* Stops accepting; existing connections are closed too. */
void listener_close(struct listener *l);
/* Closes every client connection of every listener (shutdown). */
void conn_close_all(struct node *node);
/* Number of open client connections across all listeners. */
int conn_count(const struct node *node);

#endif
