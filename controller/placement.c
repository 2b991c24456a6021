/*
 * Replica placement (placement.h).  The scheme is the classic Kafka one
 * (KIP-36 rack awareness): arrange the brokers in a list that alternates
 * racks, give partition p the leader at (p + start) mod n, and pick each
 * follower at a shift from the leader that grows every n partitions, skipping
 * brokers whose rack (or the broker itself) already holds a replica while an
 * unused rack (broker) remains.
 */
#include "placement.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

static const char *rack_of(const struct placement_broker *b)
{
    return b->rack ? b->rack : "";
}

static int by_rack_then_id(const void *a, const void *b)
{
    const struct placement_broker *x = a, *y = b;
    int c = strcmp(rack_of(x), rack_of(y));
    if (c)
        return c;
    return (x->id > y->id) - (x->id < y->id);
}

static int by_id(const void *a, const void *b)
{
    const struct placement_broker *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/*
 * Fills list with the brokers interleaved by rack (first broker of each rack
 * in rack order, then the second of each, ...) and rack_idx with each list
 * entry's rack number.  Returns the number of racks.
 */
static int arrange(const struct placement_broker *in, int n, bool racks,
                   struct placement_broker *list, int *rack_idx)
{
    struct placement_broker *sorted = xmalloc((size_t)n * sizeof(*sorted));
    memcpy(sorted, in, (size_t)n * sizeof(*sorted));
    if (!racks) {
        qsort(sorted, (size_t)n, sizeof(*sorted), by_id);
        memcpy(list, sorted, (size_t)n * sizeof(*sorted));
        for (int i = 0; i < n; i++)
            rack_idx[i] = 0;
        free(sorted);
        return 1;
    }
    qsort(sorted, (size_t)n, sizeof(*sorted), by_rack_then_id);
    /* Group boundaries: rack r spans [first[r], first[r] + count[r]). */
    int *first = xmalloc((size_t)n * sizeof(int)), *count = xmalloc((size_t)n * sizeof(int));
    int nracks = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || strcmp(rack_of(&sorted[i]), rack_of(&sorted[i - 1])) != 0) {
            first[nracks] = i;
            count[nracks] = 0;
            nracks++;
        }
        count[nracks - 1]++;
    }
    int k = 0;
    for (int round = 0; k < n; round++)
        for (int r = 0; r < nracks; r++)
            if (round < count[r]) {
                list[k] = sorted[first[r] + round];
                rack_idx[k] = r;
                k++;
            }
    free(first);
    free(count);
    free(sorted);
    return nracks;
}

int placement_assign(const struct placement_broker *brokers, int nbrokers, int32_t first_partition,
                     int32_t nparts, int rf, uint32_t start, int32_t *out)
{
    if (!brokers || nbrokers < 1 || rf < 1 || rf > nbrokers || nparts < 0 || first_partition < 0)
        return SL_EINVAL;
    bool racks = false;
    for (int i = 0; i < nbrokers; i++)
        racks |= brokers[i].rack != NULL;
    int n = nbrokers;
    struct placement_broker *list = xmalloc((size_t)n * sizeof(*list));
    int *rack_idx = xmalloc((size_t)n * sizeof(int));
    int nracks = arrange(brokers, n, racks, list, rack_idx);
    bool *rack_used = xmalloc((size_t)nracks * sizeof(bool));
    bool *broker_used = xmalloc((size_t)n * sizeof(bool));

    uint64_t s = start % (uint32_t)n;
    for (int32_t i = 0; i < nparts; i++) {
        uint64_t p = (uint64_t)first_partition + (uint64_t)i;
        /* The follower shift grows by one every n partitions (and with the start). */
        uint64_t shift = p / (uint64_t)n + start / (uint32_t)n;
        int leader = (int)((p + s) % (uint64_t)n);
        int32_t *row = out + (size_t)i * (size_t)rf;
        memset(rack_used, 0, (size_t)nracks * sizeof(bool));
        memset(broker_used, 0, (size_t)n * sizeof(bool));
        row[0] = list[leader].id;
        rack_used[rack_idx[leader]] = true;
        broker_used[leader] = true;
        int racks_with = 1, brokers_with = 1;
        uint64_t k = 0;
        for (int j = 1; j < rf; j++) {
            for (;;) {
                uint64_t step = (shift * (uint64_t)nracks + k) % (uint64_t)(n - 1);
                int idx = (int)(((uint64_t)leader + 1 + step) % (uint64_t)n);
                k++;
                bool rack_ok = !rack_used[rack_idx[idx]] || racks_with == nracks;
                bool broker_ok = !broker_used[idx] || brokers_with == n;
                /* After a full lap without a fit, accept any unused broker (never reached
                 * in practice: an unused rack always has an unused broker). */
                if ((rack_ok || k > (uint64_t)n) && broker_ok && !broker_used[idx]) {
                    row[j] = list[idx].id;
                    if (!rack_used[rack_idx[idx]]) {
                        rack_used[rack_idx[idx]] = true;
                        racks_with++;
                    }
                    broker_used[idx] = true;
                    brokers_with++;
                    break;
                }
            }
        }
    }
    free(list);
    free(rack_idx);
    free(rack_used);
    free(broker_used);
    return 0;
}
