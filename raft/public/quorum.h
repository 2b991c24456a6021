/*
 * The metadata quorum: the replicated __cluster_metadata log as the
 * controller and the metadata image see it (KIP-595).  Committed metadata is
 * a log of v2 record batches (partitionLeaderEpoch = quorum epoch) in
 * <metadata.log.dir>/__cluster_metadata-0/.
 *
 * This header is the seam between the metadata layer and the consensus
 * implementation: quorum_raft.h provides these operations through its
 * struct quorum_ops (one voter is a quorum of one).  All calls and callbacks
 * happen on the event loop thread.
 */
#ifndef SLUICE_QUORUM_H
#define SLUICE_QUORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h" /* struct kbytes */

struct event_base;
struct quorum;
struct wbuf;

struct quorum_listener {
    void *ctx;
    /*
     * Every committed batch, in log order, exactly once per process lifetime,
     * starting with what is already in the log when the quorum is opened
     * (replay).  batch points to one whole v2 batch (control batches such as
     * the LeaderChange marker included); valid during the call only.  The
     * callback may call quorum_append.
     */
    void (*on_commit)(void *ctx, int64_t base_offset, const uint8_t *batch, size_t len);
    /*
     * Leadership changed: leader_id (-1 unknown) and epoch.  A new leader is
     * announced only after the listener has seen every committed batch up to
     * and including the leader's own epoch-start marker (KafkaRaftClient
     * fires handleLeaderChange the same way), so a new active controller acts
     * on a complete image.
     */
    void (*on_leader_change)(void *ctx, int32_t leader_id, int32_t epoch);
    /*
     * Optional (KIP-630).  write_snapshot: append to `out` a snapshot of the
     * state as of end_offset, i.e. having applied every committed batch below
     * it and nothing else (it is called right after on_commit delivered the
     * batch ending at end_offset - 1); `epoch` is that batch's epoch.
     * Returns 0 or a negative SL_E* code (no snapshot is taken).
     * load_snapshot: replace the whole state by the snapshot in data[0, len)
     * covering every offset below end_offset; on_commit continues at
     * end_offset.  Called on open (the newest snapshot on disk, before any
     * on_commit) and when a follower installs the leader's snapshot.
     * Returns 0 or a negative SL_E* code (the quorum then stops).
     */
    int (*write_snapshot)(void *ctx, int64_t end_offset, int32_t epoch, struct wbuf *out);
    int (*load_snapshot)(void *ctx, int64_t end_offset, const uint8_t *data, size_t len);
    /*
     * Optional.  The quorum stopped for good because its storage failed (the
     * metadata log, its fsync or the quorum-state file could not be written),
     * a snapshot could not be loaded, or the Raft core refused a message that
     * contradicts its state (raft_fault(): two leaders in one epoch, a truncation
     * below the high watermark); `what` says which.  Kafka treats this
     * as fatal and exits: the listener should stop the process with an error
     * rather than run on without a quorum.  Called once, from inside the quorum
     * (the listener must not close it from the callback).
     */
    void (*on_fatal)(void *ctx, const char *what);
};

/* One replica of the quorum as the leader sees it (DescribeQuorum's ReplicaState). */
struct quorum_replica {
    int32_t id;
    int64_t log_end_offset;           /* -1 unknown */
    int64_t last_fetch_timestamp;     /* wall-clock ms, -1 never */
    int64_t last_caught_up_timestamp; /* wall-clock ms, -1 never */
};

/* What DescribeQuorum reports (KIP-595, KIP-836). */
struct quorum_description {
    int32_t leader_id;
    int32_t epoch;
    int64_t high_watermark;
    int nvoters;
    struct quorum_replica *voters; /* in configuration order */
    int nobservers;
    struct quorum_replica *observers;
};

/*
 * Answer sink for an inbound CONTROLLER-listener request: called once with
 * the response struct (of `schema`, valid during the call only).
 */
struct proto_schema;
typedef void (*quorum_reply_fn)(void *ctx, const struct proto_schema *schema, const void *resp);

/* What an implementation provides; struct quorum is its first member. */
struct quorum_ops {
    int (*append)(struct quorum *q, const struct kbytes *records, int n, int64_t *last_offset);
    bool (*is_leader)(const struct quorum *q);
    int32_t (*leader_id)(const struct quorum *q);
    int32_t (*epoch)(const struct quorum *q);
    int64_t (*high_watermark)(const struct quorum *q);
    int64_t (*log_end_offset)(const struct quorum *q);
    void (*close)(struct quorum *q);
    /* Optional (NULL: quorum_describe answers SL_EUNSUPPORTED). */
    int (*describe)(const struct quorum *q, struct quorum_description *out);
    /* Optional (NULL: quorum_handle_rpc answers SL_ENOTFOUND). */
    int (*handle_rpc)(struct quorum *q, int16_t api_key, int16_t version, const void *req,
                      quorum_reply_fn reply, void *ctx);
};

struct quorum {
    const struct quorum_ops *ops;
};

/*
 * Leader only: appends `n` (>= 1) record values (metadata records already
 * framed by the caller; the values are copied) as one batch, so they commit
 * atomically.  Returns 0 and the offset of the last record in *last_offset;
 * SL_ESTATE when not the leader (or not yet announced as leader),
 * SL_EINVAL for n < 1 or a null record, SL_ETOOLARGE for a batch over the
 * 8 MiB Raft batch limit, SL_EIO when the log could not be written.  Commit is reported later
 * through on_commit (never synchronously inside quorum_append).
 */
int quorum_append(struct quorum *q, const struct kbytes *records, int n, int64_t *last_offset);

/* Whether this node is the announced leader (see on_leader_change). */
bool quorum_is_leader(const struct quorum *q);
/* The current leader's node id, -1 when unknown. */
int32_t quorum_leader_id(const struct quorum *q);
int32_t quorum_epoch(const struct quorum *q);
/* Committed offset + 1: every offset below it has been passed to on_commit or is about to be. */
int64_t quorum_high_watermark(const struct quorum *q);
/* The next offset the log will assign. */
int64_t quorum_log_end_offset(const struct quorum *q);
/*
 * Leader only: the replica states DescribeQuorum reports, into *out (its
 * arrays allocated; release them with quorum_description_free).  Returns 0,
 * SL_ESTATE when this node is not the leader (only the leader tracks its
 * followers), SL_EUNSUPPORTED when the implementation does not track them; *out
 * is empty on error.
 */
int quorum_describe(const struct quorum *q, struct quorum_description *out);
/* Frees the arrays of *d (NULL arrays are fine). */
void quorum_description_free(struct quorum_description *d);

/*
 * Closes the log and frees the quorum; no callback runs afterwards.  Must not
 * be called from inside a listener callback.  NULL is a no-op.
 */
void quorum_close(struct quorum *q);

/*
 * Hands a decoded inbound Raft request (Vote, BeginQuorumEpoch,
 * EndQuorumEpoch, Fetch, FetchSnapshot, DescribeQuorum; KIP-595, KIP-630) to
 * the quorum.  `reply` is called exactly once, now or later (a long-polling
 * Fetch).  Returns 0, or SL_ENOTFOUND when api_key is not a Raft API or the
 * quorum takes no RPCs (no reply then).
 */
int quorum_handle_rpc(struct quorum *q, int16_t api_key, int16_t version, const void *req,
                      quorum_reply_fn reply, void *ctx);

/*
 * The durable Raft election state (KIP-595 `quorum-state`), kept in the
 * metadata log directory as a small key=value text file written atomically
 * (temp file, fsync, rename, directory fsync).
 */
struct quorum_state {
    int32_t leader_id;    /* -1 when unknown */
    int32_t leader_epoch; /* 0 before any election */
    int32_t voted_id;     /* -1 when no vote was cast in leader_epoch */
};

#define QUORUM_STATE_FILE "quorum-state"

/*
 * Reads <dir>/quorum-state into *st.  A missing file gives the initial state
 * {-1, 0, -1} and returns 0.  Returns SL_ECORRUPT for a malformed file,
 * SL_EIO for read errors.
 */
int quorum_state_read(const char *dir, struct quorum_state *st);
/* Writes *st durably to <dir>/quorum-state.  Returns 0 or SL_EIO. */
int quorum_state_write(const char *dir, const struct quorum_state *st);

#endif
