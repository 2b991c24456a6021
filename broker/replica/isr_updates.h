/*
 * The partition leader's side of KIP-497: ISR changes the leader wants
 * (repl_leader_propose_isr, replication_core.h) are sent to the active controller as
 * AlterPartition, directly when the controller runs in this process, else to
 * its CONTROLLER listener.  The leader keeps counting the proposed members in
 * its high watermark until the answer (Kafka's maximal ISR), then applies the
 * committed state from the answer; the metadata image confirms it later.
 */
#ifndef SLUICE_BROKER_ISR_UPDATES_H
#define SLUICE_BROKER_ISR_UPDATES_H

#include <stdint.h>

struct broker_env;
struct partition;

/*
 * Proposes a new ISR for p if the leader wants one now (no-op otherwise, or
 * while a change is in flight, or before this broker is registered).  now_ms
 * is monotonic.
 */
void isr_updates_maybe_propose(const struct broker_env *n, struct partition *p, int64_t now_ms);

#endif
