/*
 * The API table of each listener (DESIGN.md section 5), one row per API key:
 * protocol's columns (name, advertised and accepted versions, first flexible
 * version, schemas: protocol/api.h) and, in the same row by key, the broker's
 * columns: the handler, and whether a broker that is not the active
 * controller forwards the request to it (KIP-590).  Header decoding, dispatch
 * and ApiVersions read a listener's table and nothing else.
 */
#ifndef SLUICE_BROKER_API_TABLE_H
#define SLUICE_BROKER_API_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "api.h"

struct request;

/* The broker's columns of one row. */
struct broker_api {
    void (*handler)(struct request *req); /* NULL exactly when protocol has no row */
    bool forwarded; /* sent to the active controller by a broker that is not it */
};

struct broker_api_table {
    const struct proto_api_table *proto; /* protocol's columns */
    const struct broker_api *by_key;     /* KAPI_MAX_KEY + 1 rows */
    bool controller;                     /* the CONTROLLER listener's */
};

extern const struct broker_api_table broker_client_apis;
extern const struct broker_api_table broker_controller_apis;

/*
 * The protocol and broker columns of `key` in t: true and both set when the
 * listener serves it, false otherwise.  Static storage.
 */
bool broker_api_find(const struct broker_api_table *t, int16_t key, const struct proto_api **api,
                     const struct broker_api **row);

#endif
