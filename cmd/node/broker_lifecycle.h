/*
 * The broker side of KIP-631's broker lifecycle: registration with the active
 * controller (BrokerRegistration) and a heartbeat every
 * broker.heartbeat.interval.ms (BrokerHeartbeat) carrying the broker's
 * metadata offset, so the controller unfences it once it has caught up and
 * fences it when the heartbeats stop.  The active controller may be this very
 * node (its controller is called directly) or another voter (the RPCs go to
 * its CONTROLLER listener); leadership changes move the heartbeats along.
 */
#ifndef SLUICE_BROKER_LIFECYCLE_H
#define SLUICE_BROKER_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

struct broker_lifecycle;
struct broker;

/* A lifecycle manager for the node's broker (NULL-safe helpers below). */
struct broker_lifecycle *broker_lifecycle_new(struct broker *n);

/* Closes the connection to the controller; pending answers are dropped. */
void broker_lifecycle_free(struct broker_lifecycle *bl);

/* Registers or heartbeats when due.  Called from the node's tick. */
void broker_lifecycle_tick(struct broker_lifecycle *bl, int64_t now_ms);

/*
 * Controlled shutdown (KIP-631): from now on heartbeats ask to shut down
 * (want_shutdown), so the controller moves this broker's leaderships away;
 * broker_lifecycle_may_exit() turns true once it answers should_shut_down.
 */
void broker_lifecycle_begin_shutdown(struct broker_lifecycle *bl);
bool broker_lifecycle_may_exit(const struct broker_lifecycle *bl);

#endif
