/*
 * Raft quorum io glue (quorum_raft.h): storage, timers and network for the
 * pure core of raft.h.
 *
 * After every input to the core its outputs are applied in this order: log
 * operations (then one fsync on the flush thread, reported with
 * raft_log_synced), quorum-state (written and fsynced on the loop, reported
 * with raft_persist_done), messages (requests to peers through
 * net/kafka_client.h, responses to the inbound requests waiting for them),
 * and last the notifications: committed batches to the listener and leader
 * changes.  Those reports are inputs too, so the loop repeats until the core
 * has nothing more to say.  The state machine's snapshots are written on the
 * flush thread too and reach the core (raft_snapshot_take) once durable; a
 * leader's snapshot installed by a follower is written on the loop before the
 * log is emptied.
 */
#include "quorum_raft.h"

#include <dirent.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_controller.h"
#include "buf.h"
#include "clock.h"
#include "err.h"
#include "file_writer.h"
#include "fileutil.h"
#include "flusher.h"
#include "invariant.h"
#include "kafka.h"
#include "kafka_client.h"
#include "log.h"
#include "messages.h"
#include "partition_log.h"
#include "raft.h"
#include "raft_wire.h"
#include "uuid.h"
#include "record_batch.h"
#include "xalloc.h"

#define MAX_RESPONSE_BYTES (64 << 20)

/* LeaderChangeMessage (KIP-595 control record value), version 0. */
struct lcm_voter {
    int32_t voter_id;
};
struct lcm {
    int16_t version;
    int32_t leader_id;
    KARR(struct lcm_voter) voters;
    KARR(struct lcm_voter) granting_voters;
};
static const struct proto_field lcm_voter_fields[] = {
    PF_FIELD(struct lcm_voter, voter_id, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(lcm_voter_schema, struct lcm_voter, lcm_voter_fields);
static const struct proto_field lcm_fields[] = {
    PF_FIELD(struct lcm, version, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct lcm, leader_id, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY(struct lcm, voters, lcm_voter_schema, 0, PROTO_VMAX),
    PF_SARRAY(struct lcm, granting_voters, lcm_voter_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(lcm_schema, struct lcm, lcm_fields);

struct peer {
    int32_t id;
    char *host;
    int port;
    struct kc_conn *conn;
};

/* A voter's CONTROLLER endpoint from controller.quorum.voters. */
struct voter_endpoint {
    int32_t id;
    char *host;
    int port;
};

struct inbound {
    struct inbound *next;
    uint64_t rid;
    int16_t api_key;
    quorum_reply_fn reply;
    void *ctx;
};

struct quorum_raft {
    struct quorum q;
    struct event_base *base;
    char *dir;
    char *cluster_id;
    int32_t node_id;
    struct quorum_listener l;
    struct raft_node *rn;
    struct storage_log *log;
    struct peer peers[RAFT_MAX_VOTERS];
    int npeers;
    struct voter_endpoint endpoints[RAFT_MAX_VOTERS]; /* every voter, self included */
    char *listener_name;
    int32_t voters[RAFT_MAX_VOTERS];
    int nvoters;
    int32_t request_timeout_ms;
    struct event *timer;
    struct inbound *inbound;
    uint64_t next_rid;
    int64_t delivered;        /* next offset to hand to the listener */
    int32_t announced_leader; /* last (leader, epoch) told to the listener */
    int32_t announced_epoch;
    int depth;      /* > 0 while outputs are being applied */
    bool more;      /* an input arrived while applying: apply again */
    bool failed;    /* storage failed or the core faulted: the quorum stops */
    bool started;   /* raft_start has run (from the loop, after open returned) */
    bool in_append; /* inside quorum_append: commits are delivered later, from `notify` */
    struct event *notify;
    int64_t snapshot_bytes;     /* metadata.log.max.record.bytes.between.snapshots */
    int64_t bytes_since_snap;   /* committed batch bytes delivered since the last snapshot */
    bool pending_load;          /* the core's snapshot must reach load_snapshot first */
    int64_t snapshot_max_bytes; /* the core's limit */
    /* Proposals made while outputs were being applied (a listener appending from
     * on_commit): every core input replaces its previous output, so they wait here
     * and enter the core one at a time, each once the output before it is consumed. */
    struct queued_batch *queued, **queued_tail;
    int64_t queued_records;
    char fault_what[160]; /* quorum_fail's text for a raft_fault() */
    /* The metadata log's fsyncs run on its own flush thread (storage/flusher.h), one
     * at a time: `flushing_id` is the write_id the running one covers, `applied_id`
     * the last op applied to the log.  raft_log_synced hears of each when it ends. */
    struct storage_flusher *flusher;
    struct event *flusher_ev;
    bool flushing;
    uint64_t flushing_id, applied_id;
    /* The state machine's snapshot being written on that thread (at most one): the
     * core takes it (raft_snapshot_take) only once the file is durable. */
    struct storage_file_writer *snap_writer;
    int64_t snap_end;
    int32_t snap_epoch;
    struct wbuf snap;
};

struct queued_batch {
    struct queued_batch *next;
    int64_t base_offset;
    int32_t count;
    uint8_t *data;
    size_t len;
};

struct out_ctx {
    struct quorum_raft *q;
    int32_t peer;
    uint64_t rid;
    struct raft_wire_call call;
};

static const struct quorum_ops raft_ops;

static struct quorum_raft *qr_of(struct quorum *q)
{
    return (struct quorum_raft *)q;
}

static const struct quorum_raft *cqr_of(const struct quorum *q)
{
    return (const struct quorum_raft *)q;
}

static void apply_outputs(struct quorum_raft *q);

/* ---- the epoch-start marker ---- */

static int build_marker(void *ctx, int64_t base_offset, int32_t epoch, int32_t leader_id,
                        struct wbuf *out)
{
    struct quorum_raft *q = ctx;
    struct lcm_voter *voters = xcalloc((size_t)q->nvoters, sizeof *voters);
    for (int i = 0; i < q->nvoters; i++)
        voters[i].voter_id = q->voters[i];
    struct lcm_voter self = {.voter_id = leader_id};
    struct lcm m = {.version = 0, .leader_id = leader_id};
    m.voters.n = q->nvoters;
    m.voters.v = voters;
    m.granting_voters.n = 1;
    m.granting_voters.v = &self;
    struct proto_out o;
    proto_out_init(&o);
    int rc = proto_encode(&lcm_schema, 0, true, &m, &o);
    free(voters);
    if (rc != 0) {
        proto_out_free(&o);
        return SL_EINVAL;
    }
    int64_t now = clock_wall_ms();
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, base_offset, now);
    rb_builder_set_partition_leader_epoch(&b, epoch);
    rb_builder_add_control(&b, now, RB_CONTROL_LEADER_CHANGE, o.w.data, (int32_t)o.w.len);
    proto_out_free(&o);
    rc = rb_builder_finish(&b, out);
    rb_builder_free(&b);
    return rc;
}

/* ---- network ---- */

static struct peer *peer_of(struct quorum_raft *q, int32_t id)
{
    for (int i = 0; i < q->npeers; i++)
        if (q->peers[i].id == id)
            return &q->peers[i];
    return NULL;
}

static void on_peer_response(void *arg, int err, const void *resp, struct arena *a)
{
    struct out_ctx *oc = arg;
    struct quorum_raft *q = oc->q;
    if (err == 0 && q->rn) {
        struct raft_msg m;
        if (raft_wire_response_to_msg(&oc->call, resp, oc->peer, q->node_id, oc->rid, a, &m) == 0) {
            raft_recv(q->rn, clock_mono_ms(), &m);
            apply_outputs(q);
        }
    }
    /* A lost request is the core's business: it retries on its own timers. */
    free(oc);
}

static void send_request(struct quorum_raft *q, const struct raft_msg *m)
{
    struct peer *p = peer_of(q, m->to);
    if (!p)
        return;
    struct arena a = ARENA_INIT;
    struct out_ctx *oc = xcalloc(1, sizeof *oc);
    oc->q = q;
    oc->peer = m->to;
    oc->rid = m->rid;
    if (raft_wire_request(m, q->cluster_id, &a, &oc->call) < 0) {
        free(oc);
        arena_free(&a);
        return;
    }
    int32_t timeout = q->request_timeout_ms;
    if (m->type == RAFT_MSG_FETCH)
        timeout += m->u.fetch.max_wait_ms;
    if (kc_send(p->conn, oc->call.api_key, oc->call.version, oc->call.flexible, oc->call.req_schema,
                oc->call.req, oc->call.resp_schema, timeout, on_peer_response, oc) < 0) {
        LOG_WARN("raft", "cannot encode %s for node %d", raft_msg_type_name(m->type), m->to);
        free(oc);
    }
    arena_free(&a);
}

static int16_t api_for_response(enum raft_msg_type t)
{
    switch (t) {
    case RAFT_MSG_VOTE_RESPONSE:
        return KAPI_VOTE;
    case RAFT_MSG_BEGIN_EPOCH_RESPONSE:
        return KAPI_BEGIN_QUORUM_EPOCH;
    case RAFT_MSG_END_EPOCH_RESPONSE:
        return KAPI_END_QUORUM_EPOCH;
    case RAFT_MSG_FETCH_RESPONSE:
        return KAPI_FETCH;
    case RAFT_MSG_FETCH_SNAPSHOT_RESPONSE:
        return KAPI_FETCH_SNAPSHOT;
    default:
        return -1;
    }
}

static void answer_inbound(struct quorum_raft *q, const struct raft_msg *m)
{
    struct inbound **pp = &q->inbound;
    while (*pp && (*pp)->rid != m->rid)
        pp = &(*pp)->next;
    struct inbound *in = *pp;
    if (!in)
        return;
    *pp = in->next;
    struct arena a = ARENA_INIT;
    void *resp = NULL;
    const struct proto_schema *schema = NULL;
    if (raft_wire_response(in->api_key, m, KERR_NONE, &a, &resp, &schema) == 0)
        in->reply(in->ctx, schema, resp);
    arena_free(&a);
    free(in);
}

/* ---- snapshot files (KIP-630: <end offset>-<epoch>.checkpoint) ---- */

#define SNAP_SUFFIX ".checkpoint"

static char *snapshot_path(const struct quorum_raft *q, int64_t end_offset, int32_t epoch)
{
    return xasprintf("%s/%020" PRId64 "-%010" PRId32 SNAP_SUFFIX, q->dir, end_offset, epoch);
}

/* Parses "<20 digits>-<10 digits>.checkpoint"; false for any other name. */
static bool snapshot_name_parse(const char *name, int64_t *end_offset, int32_t *epoch)
{
    if (strlen(name) != 20 + 1 + 10 + strlen(SNAP_SUFFIX) || name[20] != '-' ||
        strcmp(name + 31, SNAP_SUFFIX) != 0)
        return false;
    int64_t e = 0, ep = 0;
    for (int i = 0; i < 31; i++) {
        if (i == 20)
            continue;
        if (name[i] < '0' || name[i] > '9')
            return false;
        if (i < 20)
            e = e * 10 + (name[i] - '0');
        else
            ep = ep * 10 + (name[i] - '0');
    }
    if (e < 0 || ep > INT32_MAX)
        return false;
    *end_offset = e;
    *epoch = (int32_t)ep;
    return true;
}

/* Deletes the snapshot files older than end_offset (and stray temp files of them). */
static void snapshot_delete_older(const struct quorum_raft *q, int64_t end_offset)
{
    DIR *d = opendir(q->dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int64_t e;
        int32_t ep;
        if (!snapshot_name_parse(de->d_name, &e, &ep) || e >= end_offset)
            continue;
        char *p = snapshot_path(q, e, ep);
        if (unlink(p) != 0)
            LOG_WARN("raft", "cannot delete old snapshot %s", p);
        free(p);
    }
    closedir(d);
}

/* Writes a snapshot file atomically (fsynced) and deletes the older ones.  0 or SL_EIO. */
static int snapshot_store(struct quorum_raft *q, int64_t end_offset, int32_t epoch,
                          const uint8_t *data, size_t len)
{
    char *p = snapshot_path(q, end_offset, epoch);
    int rc = storage_file_write_atomic(p, data, len);
    if (rc < 0)
        LOG_ERROR("raft", "cannot write snapshot %s", p);
    free(p);
    if (rc == 0)
        snapshot_delete_older(q, end_offset);
    return rc;
}

/* Whether data holds whole v2 batches with good CRCs (at least one). */
static bool snapshot_framing_ok(const uint8_t *data, size_t len)
{
    size_t pos = 0;
    const uint8_t *b;
    size_t blen;
    int n, batches = 0;
    while ((n = rb_split(data, len, &pos, &b, &blen)) == 1) {
        if (rb_crc_check(b, blen) != 0)
            return false;
        batches++;
    }
    return n == 0 && batches > 0;
}

struct snap_file {
    int64_t end_offset;
    int32_t epoch;
};

static int snap_file_cmp(const void *a, const void *b)
{
    const struct snap_file *x = a, *y = b;
    return x->end_offset < y->end_offset ? 1 : x->end_offset > y->end_offset ? -1 : 0;
}

/*
 * Reads the newest snapshot file whose framing is intact (newest first; damaged
 * ones are skipped with a warning).  Returns 0 with id->end_offset -1 when there
 * is none, 0 with *data (malloc'd) otherwise, SL_EIO when the directory is unreadable.
 */
static int snapshot_load_newest(struct quorum_raft *q, struct raft_snapshot_id *id, char **data,
                                size_t *len)
{
    id->end_offset = -1;
    id->epoch = 0;
    *data = NULL;
    *len = 0;
    DIR *d = opendir(q->dir);
    if (!d)
        return SL_EIO;
    struct snap_file *files = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct snap_file f;
        if (!snapshot_name_parse(de->d_name, &f.end_offset, &f.epoch))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            files = xrealloc(files, cap * sizeof(*files));
        }
        files[n++] = f;
    }
    closedir(d);
    if (n > 1)
        qsort(files, n, sizeof(*files), snap_file_cmp);
    for (size_t i = 0; i < n; i++) {
        char *p = snapshot_path(q, files[i].end_offset, files[i].epoch);
        char *buf = NULL;
        size_t blen = 0;
        int rc = storage_file_read_all(p, (size_t)q->snapshot_max_bytes, &buf, &blen);
        if (rc == 0 && snapshot_framing_ok((const uint8_t *)buf, blen)) {
            id->end_offset = files[i].end_offset;
            id->epoch = files[i].epoch;
            *data = buf;
            *len = blen;
            free(p);
            break;
        }
        LOG_WARN("raft", "ignoring damaged snapshot %s", p);
        free(buf);
        free(p);
    }
    free(files);
    return 0;
}

/* ---- storage ---- */

static int apply_log_op(struct quorum_raft *q, const struct raft_log_op *op)
{
    switch (op->type) {
    case RAFT_LOG_APPEND:
        return storage_log_append(q->log, op->entry.data, op->entry.len, clock_wall_ms());
    case RAFT_LOG_TRUNCATE:
        return storage_log_truncate_to(q->log, op->offset);
    case RAFT_LOG_DROP_PREFIX:
        return storage_log_advance_start_offset(q->log, op->offset);
    case RAFT_LOG_INSTALL_SNAPSHOT: {
        /* KIP-630: the leader's snapshot replaces the whole log (a follower below its log
         * start); the file is durable before the log is emptied.  Written here, on the
         * loop: it is rare, and the truncation must wait for it.  A snapshot of our own
         * being written (maybe_snapshot) ends at or below our high watermark, so below
         * this one (Log Matching): the two never share a file. */
        SL_ASSERT(q->snap_writer == NULL || q->snap_end < op->snapshot.end_offset);
        int rc = snapshot_store(q, op->snapshot.end_offset, op->snapshot.epoch, op->data, op->len);
        if (rc < 0)
            return rc;
        LOG_INFO("raft", "installed snapshot %lld-%d from the leader",
                 (long long)op->snapshot.end_offset, op->snapshot.epoch);
        return storage_log_truncate_fully(q->log, op->snapshot.end_offset);
    }
    case RAFT_LOG_RESET:
        LOG_WARN("raft", "metadata log reset to offset %lld", (long long)op->offset);
        return storage_log_truncate_fully(q->log, op->offset < 0 ? 0 : op->offset);
    }
    return SL_EINVAL;
}

/* ---- notifications ---- */

/* Hands the core's snapshot to the listener; delivery continues at its end. */
/*
 * The quorum cannot go on (its log, quorum-state or state machine failed): it
 * stops for good and tells the listener, whose process exits.  Kafka treats
 * these as fatal faults (KafkaRaftClientDriver hands them to the process
 * terminating fault handler): a voter that can no longer record its vote or
 * its log must not look alive.
 */
static void quorum_fail(struct quorum_raft *q, const char *what)
{
    if (q->failed)
        return;
    q->failed = true;
    LOG_ERROR("raft", "FATAL: %s; the metadata quorum stops", what);
    if (q->l.on_fatal)
        q->l.on_fatal(q->l.ctx, what);
}

/*
 * After every input to the core: a message it refused because it contradicts
 * its own state (raft_fault(): two leaders in one epoch, a truncation below the
 * high watermark) means some voter broke Raft's guarantees, and running on
 * could commit conflicting metadata.  The quorum stops as fatal instead.
 * Returns true when the quorum has failed.
 */
static bool fault_check(struct quorum_raft *q)
{
    const char *fault = raft_fault(q->rn);
    if (fault && !q->failed) {
        snprintf(q->fault_what, sizeof q->fault_what, "the Raft core refused to go on: %s", fault);
        quorum_fail(q, q->fault_what);
    }
    return q->failed;
}

static void load_pending_snapshot(struct quorum_raft *q)
{
    q->pending_load = false;
    const uint8_t *data;
    size_t len;
    struct raft_snapshot_id id = raft_snapshot(q->rn, &data, &len);
    if (id.end_offset < 0)
        return;
    if (q->l.load_snapshot) {
        int rc = q->l.load_snapshot(q->l.ctx, id.end_offset, data, len);
        if (rc < 0) {
            LOG_ERROR("raft", "the state machine rejected snapshot %lld-%d: %s",
                      (long long)id.end_offset, id.epoch, sl_strerror(rc));
            quorum_fail(q, "a metadata snapshot could not be loaded");
            return;
        }
    } else {
        LOG_WARN("raft", "snapshot %lld-%d skipped: the listener cannot load snapshots",
                 (long long)id.end_offset, id.epoch);
    }
    q->delivered = id.end_offset;
    q->bytes_since_snap = 0;
}

static void apply_outputs(struct quorum_raft *q);

/*
 * The snapshot file begun by maybe_snapshot is durable (or failed): only now
 * does the core take it and drop the log below it (raft.h: "the state machine
 * writes and fsyncs a snapshot ..., then raft_snapshot_take").  The core may
 * have moved past it meanwhile (a leader's snapshot installed above it): it
 * refuses it then and the file goes.  Called on the loop, outside apply_outputs.
 */
static void on_snapshot_written(void *ctx, const char *path, int rc)
{
    struct quorum_raft *q = ctx;
    SL_ASSERT(q->depth == 0);
    if (q->failed)
        goto out;
    if (rc == 0) {
        rc = raft_snapshot_take(q->rn, clock_mono_ms(), q->snap_end, q->snap.data, q->snap.len);
        if (rc < 0)
            unlink(path);
    }
    if (rc < 0) {
        LOG_WARN("raft", "snapshot at offset %lld not taken: %s", (long long)q->snap_end,
                 sl_strerror(rc));
    } else {
        LOG_INFO("raft", "snapshot %lld-%d taken (%zu bytes)", (long long)q->snap_end,
                 q->snap_epoch, q->snap.len);
        snapshot_delete_older(q, q->snap_end);
    }
out:
    storage_file_writer_free(q->snap_writer); /* path is its: freed last */
    q->snap_writer = NULL;
    wbuf_free(&q->snap);
    if (rc == 0 && !q->failed)
        apply_outputs(q); /* the core's outputs (DROP_PREFIX) */
}

/*
 * After delivering commits: once snapshot_bytes of batches were committed since
 * the last snapshot, the state machine writes one at the delivered offset (a batch
 * boundary at or below the high watermark), it is stored on the flush thread, and
 * once durable the core drops the log below it (on_snapshot_written; KIP-630,
 * Kafka's metadata.log.max.record.bytes.between.snapshots).
 */
static void maybe_snapshot(struct quorum_raft *q)
{
    if (!q->l.write_snapshot || q->bytes_since_snap < q->snapshot_bytes || q->failed ||
        q->snap_writer != NULL)
        return;
    struct raft_snapshot_id cur = raft_snapshot(q->rn, NULL, NULL);
    struct raft_entry last;
    if (q->delivered <= cur.end_offset || raft_entry_find(q->rn, q->delivered - 1, &last) < 0)
        return;
    int64_t end = q->delivered;
    int32_t epoch = last.epoch;
    q->bytes_since_snap = 0;
    wbuf_init(&q->snap, 4096);
    int rc = q->l.write_snapshot(q->l.ctx, end, epoch, &q->snap);
    if (rc < 0) {
        LOG_WARN("raft", "snapshot at offset %lld not taken: %s", (long long)end, sl_strerror(rc));
        wbuf_free(&q->snap);
        return;
    }
    q->snap_end = end;
    q->snap_epoch = epoch;
    char *p = snapshot_path(q, end, epoch);
    q->snap_writer = storage_file_writer_new(q->flusher, p, on_snapshot_written, q);
    free(p);
    void *copy = xmalloc(q->snap.len ? q->snap.len : 1);
    memcpy(copy, q->snap.data, q->snap.len);
    storage_file_writer_write(q->snap_writer, copy, q->snap.len);
}

static void deliver_commits(struct quorum_raft *q)
{
    if (q->pending_load)
        load_pending_snapshot(q);
    if (q->failed)
        return;
    int64_t hw = raft_high_watermark(q->rn);
    while (q->delivered < hw) {
        struct raft_entry e;
        if (raft_entry_find(q->rn, q->delivered, &e) < 0)
            break;
        if (e.last_offset >= hw)
            break;
        /* The entry's bytes are valid until the next input; the listener may propose,
         * which is an input: copy first. */
        uint8_t *copy = xmalloc(e.len);
        memcpy(copy, e.data, e.len);
        int64_t base = e.base_offset;
        q->delivered = e.last_offset + 1;
        q->bytes_since_snap += (int64_t)e.len;
        if (q->l.on_commit)
            q->l.on_commit(q->l.ctx, base, copy, e.len);
        free(copy);
    }
    maybe_snapshot(q);
}

static void announce_leader(struct quorum_raft *q)
{
    int32_t leader = raft_leader_id(q->rn), epoch = raft_epoch(q->rn);
    if (leader == q->node_id) {
        /* A new leader is announced once its own epoch-start marker has been delivered,
         * so the state machine acts on a complete image (KafkaRaftClient does the same). */
        if (raft_role(q->rn) != RAFT_LEADER || q->delivered <= raft_epoch_start_offset(q->rn))
            return;
    }
    if (leader == q->announced_leader && epoch == q->announced_epoch)
        return;
    SL_ASSERT_MSG(epoch >= q->announced_epoch, "the announced epoch moved backwards");
    q->announced_leader = leader;
    q->announced_epoch = epoch;
    if (q->l.on_leader_change)
        q->l.on_leader_change(q->l.ctx, leader, epoch);
}

/* ---- the output loop ---- */

static void arm_timer(struct quorum_raft *q)
{
    int64_t deadline = raft_next_deadline(q->rn);
    if (deadline == INT64_MAX || q->failed) {
        evtimer_del(q->timer);
        return;
    }
    int64_t wait = deadline - clock_mono_ms();
    if (wait < 0)
        wait = 0;
    struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)((wait % 1000) * 1000)};
    evtimer_add(q->timer, &tv);
}

static void drop_queued(struct quorum_raft *q)
{
    while (q->queued) {
        struct queued_batch *b = q->queued;
        q->queued = b->next;
        free(b->data);
        free(b);
    }
    q->queued_tail = &q->queued;
    q->queued_records = 0;
}

/*
 * At a point where the core's last output has been consumed: hands the oldest
 * queued proposal to the core (whose output the caller then applies).  Returns
 * true when it did.
 */
static bool propose_queued(struct quorum_raft *q)
{
    struct queued_batch *b = q->queued;
    if (!b || q->failed)
        return false;
    q->queued = b->next;
    if (!q->queued)
        q->queued_tail = &q->queued;
    q->queued_records -= b->count;
    int rc = raft_propose(q->rn, clock_mono_ms(), b->base_offset, b->count, b->data, b->len);
    if (rc < 0) {
        /* Leadership moved meanwhile: these records never enter the log, like any
         * append of a deposed leader; the listener hears of the new leader. */
        LOG_WARN("raft", "queued metadata append at %lld dropped: %s", (long long)b->base_offset,
                 sl_strerror(rc));
        drop_queued(q);
    }
    free(b->data);
    free(b);
    return rc == 0;
}

/* Begins a flush of every op applied so far unless one runs (group commit). */
static void start_flush(struct quorum_raft *q)
{
    if (q->flushing || q->failed || q->applied_id <= q->flushing_id)
        return;
    q->flushing = true;
    q->flushing_id = q->applied_id;
    if (storage_log_request_flush(q->log) < 0)
        quorum_fail(q, "the metadata log could not be synced to disk");
}

/* The flush begun by start_flush ended (storage_flush_done_fn): its ops count as
 * durable for the core only now (raft.h's durability contract). */
static void on_log_flushed(void *owner, void *log_ctx, int rc)
{
    (void)log_ctx;
    struct quorum_raft *q = owner;
    SL_ASSERT(q->flushing && q->depth == 0);
    q->flushing = false;
    if (q->failed)
        return;
    if (rc < 0) {
        quorum_fail(q, "the metadata log could not be synced to disk");
        return;
    }
    raft_log_synced(q->rn, clock_mono_ms(), q->flushing_id);
    start_flush(q);
    apply_outputs(q);
}

static void on_flusher_ready(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct quorum_raft *q = arg;
    storage_flusher_complete(q->flusher);
}

static void apply_outputs(struct quorum_raft *q)
{
    if (q->depth > 0) {
        q->more = true;
        return;
    }
    q->depth++;
    do {
        q->more = false;
        if (fault_check(q))
            break;
        const struct raft_output *o = raft_output(q->rn);
        uint64_t synced = 0;
        bool wrote = false;
        for (size_t i = 0; i < o->nops && !q->failed; i++) {
            int rc = apply_log_op(q, &o->ops[i]);
            if (rc < 0) {
                LOG_ERROR("raft", "metadata log write failed: %s", sl_strerror(rc));
                quorum_fail(q, "the metadata log could not be written");
                break;
            }
            synced = o->ops[i].write_id;
            wrote = true;
        }
        SL_ASSERT_MSG(q->failed || storage_log_end_offset(q->log) == raft_log_end_offset(q->rn),
                      "the metadata log on disk must end where the core's log ends");
        if (o->snapshot_loaded && !q->failed)
            q->pending_load = true;
        if (wrote) {
            q->applied_id = synced;
            start_flush(q);
        }
        uint64_t persisted = 0;
        bool persist = o->persist && !q->failed;
        if (persist) {
            /* Synchronous on the loop, unlike the log's fsyncs and snapshots: the vote
             * or the new epoch must be durable before any message of this output goes
             * out (Raft thesis 3.8: a node persists currentTerm and votedFor before
             * answering), and it is rare (once per election or epoch change). */
            struct quorum_state st = {.leader_id = o->state.leader_id,
                                      .leader_epoch = o->state.epoch,
                                      .voted_id = o->state.voted_id};
            if (quorum_state_write(q->dir, &st) < 0) {
                quorum_fail(q, "the quorum-state file (the election state) could not be written");
                persist = false;
            }
            persisted = o->persist_seq;
        }
        if (q->failed)
            break;
        for (size_t i = 0; i < o->nmsgs; i++) {
            const struct raft_msg *m = &o->msgs[i];
            if (api_for_response(m->type) >= 0)
                answer_inbound(q, m);
            else
                send_request(q, m);
        }
        /* Reports are inputs: they replace `o`, so everything in it is consumed above. */
        int64_t now = clock_mono_ms();
        if (persist) {
            raft_persist_done(q->rn, now, persisted);
            q->more = true;
        }
        if (q->more)
            continue;
        if (q->in_append) {
            /* quorum.h: commits never arrive inside quorum_append. */
            event_active(q->notify, EV_TIMEOUT, 0);
            break;
        }
        deliver_commits(q);
        announce_leader(q);
        /* Everything the core said is consumed: the next queued proposal may go in. */
        if (!q->more && propose_queued(q))
            q->more = true;
    } while (q->more && !q->failed);
    q->depth--;
    arm_timer(q);
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct quorum_raft *q = arg;
    if (q->depth > 0 || q->failed)
        return;
    q->depth++;
    deliver_commits(q);
    announce_leader(q);
    if (!q->more && propose_queued(q))
        q->more = true;
    q->depth--;
    if (q->more)
        apply_outputs(q);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct quorum_raft *q = arg;
    if (!q->started) {
        q->started = true;
        raft_start(q->rn, clock_mono_ms());
    } else {
        raft_tick(q->rn, clock_mono_ms());
    }
    apply_outputs(q);
}

/* ---- inbound requests ---- */

static void reply_error(int16_t api_key, int16_t kerr, quorum_reply_fn reply, void *ctx)
{
    struct arena a = ARENA_INIT;
    void *resp = NULL;
    const struct proto_schema *schema = NULL;
    if (raft_wire_response(api_key, NULL, kerr, &a, &resp, &schema) == 0)
        reply(ctx, schema, resp);
    arena_free(&a);
}

/* The core runs on monotonic time; DescribeQuorum reports wall-clock epoch ms as Kafka does. */
static int64_t wall_of(int64_t mono_ms)
{
    return mono_ms < 0 ? mono_ms : mono_ms + (clock_wall_ms() - clock_mono_ms());
}

static void describe_quorum(struct quorum_raft *q, quorum_reply_fn reply, void *ctx)
{
    struct describe_quorum_resp resp = {0};
    struct describe_quorum_resp_topic topic = {0};
    struct describe_quorum_resp_partition part = {0};
    struct raft_quorum_info qi;
    struct describe_quorum_replica_state voters[RAFT_MAX_VOTERS];
    struct describe_quorum_replica_state *observers = NULL;
    /* v2 nodes: every voter's endpoint on the controller listener (KIP-853). */
    struct describe_quorum_resp_node nodes[RAFT_MAX_VOTERS];
    struct kraft_endpoint eps[RAFT_MAX_VOTERS];
    for (int i = 0; i < q->nvoters; i++) {
        eps[i] = (struct kraft_endpoint){
            .name = {q->listener_name, (int32_t)strlen(q->listener_name)},
            .host = {q->endpoints[i].host, (int32_t)strlen(q->endpoints[i].host)},
            .port = (uint16_t)q->endpoints[i].port};
        nodes[i] = (struct describe_quorum_resp_node){.node_id = q->endpoints[i].id};
        nodes[i].listeners.n = 1;
        nodes[i].listeners.v = &eps[i];
    }
    resp.nodes.n = q->nvoters;
    resp.nodes.v = nodes;
    resp.topics.n = 1;
    resp.topics.v = &topic;
    topic.topic_name = (struct kstr){RAFT_WIRE_TOPIC, (int32_t)strlen(RAFT_WIRE_TOPIC)};
    topic.partitions.n = 1;
    topic.partitions.v = &part;
    if (raft_describe_quorum(q->rn, &qi) < 0) {
        part.error_code = KERR_NOT_LEADER_OR_FOLLOWER;
        part.leader_id = raft_leader_id(q->rn);
        part.leader_epoch = raft_epoch(q->rn);
        part.high_watermark = -1;
    } else {
        part.leader_id = qi.leader_id;
        part.leader_epoch = qi.epoch;
        part.high_watermark = qi.high_watermark;
        for (int i = 0; i < qi.nvoters; i++) {
            voters[i] = (struct describe_quorum_replica_state){
                .replica_id = qi.voters[i].id,
                .log_end_offset = qi.voters[i].log_end_offset,
                .last_fetch_timestamp = wall_of(qi.voters[i].last_fetch_ms),
                .last_caught_up_timestamp = wall_of(qi.voters[i].last_caught_up_ms)};
        }
        part.current_voters.n = qi.nvoters;
        part.current_voters.v = voters;
        observers = xcalloc((size_t)qi.nobservers + 1, sizeof *observers);
        for (int i = 0; i < qi.nobservers; i++) {
            observers[i] = (struct describe_quorum_replica_state){
                .replica_id = qi.observers[i].id,
                .log_end_offset = qi.observers[i].log_end_offset,
                .last_fetch_timestamp = wall_of(qi.observers[i].last_fetch_ms),
                .last_caught_up_timestamp = wall_of(qi.observers[i].last_caught_up_ms)};
        }
        part.observers.n = qi.nobservers;
        part.observers.v = observers;
    }
    reply(ctx, &proto_describe_quorum_resp_schema, &resp);
    free(observers);
}

/*
 * KafkaRaftClient.handleDescribeQuorumRequest: a request for anything but
 * __cluster_metadata-0 gets UNKNOWN_TOPIC_OR_PARTITION on every partition it
 * named.
 */
static void describe_quorum_unknown(const struct describe_quorum_req *r, quorum_reply_fn reply,
                                    void *ctx)
{
    struct arena a = ARENA_INIT;
    struct describe_quorum_resp resp = {0};
    int32_t nt = r->topics.n > 0 ? r->topics.n : 0;
    resp.topics.n = nt;
    resp.topics.v = arena_alloc(&a, (size_t)(nt ? nt : 1) * sizeof *resp.topics.v);
    for (int32_t i = 0; i < nt; i++) {
        struct describe_quorum_resp_topic *t = &resp.topics.v[i];
        memset(t, 0, sizeof *t);
        t->topic_name = r->topics.v[i].topic_name;
        int32_t np = r->topics.v[i].partitions.n > 0 ? r->topics.v[i].partitions.n : 0;
        t->partitions.n = np;
        t->partitions.v = arena_alloc(&a, (size_t)(np ? np : 1) * sizeof *t->partitions.v);
        for (int32_t j = 0; j < np; j++)
            t->partitions.v[j] = (struct describe_quorum_resp_partition){
                .partition_index = r->topics.v[i].partitions.v[j].partition_index,
                .error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION,
                .leader_id = -1,
                .leader_epoch = -1,
                .high_watermark = -1};
    }
    reply(ctx, &proto_describe_quorum_resp_schema, &resp);
    arena_free(&a);
}

int quorum_raft_handle(struct quorum *qq, int16_t api_key, int16_t version, const void *req,
                       quorum_reply_fn reply, void *ctx)
{
    struct quorum_raft *q = qr_of(qq);
    if (api_key == KAPI_DESCRIBE_QUORUM) {
        if (raft_wire_describe_quorum_ok(req))
            describe_quorum(q, reply, ctx);
        else
            describe_quorum_unknown(req, reply, ctx);
        return 0;
    }
    struct raft_msg m;
    struct arena a = ARENA_INIT;
    int16_t kerr = KERR_NONE;
    int rc =
        raft_wire_request_to_msg(api_key, version, req, q->node_id, q->cluster_id, &a, &m, &kerr);
    if (rc == SL_ENOTFOUND) {
        arena_free(&a);
        return rc;
    }
    if (rc == 0 && !q->started) {
        rc = SL_EAGAIN;
        kerr = KERR_NOT_LEADER_OR_FOLLOWER;
    }
    if (rc < 0 || q->failed) {
        reply_error(api_key, rc < 0 ? kerr : KERR_KAFKA_STORAGE_ERROR, reply, ctx);
        arena_free(&a);
        return 0;
    }
    struct inbound *in = xcalloc(1, sizeof *in);
    in->rid = m.rid = ++q->next_rid;
    in->api_key = api_key;
    in->reply = reply;
    in->ctx = ctx;
    in->next = q->inbound;
    q->inbound = in;
    if (raft_recv(q->rn, clock_mono_ms(), &m) < 0) {
        q->inbound = in->next;
        free(in);
        reply_error(api_key, KERR_INVALID_REQUEST, reply, ctx);
        fault_check(q);
    } else {
        apply_outputs(q);
    }
    arena_free(&a);
    return 0;
}

/* ---- quorum_ops ---- */

static int qr_append(struct quorum *qq, const struct kbytes *records, int n, int64_t *last_offset)
{
    struct quorum_raft *q = qr_of(qq);
    if (q->failed || n <= 0 || !quorum_is_leader(qq))
        return n <= 0 ? SL_EINVAL : SL_ESTATE;
    int64_t base = raft_log_end_offset(q->rn) + q->queued_records;
    int64_t now = clock_wall_ms();
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, base, now);
    rb_builder_set_partition_leader_epoch(&b, raft_epoch(q->rn));
    for (int i = 0; i < n; i++)
        rb_builder_add(&b, now, NULL, -1, records[i].p, records[i].len, NULL, 0);
    struct wbuf w;
    wbuf_init(&w, 256);
    int rc = rb_builder_finish(&b, &w);
    rb_builder_free(&b);
    if (rc == 0 && (q->depth > 0 || q->queued)) {
        /* Inside the output loop (a listener appending from a callback): queue. */
        struct queued_batch *qb = xcalloc(1, sizeof *qb);
        qb->base_offset = base;
        qb->count = n;
        qb->len = w.len;
        qb->data = xmalloc(w.len);
        memcpy(qb->data, w.data, w.len);
        *q->queued_tail = qb;
        q->queued_tail = &qb->next;
        q->queued_records += n;
        wbuf_free(&w);
        *last_offset = base + n - 1;
        if (q->depth == 0)
            event_active(q->notify, EV_TIMEOUT, 0);
        return 0;
    }
    if (rc == 0)
        rc = raft_propose(q->rn, clock_mono_ms(), base, n, w.data, w.len);
    wbuf_free(&w);
    if (rc < 0)
        return rc;
    *last_offset = base + n - 1;
    q->in_append = true;
    apply_outputs(q);
    q->in_append = false;
    return 0;
}

static bool qr_is_leader(const struct quorum *qq)
{
    const struct quorum_raft *q = cqr_of(qq);
    return !q->failed && raft_role(q->rn) == RAFT_LEADER && q->announced_leader == q->node_id &&
           q->announced_epoch == raft_epoch(q->rn);
}

static int32_t qr_leader_id(const struct quorum *qq)
{
    return raft_leader_id(cqr_of(qq)->rn);
}

static int32_t qr_epoch(const struct quorum *qq)
{
    return raft_epoch(cqr_of(qq)->rn);
}

static int64_t qr_high_watermark(const struct quorum *qq)
{
    return raft_high_watermark(cqr_of(qq)->rn);
}

static int64_t qr_log_end_offset(const struct quorum *qq)
{
    return raft_log_end_offset(cqr_of(qq)->rn);
}

static void qr_close(struct quorum *qq)
{
    struct quorum_raft *q = qr_of(qq);
    drop_queued(q);
    /* Graceful resignation lets the others elect at once (KIP-595 EndQuorumEpoch). */
    if (!q->failed && raft_role(q->rn) == RAFT_LEADER && q->nvoters > 1 &&
        raft_resign(q->rn, clock_mono_ms()) == 0) {
        const struct raft_output *o = raft_output(q->rn);
        for (size_t i = 0; i < o->nmsgs; i++)
            if (api_for_response(o->msgs[i].type) < 0)
                send_request(q, &o->msgs[i]);
    }
    while (q->inbound) {
        struct inbound *in = q->inbound;
        q->inbound = in->next;
        reply_error(in->api_key, KERR_NOT_LEADER_OR_FOLLOWER, in->reply, in->ctx);
        free(in);
    }
    for (int i = 0; i < q->npeers; i++) {
        kc_conn_free(q->peers[i].conn);
        free(q->peers[i].host);
    }
    for (int i = 0; i < q->nvoters; i++)
        free(q->endpoints[i].host);
    free(q->listener_name);
    event_free(q->timer);
    event_free(q->notify);
    raft_destroy(q->rn);
    /* The flush thread finishes; close then syncs the log here (shutdown path). */
    event_free(q->flusher_ev);
    storage_flusher_destroy(q->flusher);
    storage_file_writer_free(q->snap_writer); /* its file is durable, the core never took it */
    wbuf_free(&q->snap);
    storage_log_set_flusher(q->log, NULL, NULL);
    storage_log_close(q->log);
    free(q->dir);
    free(q->cluster_id);
    free(q);
}

static void replica_of(const struct raft_replica_info *in, struct quorum_replica *out)
{
    *out = (struct quorum_replica){.id = in->id,
                                   .log_end_offset = in->log_end_offset,
                                   .last_fetch_timestamp = wall_of(in->last_fetch_ms),
                                   .last_caught_up_timestamp = wall_of(in->last_caught_up_ms)};
}

static int qr_describe(const struct quorum *qq, struct quorum_description *out)
{
    const struct quorum_raft *q = cqr_of(qq);
    struct raft_quorum_info qi;
    int rc = raft_describe_quorum(q->rn, &qi);
    if (rc < 0)
        return rc;
    out->leader_id = qi.leader_id;
    out->epoch = qi.epoch;
    out->high_watermark = qi.high_watermark;
    out->voters = xcalloc((size_t)qi.nvoters + 1, sizeof(*out->voters));
    for (int i = 0; i < qi.nvoters; i++)
        replica_of(&qi.voters[i], &out->voters[i]);
    out->nvoters = qi.nvoters;
    out->observers = xcalloc((size_t)qi.nobservers + 1, sizeof(*out->observers));
    for (int i = 0; i < qi.nobservers; i++)
        replica_of(&qi.observers[i], &out->observers[i]);
    out->nobservers = qi.nobservers;
    return 0;
}

static const struct quorum_ops raft_ops = {
    .append = qr_append,
    .is_leader = qr_is_leader,
    .leader_id = qr_leader_id,
    .epoch = qr_epoch,
    .high_watermark = qr_high_watermark,
    .log_end_offset = qr_log_end_offset,
    .close = qr_close,
    .describe = qr_describe,
    .handle_rpc = quorum_raft_handle,
};

/* ---- open ---- */

struct load_ctx {
    struct raft_node *rn;
    int64_t loaded_end;
    bool stop;
};

static int load_entry(void *arg, const uint8_t *batch, size_t len)
{
    struct load_ctx *lc = arg;
    struct rb_header h;
    if (lc->stop || rb_header_parse(batch, len, &h) < 0)
        return 1;
    struct raft_entry e = {.base_offset = h.base_offset,
                           .last_offset = rb_header_last_offset(&h),
                           .epoch = h.partition_leader_epoch,
                           .data = batch,
                           .len = len};
    if (raft_load_entry(lc->rn, &e) < 0) {
        lc->stop = true;
        return 1;
    }
    lc->loaded_end = e.last_offset + 1;
    return 0;
}

int quorum_raft_open(struct event_base *base, const struct quorum_raft_config *cfg,
                     const struct quorum_listener *l, struct quorum **out)
{
    if (!base || !cfg || !cfg->dir || cfg->nvoters < 1 || cfg->nvoters > RAFT_MAX_VOTERS || !l)
        return SL_EINVAL;
    struct quorum_raft *q = xcalloc(1, sizeof *q);
    q->q.ops = &raft_ops;
    q->base = base;
    q->dir = xstrdup(cfg->dir);
    q->cluster_id = xstrdup(cfg->cluster_id ? cfg->cluster_id : "");
    q->node_id = cfg->node_id;
    q->l = *l;
    q->announced_leader = -2;
    q->announced_epoch = -1;
    q->request_timeout_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 2000;
    q->snapshot_bytes =
        cfg->snapshot_bytes > 0 ? cfg->snapshot_bytes : QUORUM_RAFT_SNAPSHOT_BYTES_DEFAULT;

    struct raft_config rc;
    raft_config_default(&rc);
    rc.node_id = cfg->node_id;
    rc.nvoters = cfg->nvoters;
    q->listener_name = xstrdup(cfg->listener_name ? cfg->listener_name : "CONTROLLER");
    for (int i = 0; i < cfg->nvoters; i++) {
        rc.voters[i] = cfg->voters[i].id;
        q->voters[i] = cfg->voters[i].id;
        q->endpoints[i].id = cfg->voters[i].id;
        q->endpoints[i].host = xstrdup(cfg->voters[i].host);
        q->endpoints[i].port = cfg->voters[i].port;
        if (cfg->voters[i].id == cfg->node_id)
            continue;
        struct peer *p = &q->peers[q->npeers++];
        p->id = cfg->voters[i].id;
        p->host = xstrdup(cfg->voters[i].host);
        p->port = cfg->voters[i].port;
        char client_id[32];
        snprintf(client_id, sizeof client_id, "raft-%d", cfg->node_id);
        p->conn = kc_conn_new(base, p->host, p->port, client_id, MAX_RESPONSE_BYTES);
    }
    q->nvoters = cfg->nvoters;
    if (cfg->election_timeout_ms > 0)
        rc.election_timeout_ms = cfg->election_timeout_ms;
    if (cfg->fetch_timeout_ms > 0)
        rc.fetch_timeout_ms = cfg->fetch_timeout_ms;
    if (cfg->request_timeout_ms > 0)
        rc.request_timeout_ms = cfg->request_timeout_ms;
    if (cfg->retry_backoff_ms > 0)
        rc.retry_backoff_ms = cfg->retry_backoff_ms;
    if (cfg->election_backoff_max_ms > 0)
        rc.election_backoff_max_ms = cfg->election_backoff_max_ms;
    /* The seed also drives request ids: it must differ on every start. */
    struct uuid seed = uuid_random();
    memcpy(&rc.seed, seed.b, sizeof rc.seed);
    rc.marker = build_marker;
    rc.marker_ctx = q;
    q->snapshot_max_bytes = rc.snapshot_max_bytes;
    char *snap_data = NULL;
    size_t snap_len = 0;
    struct raft_snapshot_id snap;

    struct storage_log_config lcfg;
    storage_log_config_default(&lcfg);
    lcfg.retention_ms = -1;
    lcfg.retention_bytes = -1;
    lcfg.flush_interval_messages = INT64_MAX; /* flushed explicitly before counting */
    if (cfg->segment_bytes > 0)
        lcfg.segment_bytes = cfg->segment_bytes;
    int err = storage_log_open(q->dir, &lcfg, -1, &q->log);
    if (err < 0) {
        LOG_ERROR("raft", "cannot open the metadata log in %s: %s", q->dir, sl_strerror(err));
        goto fail;
    }
    struct quorum_state st;
    struct raft_persisted ps = {0, -1, -1};
    err = quorum_state_read(q->dir, &st);
    if (err == 0) {
        ps.epoch = st.leader_epoch;
        ps.voted_id = st.voted_id;
        ps.leader_id = st.leader_id;
    } else if (err != SL_ENOTFOUND) {
        LOG_ERROR("raft", "cannot read %s/quorum-state: %s", q->dir, sl_strerror(err));
        goto fail;
    }
    err = snapshot_load_newest(q, &snap, &snap_data, &snap_len);
    if (err < 0) {
        LOG_ERROR("raft", "cannot list snapshots in %s", q->dir);
        goto fail;
    }
    err = raft_create(&rc, &ps, &snap, snap_data, snap_len, &q->rn);
    free(snap_data);
    snap_data = NULL;
    if (err < 0) {
        LOG_ERROR("raft", "invalid quorum configuration: %s", sl_strerror(err));
        goto fail;
    }
    struct load_ctx lc = {.rn = q->rn, .loaded_end = storage_log_start_offset(q->log)};
    storage_log_scan(q->log, storage_log_start_offset(q->log), load_entry, &lc);
    q->delivered = raft_log_start_offset(q->rn);
    /* The snapshot reaches the listener before any commit (deliver_commits). */
    q->pending_load = snap.end_offset >= 0;
    err = storage_flusher_create(on_log_flushed, q, &q->flusher);
    if (err < 0) {
        raft_destroy(q->rn);
        goto fail;
    }
    storage_log_set_flusher(q->log, q->flusher, q);
    q->flusher_ev =
        event_new(base, storage_flusher_fd(q->flusher), EV_READ | EV_PERSIST, on_flusher_ready, q);
    event_add(q->flusher_ev, NULL);
    q->timer = evtimer_new(base, on_timer, q);
    q->notify = event_new(base, -1, 0, on_notify, q);
    q->queued_tail = &q->queued;
    LOG_INFO("raft", "node %d: snapshot %lld, metadata log %lld..%lld, epoch %d, %d voter(s)",
             q->node_id, (long long)snap.end_offset, (long long)storage_log_start_offset(q->log),
             (long long)lc.loaded_end, ps.epoch, q->nvoters);
    /* The core starts from the loop, so no listener callback runs before the caller
     * has finished wiring (it receives the quorum only when this returns). */
    q->started = false;
    struct timeval zero = {0, 0};
    evtimer_add(q->timer, &zero);
    *out = &q->q;
    return 0;
fail:
    free(snap_data);
    for (int i = 0; i < q->npeers; i++) {
        kc_conn_free(q->peers[i].conn);
        free(q->peers[i].host);
    }
    for (int i = 0; i < q->nvoters; i++)
        free(q->endpoints[i].host);
    free(q->listener_name);
    if (q->log)
        storage_log_close(q->log);
    free(q->dir);
    free(q->cluster_id);
    free(q);
    return err < 0 ? err : SL_EINVAL;
}
