/*
 * Replica placement for new partitions: round-robin over the usable brokers
 * from a rotating start so leaders spread evenly, with followers shifted so
 * replica load spreads too, and rack-aware striping when brokers declare
 * broker.rack (each partition spans as many racks as it can, KIP-36).
 */
#ifndef SLUICE_PLACEMENT_H
#define SLUICE_PLACEMENT_H

#include <stdint.h>

struct placement_broker {
    int32_t id;
    const char *rack; /* NULL when the broker has no rack */
};

/*
 * Assigns `rf` distinct replicas to each of `nparts` partitions numbered
 * first_partition, first_partition+1, ... over `brokers` (any order, ids
 * distinct).  out must hold nparts * rf ids, row-major: out[i * rf] is the
 * preferred leader of partition first_partition + i.  `start` rotates the
 * leader of partition 0 (the controller passes a value that advances with
 * every partition it creates).  When any broker has a rack, brokers are
 * interleaved rack by rack and a follower is never put in a rack that already
 * holds a replica of the partition while some rack holds none (brokers
 * without a rack form one rack of their own).
 * Returns 0, or SL_EINVAL when nbrokers < 1, rf < 1, rf > nbrokers,
 * nparts < 0 or first_partition < 0.
 */
int placement_assign(const struct placement_broker *brokers, int nbrokers, int32_t first_partition,
                     int32_t nparts, int rf, uint32_t start, int32_t *out);

#endif
