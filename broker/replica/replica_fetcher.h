/*
 * Replica fetchers: this broker's followers pulling from partition leaders
 * (DESIGN.md section 3, Kafka's ReplicaFetcherThread).  One fetcher per
 * leader broker holds every partition this broker follows on it and keeps one
 * Fetch in flight (replica_id = this broker, fetch offset = the local LEO,
 * last fetched epoch = the latest epoch of the local leader-epoch cache, current leader
 * epoch), long-polling at the leader for replica.fetch.wait.max.ms.  Answers
 * are applied as the leader sent them: records appended with their offsets
 * and epochs, a diverging epoch truncates (KIP-279), an offset below the
 * leader's log start restarts the log there; the follower's high watermark
 * follows the leader's.  Errors back the partition off for
 * replica.fetch.backoff.ms; leader changes arrive through the metadata image
 * and move partitions between fetchers.
 */
#ifndef SLUICE_BROKER_REPLICA_FETCHER_H
#define SLUICE_BROKER_REPLICA_FETCHER_H

#include <stdint.h>

struct broker_env;
struct replica_fetchers;

/* The fetchers of a broker (none running yet).  env is borrowed and must outlive them. */
struct replica_fetchers *replica_fetchers_new(const struct broker_env *env);

/* Stops every fetcher; answers still in flight are dropped. */
void replica_fetchers_free(struct replica_fetchers *rf);

/*
 * Follows topic/index from leader_id (moving it from any other fetcher);
 * leader_id < 0 stops following it.  Cheap when nothing changes.
 */
void replica_fetchers_follow(struct replica_fetchers *rf, const char *topic, int32_t index,
                             int32_t leader_id);

/* The largest lag (leader high watermark seen minus local LEO, >= 0) over every
 * partition followed; 0 when none. */
int64_t replica_fetchers_max_lag(const struct replica_fetchers *rf);

/* The lag of one followed partition (leader high watermark seen minus local LEO, >= 0),
 * or -1 when topic/index is not followed. */
int64_t replica_fetchers_lag(const struct replica_fetchers *rf, const char *topic, int32_t index);

#endif
