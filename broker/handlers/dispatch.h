/*
 * Routing of decoded request headers to API handlers.
 */
#ifndef SLUICE_BROKER_DISPATCH_H
#define SLUICE_BROKER_DISPATCH_H

struct request;

/*
 * Hands a request whose header has been decoded to its handler.  Unknown API
 * keys and versions outside the advertised range close the connection, as
 * Kafka's SocketServer does; ApiVersions is always answered (KIP-511).
 * The handler completes the request now or later (request.h).
 */
void broker_dispatch(struct request *req);

#endif
