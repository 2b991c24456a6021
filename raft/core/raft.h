/*
 * The Raft core of the KRaft metadata quorum: a pure state machine with no
 * sockets, clock, disk or event loop of its own (DESIGN.md section 5).
 *
 * It follows KIP-595 (Kafka's Raft: epochs, Vote, BeginQuorumEpoch,
 * EndQuorumEpoch, replication by Fetch with diverging-epoch truncation, the
 * high-watermark rule), KIP-996 (pre-vote), KIP-630 (snapshots and
 * FetchSnapshot) and the Raft thesis (Ongaro 2014) for the parts the KIPs
 * leave to Raft.  The voter set is static (controller.quorum.voters); nodes
 * outside it are observers that only fetch.
 *
 * The caller (the io glue, or the simulator in tests/sim/) drives a node with
 * explicit inputs and collects its outputs after every call:
 *
 *   inputs   raft_tick (time passed), raft_recv (a message arrived),
 *            raft_persist_done / raft_log_synced (an fsync completed),
 *            raft_propose (leader: append a batch), raft_snapshot_take (the
 *            state machine wrote a snapshot), raft_resign (graceful exit).
 *   outputs  raft_output(): messages to send, the quorum-state to write and
 *            fsync, log operations (append / truncate / install a snapshot /
 *            reset / drop a prefix) to apply in order and fsync, and notifications
 *            (high watermark advanced, leader changed, snapshot loaded).
 *
 * Time is whatever the caller says it is (milliseconds, monotonic); the
 * election jitter comes from a PRNG seeded by the caller.  The node holds the
 * metadata log since its latest snapshot in memory (the metadata log is
 * bounded by snapshots, KIP-630) together with that snapshot's bytes; the
 * caller mirrors both on disk and reloads them on restart.
 *
 * Durability contract: messages that depend on a quorum-state change (a vote
 * granted, a candidacy, anything sent in a new epoch) are held inside the
 * node until raft_persist_done reports that state durable.  A log entry counts
 * toward the high watermark (the leader's own, or a follower's fetch offset)
 * only once raft_log_synced covers it.
 *
 * Everything here runs on one thread; a node is not thread-safe.
 *
 * Driving a node (what the io glue does):
 *   open     read quorum-state, the latest snapshot and every batch of the
 *            log on disk; raft_create, raft_load_entry per batch (stop at
 *            the first error), raft_start.
 *   always   after every call into the node, apply raft_output() as below,
 *            then re-arm one timer for raft_next_deadline(); on it, raft_tick.
 *   persist  write quorum-state {epoch, voted_id, leader_id} (temp file,
 *            fsync, rename), then raft_persist_done(persist_seq).  Until
 *            then the node sends nothing: a slow fsync delays, never breaks.
 *   ops      in order: APPEND writes the batch at its base offset, TRUNCATE
 *            removes batches holding offsets >= offset, INSTALL_SNAPSHOT
 *            writes the snapshot file and empties the log to restart at its
 *            end, RESET empties the log to restart at offset, DROP_PREFIX may
 *            delete whole segments below offset.  Then fsync and call
 *            raft_log_synced(write_id of the last op applied); completions
 *            may come late and batched, any order is fine.
 *   messages encode each as the Kafka request or response it mirrors (Vote
 *            52, BeginQuorumEpoch 53, EndQuorumEpoch 54, Fetch 1 with the
 *            entries concatenated as Records, FetchSnapshot 59) for the
 *            node `to` on the CONTROLLER listener; a response goes back on
 *            the connection of the request whose rid it carries.  Inbound:
 *            decode, split Fetch Records into batches (base offset, last
 *            offset, partitionLeaderEpoch), set rid, raft_recv.
 *   commits  on hw_changed hand the listener every batch in [applied, hw)
 *            via raft_entry_find; on snapshot_loaded first reload the state
 *            machine from raft_snapshot().  The leader of an epoch is ready
 *            once applied > raft_epoch_start_offset() (quorum.h's
 *            on_leader_change contract).
 *   propose  build a batch with base offset raft_log_end_offset() and epoch
 *            raft_epoch(), raft_propose.
 *   snapshot the state machine writes and fsyncs a snapshot of the offsets
 *            below a batch end it applied, then raft_snapshot_take.
 *   shutdown raft_resign (leader), apply the outputs, then raft_destroy.
 */
#ifndef SLUICE_RAFT_H
#define SLUICE_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wbuf;
struct raft_node;

/* Static voter sets are small; Kafka recommends 3 or 5. */
#define RAFT_MAX_VOTERS 31
/* Observers a leader tracks for DescribeQuorum; more are served, not listed. */
#define RAFT_MAX_OBSERVERS 1024
#define RAFT_NO_NODE       (-1)

enum raft_role {
    RAFT_UNATTACHED,  /* epoch known, leader not known; voters wait out an election timeout */
    RAFT_PROSPECTIVE, /* pre-vote round (KIP-996): asks whether an election could succeed */
    RAFT_CANDIDATE,   /* voted for itself in a new epoch, collecting votes */
    RAFT_LEADER,
    RAFT_FOLLOWER, /* knows the leader of its epoch and fetches from it */
    RAFT_RESIGNED, /* former leader of this epoch that stepped down (check-quorum or raft_resign) */
};

/*
 * Result carried by responses.  The glue maps them to Kafka error codes:
 * FENCED_EPOCH -> FENCED_LEADER_EPOCH (74), UNKNOWN_EPOCH ->
 * UNKNOWN_LEADER_EPOCH (75), NOT_LEADER -> NOT_LEADER_OR_FOLLOWER (6),
 * NOT_VOTER -> INCONSISTENT_VOTER_SET (94), SNAPSHOT_NOT_FOUND (98),
 * POSITION_OUT_OF_RANGE (99), INVALID_REQUEST (42).
 */
enum raft_error {
    RAFT_OK = 0,
    RAFT_E_FENCED_EPOCH,
    RAFT_E_UNKNOWN_EPOCH,
    RAFT_E_NOT_LEADER,
    RAFT_E_NOT_VOTER,
    RAFT_E_SNAPSHOT_NOT_FOUND,
    RAFT_E_POSITION_OUT_OF_RANGE,
    RAFT_E_INVALID_REQUEST,
};

/* KIP-630 snapshot id: the snapshot holds every offset below end_offset. */
struct raft_snapshot_id {
    int64_t end_offset; /* -1: none */
    int32_t epoch;      /* epoch of the entry at end_offset - 1 */
};

/* A (epoch, end offset) pair: Fetch's DivergingEpoch. */
struct raft_epoch_end {
    int32_t epoch; /* -1: absent */
    int64_t end_offset;
};

/*
 * One log entry: an opaque batch (for the metadata log, a v2 record batch
 * with baseOffset and partitionLeaderEpoch already stamped) covering offsets
 * base_offset..last_offset, written in `epoch`.
 */
struct raft_entry {
    int64_t base_offset;
    int64_t last_offset;
    int32_t epoch;
    const uint8_t *data;
    size_t len;
};

enum raft_msg_type {
    RAFT_MSG_VOTE = 1, /* Vote (52), KIP-595; pre_vote per KIP-996 */
    RAFT_MSG_VOTE_RESPONSE,
    RAFT_MSG_BEGIN_EPOCH, /* BeginQuorumEpoch (53) */
    RAFT_MSG_BEGIN_EPOCH_RESPONSE,
    RAFT_MSG_END_EPOCH, /* EndQuorumEpoch (54) */
    RAFT_MSG_END_EPOCH_RESPONSE,
    RAFT_MSG_FETCH, /* Fetch (1) on __cluster_metadata-0 */
    RAFT_MSG_FETCH_RESPONSE,
    RAFT_MSG_FETCH_SNAPSHOT, /* FetchSnapshot (59), KIP-630 */
    RAFT_MSG_FETCH_SNAPSHOT_RESPONSE,
};

/* VoteRequest partition: the candidate is msg.from. */
struct raft_vote_req {
    int32_t epoch;      /* ReplicaEpoch: the epoch the candidate runs in */
    int32_t last_epoch; /* LastOffsetEpoch */
    int64_t end_offset; /* LastOffset: the candidate's log end offset */
    bool pre_vote;      /* PreVote (v2) */
};

struct raft_vote_resp {
    enum raft_error error;
    int32_t leader_id;
    int32_t leader_epoch; /* the responder's epoch */
    bool granted;
};

/* BeginQuorumEpoch: the new leader (msg.from) announces itself. */
struct raft_begin_epoch_req {
    int32_t leader_id;
    int32_t leader_epoch;
};

/* EndQuorumEpoch: a leader resigns, naming voters to try first. */
struct raft_end_epoch_req {
    int32_t leader_id;
    int32_t leader_epoch;
    int nsuccessors;
    int32_t successors[RAFT_MAX_VOTERS]; /* PreferredSuccessors, best first */
};

/* Begin/EndQuorumEpoch responses. */
struct raft_epoch_resp {
    enum raft_error error;
    int32_t leader_id;
    int32_t leader_epoch;
};

/* Fetch partition: the replica is msg.from. */
struct raft_fetch_req {
    int32_t leader_epoch; /* CurrentLeaderEpoch: the fetcher's epoch */
    int64_t fetch_offset; /* the fetcher's (durable) log end offset */
    int32_t last_fetched_epoch;
    int64_t log_start_offset;
    int32_t max_wait_ms;
    int32_t max_bytes;
};

struct raft_fetch_resp {
    enum raft_error error;
    int32_t leader_id; /* CurrentLeader */
    int32_t leader_epoch;
    int64_t high_watermark; /* -1 unknown */
    int64_t log_start_offset;
    struct raft_epoch_end diverging;     /* DivergingEpoch: truncate, then fetch again */
    struct raft_snapshot_id snapshot_id; /* SnapshotId: fetch below log start, use FetchSnapshot */
    size_t nentries;
    const struct raft_entry *entries; /* Records split into batches, in offset order */
};

struct raft_fetch_snapshot_req {
    int32_t leader_epoch;
    struct raft_snapshot_id snapshot_id;
    int64_t position;
    int32_t max_bytes;
};

struct raft_fetch_snapshot_resp {
    enum raft_error error;
    int32_t leader_id;
    int32_t leader_epoch;
    struct raft_snapshot_id snapshot_id;
    int64_t size;     /* whole snapshot size in bytes */
    int64_t position; /* of this chunk */
    const uint8_t *data;
    size_t len;
};

/*
 * A message between two nodes.  `rid` is not on the wire: the sender of a
 * request picks it, and the responder copies it into the response.  The glue
 * keeps it next to the Kafka correlation id of the request it sends, sets it
 * on the response it hands to raft_recv, and for an inbound request picks any
 * value that lets it route the core's response back to the connection.
 * Responses that do not match what a node is waiting for are ignored.
 */
struct raft_msg {
    enum raft_msg_type type;
    int32_t from;
    int32_t to;
    uint64_t rid;
    union {
        struct raft_vote_req vote;
        struct raft_vote_resp vote_resp;
        struct raft_begin_epoch_req begin;
        struct raft_end_epoch_req end;
        struct raft_epoch_resp epoch_resp;
        struct raft_fetch_req fetch;
        struct raft_fetch_resp fetch_resp;
        struct raft_fetch_snapshot_req snap;
        struct raft_fetch_snapshot_resp snap_resp;
    } u;
    void *mem; /* storage owned by this message (entries, chunk); NULL when the caller built it */
};

/* The durable election state (KIP-595 quorum-state). */
struct raft_persisted {
    int32_t epoch;     /* 0 before any election */
    int32_t voted_id;  /* -1: no vote cast in epoch */
    int32_t leader_id; /* -1: unknown */
};

enum raft_log_op_type {
    /* Write `entry` at the log end (entry.base_offset). */
    RAFT_LOG_APPEND = 1,
    /* Remove every entry at or above `offset` (a batch boundary). */
    RAFT_LOG_TRUNCATE,
    /*
     * Store `data` as snapshot `snapshot` and replace the whole log with it:
     * afterwards the log is empty and starts at snapshot.end_offset (KIP-630,
     * a follower that fell below the leader's log start).
     */
    RAFT_LOG_INSTALL_SNAPSHOT,
    /*
     * Entries below `offset` are covered by the snapshot the state machine
     * took (raft_snapshot_take) and may be deleted; no sync is needed.
     */
    RAFT_LOG_DROP_PREFIX,
    /*
     * Delete every entry; the log continues at `offset` (Kafka's
     * truncateFullyAndStartAt).  Emitted by raft_start when the durable log
     * does not reach the latest snapshot (the snapshot was taken at the high
     * watermark, which counts other voters' copies, and the tail of the local
     * log was lost in a crash).
     */
    RAFT_LOG_RESET,
};

struct raft_log_op {
    enum raft_log_op_type type;
    uint64_t write_id; /* increasing; report durability with raft_log_synced */
    struct raft_entry entry;
    int64_t offset;
    struct raft_snapshot_id snapshot;
    const uint8_t *data;
    size_t len;
};

/*
 * Outputs of the last input call.  Valid until the next call into the node
 * (the caller copies what it keeps).  Apply `ops` in order; write `state`
 * when `persist` is set.
 */
struct raft_output {
    const struct raft_msg *msgs;
    size_t nmsgs;
    const struct raft_log_op *ops;
    size_t nops;
    bool persist;
    uint64_t persist_seq; /* report with raft_persist_done once `state` is durable */
    struct raft_persisted state;
    bool hw_changed; /* the high watermark advanced to high_watermark */
    int64_t high_watermark;
    bool leader_changed; /* (leader_id, epoch) differ from the last output */
    int32_t leader_id;
    int32_t epoch;
    bool snapshot_loaded; /* the log was replaced by `snapshot` from the leader */
    struct raft_snapshot_id snapshot;
};

/*
 * Builds the batch a new leader appends first in its epoch (KIP-595's
 * LeaderChange control record; its commit is what lets the high watermark
 * move in the epoch).  Writes one batch covering exactly base_offset into
 * `out`; returns 0 or a negative SL_E* code.
 */
typedef int (*raft_marker_fn)(void *ctx, int64_t base_offset, int32_t epoch, int32_t leader_id,
                              struct wbuf *out);

struct raft_config {
    int32_t node_id;
    int nvoters;
    int32_t voters[RAFT_MAX_VOTERS]; /* controller.quorum.voters ids */
    int32_t election_timeout_ms;     /* controller.quorum.election.timeout.ms: jitter [T, 2T) */
    int32_t fetch_timeout_ms;        /* controller.quorum.fetch.timeout.ms */
    int32_t election_backoff_max_ms; /* controller.quorum.election.backoff.max.ms */
    int32_t request_timeout_ms;      /* controller.quorum.request.timeout.ms */
    int32_t retry_backoff_ms;        /* pause after an error response */
    int32_t fetch_max_wait_ms;       /* leader long-poll bound for an empty fetch */
    int32_t fetch_max_bytes;         /* records per fetch response (at least one batch) */
    int32_t snapshot_chunk_bytes;    /* FetchSnapshot chunk size */
    int64_t snapshot_max_bytes;      /* largest snapshot a follower accepts */
    uint64_t seed;                   /* PRNG seed for timeouts and request ids: vary per start */
    raft_marker_fn marker;           /* required */
    void *marker_ctx;
};

/* Kafka's defaults: election 1000, fetch 2000, backoff 1000, request 2000. */
void raft_config_default(struct raft_config *cfg);

/*
 * Creates a node from its durable state: the quorum-state `st` (NULL: the
 * initial {0, -1, -1}) and the latest snapshot (`snap` NULL or end_offset <
 * 0: none; its bytes are copied).  Add the durable log after the snapshot
 * with raft_load_entry, then call raft_start.  Returns 0 and *out, or
 * SL_EINVAL for a bad configuration (no voters, duplicate voters, bad
 * timeouts, no marker function, a snapshot over snapshot_max_bytes).
 * Free with raft_destroy.
 */
int raft_create(const struct raft_config *cfg, const struct raft_persisted *st,
                const struct raft_snapshot_id *snap, const void *snap_data, size_t snap_len,
                struct raft_node **out);

/*
 * Restart: adds the next entry of the durable log (copied); pass every entry
 * on disk, in order.  Entries wholly below the snapshot are skipped.  Returns
 * SL_ECORRUPT for an entry that does not continue the log (offset gap or
 * overlap, epoch going backwards, empty range): the caller stops loading
 * there, and raft_start emits a TRUNCATE that removes the rest from disk (or
 * a RESET when the disk log does not reach the snapshot).  SL_ESTATE after
 * raft_start.
 */
int raft_load_entry(struct raft_node *n, const struct raft_entry *e);

/*
 * Starts the node at time now_ms: a follower of the persisted leader, or
 * unattached; a single voter goes straight to an election.  Outputs follow.
 */
void raft_start(struct raft_node *n, int64_t now_ms);

/* Frees the node and everything it owns (outputs included).  NULL is a no-op. */
void raft_destroy(struct raft_node *n);

/* Time advanced to now_ms (never decreasing): fires due timers. */
void raft_tick(struct raft_node *n, int64_t now_ms);

/*
 * A message for this node arrived.  The node copies what it keeps.  Returns
 * 0, or SL_EINVAL for a malformed message (not for this node, counts or
 * offsets out of range), which is dropped.
 */
int raft_recv(struct raft_node *n, int64_t now_ms, const struct raft_msg *m);

/* The quorum-state emitted with persist_seq `seq` (or later) is durable. */
void raft_persist_done(struct raft_node *n, int64_t now_ms, uint64_t seq);

/* Every log op with write_id <= `write_id` is applied and durable. */
void raft_log_synced(struct raft_node *n, int64_t now_ms, uint64_t write_id);

/*
 * Leader: appends one batch of `count` records that the caller built with
 * base offset raft_log_end_offset() and epoch raft_epoch() (data copied).
 * Returns 0, SL_ESTATE when not the leader, SL_EINVAL for a wrong base
 * offset, count < 1 or empty data.
 */
int raft_propose(struct raft_node *n, int64_t now_ms, int64_t base_offset, int32_t count,
                 const void *data, size_t len);

/*
 * The state machine wrote a durable snapshot of every committed offset below
 * end_offset (data copied; served to followers by FetchSnapshot).  end_offset
 * must be a batch boundary, at most the high watermark and above the current
 * snapshot.  The log below it is dropped (RAFT_LOG_DROP_PREFIX).  Returns 0,
 * SL_ERANGE, or SL_ETOOLARGE (over snapshot_max_bytes).
 */
int raft_snapshot_take(struct raft_node *n, int64_t now_ms, int64_t end_offset, const void *data,
                       size_t len);

/*
 * Graceful resignation (KIP-595): a leader sends EndQuorumEpoch with its
 * voters ordered by replication progress and stops leading.  SL_ESTATE when
 * not the leader.
 */
int raft_resign(struct raft_node *n, int64_t now_ms);

/* The outputs of the last input call (owned by the node). */
const struct raft_output *raft_output(const struct raft_node *n);

/* Earliest time at which raft_tick has work to do (INT64_MAX: none). */
int64_t raft_next_deadline(const struct raft_node *n);

enum raft_role raft_role(const struct raft_node *n);
bool raft_is_voter(const struct raft_node *n);
int32_t raft_node_id(const struct raft_node *n);
int32_t raft_epoch(const struct raft_node *n);
int32_t raft_leader_id(const struct raft_node *n);
int32_t raft_voted_id(const struct raft_node *n);
/* Committed offset + 1; never decreases during a node's lifetime. */
int64_t raft_high_watermark(const struct raft_node *n);
int64_t raft_log_start_offset(const struct raft_node *n);
int64_t raft_log_end_offset(const struct raft_node *n);
/* End of the prefix of the log reported durable by raft_log_synced. */
int64_t raft_durable_end_offset(const struct raft_node *n);
/* Epoch of the last entry (or of the snapshot; 0 for an empty log). */
int32_t raft_last_epoch(const struct raft_node *n);
/* Leader: offset of this epoch's marker batch; -1 otherwise. */
int64_t raft_epoch_start_offset(const struct raft_node *n);
/* The latest snapshot (end_offset -1: none) and its bytes (owned by the node). */
struct raft_snapshot_id raft_snapshot(const struct raft_node *n, const uint8_t **data, size_t *len);
/*
 * The entry that holds `offset`.  Returns 0 and *e (its data owned by the
 * node, valid until the next input call), or SL_ENOTFOUND outside
 * [log start, log end).
 */
int raft_entry_find(const struct raft_node *n, int64_t offset, struct raft_entry *e);
/* Number of entries in memory and the i-th (0 = oldest), same lifetime as above. */
size_t raft_entry_count(const struct raft_node *n);
void raft_entry_at(const struct raft_node *n, size_t i, struct raft_entry *e);
/*
 * Non-NULL when the node detected a broken invariant (for example a
 * truncation below its high watermark); the simulator fails on it.
 */
const char *raft_fault(const struct raft_node *n);

/* DescribeQuorum (55) replica state. */
struct raft_replica_info {
    int32_t id;
    int64_t log_end_offset; /* -1 unknown */
    int64_t last_fetch_ms;  /* -1 never */
    int64_t last_caught_up_ms;
};

struct raft_quorum_info {
    int32_t leader_id;
    int32_t epoch;
    int64_t high_watermark;
    int nvoters;
    struct raft_replica_info voters[RAFT_MAX_VOTERS];
    int nobservers;
    const struct raft_replica_info *observers; /* owned by the node, valid until the next input */
};

/* Leader only (SL_ESTATE otherwise): fills *qi as DescribeQuorum reports it. */
int raft_describe_quorum(struct raft_node *n, struct raft_quorum_info *qi);

/* Names for logs and tests. */
const char *raft_role_name(enum raft_role r);
const char *raft_msg_type_name(enum raft_msg_type t);

/*
 * A deep copy of *m whose entries and chunk live in the copy's `mem`;
 * free with raft_msg_free.
 */
struct raft_msg *raft_msg_clone(const struct raft_msg *m);
/* Frees a message from raft_msg_clone.  NULL is a no-op. */
void raft_msg_free(struct raft_msg *m);

#endif
