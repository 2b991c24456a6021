/*
 * The Raft metadata quorum on a node (KIP-595): the pure core of raft.h
 * driven by the node's libevent loop, persisting to storage/ (the metadata
 * log in <metadata.log.dir>/__cluster_metadata-0 and its quorum-state file)
 * and talking to the other voters over the CONTROLLER listener with Kafka's
 * own APIs (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot).
 * It implements the quorum interface of quorum.h; a single voter is just a
 * quorum of one.
 */
#ifndef SLUICE_QUORUM_RAFT_H
#define SLUICE_QUORUM_RAFT_H

#include <stdint.h>

#include "arena.h"
#include "codec.h"
#include "quorum.h"

struct event_base;

struct quorum_raft_voter {
    int32_t id;
    const char *host;
    int port;
};

struct quorum_raft_config {
    int32_t node_id;
    const char *dir;        /* the metadata partition directory */
    const char *cluster_id; /* checked on every inbound request */
    const struct quorum_raft_voter *voters;
    int nvoters;
    int32_t election_timeout_ms; /* controller.quorum.election.timeout.ms */
    int32_t fetch_timeout_ms;    /* controller.quorum.fetch.timeout.ms */
    int32_t request_timeout_ms;  /* controller.quorum.request.timeout.ms */
    int32_t retry_backoff_ms;    /* controller.quorum.retry.backoff.ms */
    /* controller.quorum.election.backoff.max.ms (KIP-595); <= 0: Kafka's 1000. */
    int32_t election_backoff_max_ms;
    /*
     * metadata.log.max.record.bytes.between.snapshots: committed log bytes
     * after which the state machine writes a snapshot (<= 0: Kafka's 20 MiB).
     */
    int64_t snapshot_bytes;
    int64_t segment_bytes; /* metadata.log.segment.bytes; <= 0: the storage default */
    /* The voters' listener name, reported in DescribeQuorum v2 `nodes` (KIP-853);
     * NULL: "CONTROLLER". */
    const char *listener_name;
};

#define QUORUM_RAFT_SNAPSHOT_BYTES_DEFAULT (20LL * 1024 * 1024)

/*
 * Opens the quorum: loads quorum-state, the newest valid snapshot
 * (<end_offset %020lld>-<epoch %010d>.checkpoint in the directory, KIP-630)
 * and the durable log after it, starts the core and replays nothing yet (the
 * snapshot reaches l->load_snapshot first, from the loop; then
 * committed batches reach the listener as the high watermark becomes known,
 * in order, exactly once).  After every snapshot_bytes of committed batches
 * it asks l->write_snapshot for a snapshot, stores it, hands it to the core
 * and drops the log below it.  Returns 0 and *out, or a
 * negative SL_E* code after logging why.
 */
int quorum_raft_open(struct event_base *base, const struct quorum_raft_config *cfg,
                     const struct quorum_listener *l, struct quorum **out);

/*
 * Hands a decoded inbound Raft request (Vote, BeginQuorumEpoch,
 * EndQuorumEpoch, Fetch, FetchSnapshot, DescribeQuorum) to the quorum.
 * `reply` is called exactly once, now or later (a long-polling Fetch).
 * Returns 0, or SL_ENOTFOUND when api_key is not a Raft API (no reply).
 */
int quorum_raft_handle(struct quorum *q, int16_t api_key, int16_t version, const void *req,
                       quorum_reply_fn reply, void *ctx);

#endif
