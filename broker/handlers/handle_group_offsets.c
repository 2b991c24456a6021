/*
 * Committed-offset APIs (group_handlers.h): OffsetCommit (8), OffsetFetch (9)
 * and OffsetDelete (47).  Commits and deletions are written to the group's
 * __consumer_offsets partition as OffsetCommit records / tombstones and
 * answered once the write is committed (acks=all); the group's in-memory
 * offsets change only then, so OffsetFetch never shows an offset a failover
 * could lose.
 */
#include <string.h>

#include "clock.h"
#include "group_coordinator.h"
#include "group_handlers.h"
#include "group_records.h"
#include "handlers.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "broker.h"
#include "request.h"
#include "xalloc.h"

#define DEFAULT_OFFSET_METADATA_MAX_BYTES 4096 /* offset.metadata.max.bytes */

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* ---- OffsetCommit ---- */

struct commit_item {
    struct offset_commit_resp_partition *out;
    const char *topic;
    struct group_offset o;
};

struct commit_ctx {
    struct request *req;
    struct group_coordinator *gc;
    struct offset_commit_resp *resp;
    const char *group_id;
    uint64_t incarnation;
    struct commit_item *items;
    int nitems;
};

static void commit_written(void *ctx, int16_t err, int64_t base_offset)
{
    struct commit_ctx *cc = ctx;
    struct group *g = group_coordinator_find_group(cc->gc, cc->group_id, cc->incarnation);
    for (int i = 0; i < cc->nitems; i++) {
        struct commit_item *it = &cc->items[i];
        if (err != KERR_NONE) {
            it->out->error_code = group_append_error(err);
            continue;
        }
        it->o.record_offset = base_offset + i;
        if (g)
            group_offset_put(g, &it->o);
    }
    request_respond(cc->req, &proto_offset_commit_resp_schema, cc->resp);
}

/* Checks everything that concerns the whole request; returns its Kafka error. */
static int16_t commit_group(struct request *req, struct group_coordinator *gc,
                            const struct offset_commit_req *cr, struct group **out)
{
    *out = NULL;
    if (!gc)
        return KERR_COORDINATOR_NOT_AVAILABLE;
    if (!cr->group_id.s || group_ids_carry_nul(cr->group_id))
        return KERR_INVALID_GROUP_ID;
    if (member_ids_carry_nul(cr->member_id, cr->group_instance_id))
        return KERR_UNKNOWN_MEMBER_ID;
    struct group *g = NULL;
    int16_t err = group_coordinator_lookup(gc, cr->group_id.s, false, &g);
    if (err != KERR_NONE)
        return err;
    int32_t generation = cr->generation_id_or_member_epoch;
    if (!g) {
        /* Without group management (generation < 0) the group is created for its offsets. */
        if (generation >= 0)
            return KERR_ILLEGAL_GENERATION;
        group_coordinator_lookup(gc, cr->group_id.s, true, &g);
    }
    err = group_commit_check(g, str_or_empty(cr->member_id.s), cr->group_instance_id.s, generation,
                             clock_wall_ms());
    group_coordinator_touch(gc, g);
    (void)req;
    *out = g;
    return err;
}

void handle_offset_commit(struct request *req)
{
    struct offset_commit_req *cr = request_decode_body(req, &proto_offset_commit_req_schema);
    if (!cr)
        return;
    struct group_coordinator *gc = req->node->groups;
    struct offset_commit_resp *resp = request_alloc(req, 1, sizeof *resp);
    int32_t nt = cr->topics.n > 0 ? cr->topics.n : 0;
    resp->topics.n = nt;
    resp->topics.v = request_alloc(req, (size_t)nt, sizeof *resp->topics.v);
    int total = 0;
    for (int32_t t = 0; t < nt; t++) {
        struct offset_commit_req_topic *rt = &cr->topics.v[t];
        struct offset_commit_resp_topic *ot = &resp->topics.v[t];
        ot->name = rt->name;
        int32_t np = rt->partitions.n > 0 ? rt->partitions.n : 0;
        ot->partitions.n = np;
        ot->partitions.v = request_alloc(req, (size_t)np, sizeof *ot->partitions.v);
        for (int32_t i = 0; i < np; i++)
            ot->partitions.v[i].partition_index = rt->partitions.v[i].partition_index;
        total += np;
    }
    struct group *g = NULL;
    int16_t err = commit_group(req, gc, cr, &g);
    struct commit_ctx *cc = request_alloc(req, 1, sizeof *cc);
    cc->items = request_alloc(req, (size_t)total, sizeof *cc->items);
    struct group_write_record *recs = request_alloc(req, (size_t)total, sizeof *recs);
    struct wbuf *bufs = request_alloc(req, (size_t)total * 2, sizeof *bufs);
    int64_t now = clock_wall_ms();
    int64_t max_meta = DEFAULT_OFFSET_METADATA_MAX_BYTES;
    /* Explicit retention (v2-4) becomes an expire timestamp (OffsetCommitValue v1). */
    int64_t expire =
        req->hdr.api_version <= 4 && cr->retention_time_ms != -1 ? now + cr->retention_time_ms : -1;
    for (int32_t t = 0; t < nt; t++) {
        struct offset_commit_req_topic *rt = &cr->topics.v[t];
        for (int32_t i = 0; i < resp->topics.v[t].partitions.n; i++) {
            struct offset_commit_req_partition *rp = &rt->partitions.v[i];
            struct offset_commit_resp_partition *op = &resp->topics.v[t].partitions.v[i];
            op->error_code = err;
            if (err != KERR_NONE)
                continue;
            /* Legal on its length first: "ab\0zzz" must not commit for topic "ab". */
            if (!proto_topic_name_legal(rt->name) ||
                !group_coordinator_partition_exists(gc, rt->name.s, rp->partition_index)) {
                op->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (rp->committed_metadata.s && rp->committed_metadata.len > max_meta) {
                op->error_code = KERR_OFFSET_METADATA_TOO_LARGE;
                continue;
            }
            struct commit_item *it = &cc->items[cc->nitems];
            it->out = op;
            it->o = (struct group_offset){
                .topic = (char *)rt->name.s,
                .partition = rp->partition_index,
                .offset = rp->committed_offset,
                .leader_epoch = rp->committed_leader_epoch,
                .metadata = (char *)str_or_empty(rp->committed_metadata.s),
                .metadata_len = rp->committed_metadata.s ? rp->committed_metadata.len : 0,
                .commit_ts = now,
                .expire_ts = expire,
            };
            struct wbuf *kb = &bufs[2 * cc->nitems], *vb = &bufs[2 * cc->nitems + 1];
            wbuf_init(kb, 64);
            wbuf_init(vb, 64);
            struct group_offset_value v = {
                .offset = it->o.offset,
                .leader_epoch = it->o.leader_epoch,
                .metadata = {it->o.metadata, it->o.metadata_len},
                .commit_timestamp = now,
                .expire_timestamp = expire,
            };
            if (group_records_offset_key(kb, cr->group_id.s, rt->name.s, rp->partition_index) < 0 ||
                group_records_offset_value(vb, &v) < 0) {
                op->error_code = KERR_OFFSET_METADATA_TOO_LARGE;
                wbuf_free(kb);
                wbuf_free(vb);
                continue;
            }
            recs[cc->nitems] =
                (struct group_write_record){kb->data, (int32_t)kb->len, vb->data, (int32_t)vb->len};
            cc->nitems++;
        }
    }
    if (cc->nitems == 0) {
        request_respond(req, &proto_offset_commit_resp_schema, resp);
        return;
    }
    cc->req = req;
    cc->gc = gc;
    cc->resp = resp;
    cc->group_id = cr->group_id.s;
    cc->incarnation = g->incarnation;
    group_coordinator_write(gc, g, recs, cc->nitems, commit_written, cc);
    for (int i = 0; i < 2 * cc->nitems; i++)
        wbuf_free(&bufs[i]);
}

/* ---- OffsetFetch ---- */

static void fill_partition(struct request *req, const struct group_offset *o, int32_t index,
                           struct offset_fetch_resp_partition *out)
{
    out->partition_index = index;
    out->committed_offset = o ? o->offset : -1;
    out->committed_leader_epoch = o ? o->leader_epoch : -1;
    /* The committed bytes exactly, NUL bytes included (never via strlen). */
    out->metadata =
        o ? (struct kstr){arena_strndup(&req->arena, o->metadata, (size_t)o->metadata_len),
                          o->metadata_len}
          : request_kstr(req, "");
    out->error_code = KERR_NONE;
}

/* The requested partitions of g (NULL: no group), -1 where nothing is committed. */
static void fill_requested(struct request *req, const struct group *g,
                           const struct offset_fetch_req_topic *topics, int32_t ntopics,
                           int32_t *nout, struct offset_fetch_resp_topic **out)
{
    *nout = ntopics > 0 ? ntopics : 0;
    *out = request_alloc(req, (size_t)*nout, sizeof **out);
    for (int32_t t = 0; t < *nout; t++) {
        struct offset_fetch_resp_topic *ot = &(*out)[t];
        ot->name = topics[t].name;
        int32_t np = topics[t].partition_indexes.n > 0 ? topics[t].partition_indexes.n : 0;
        ot->partitions.n = np;
        ot->partitions.v = request_alloc(req, (size_t)np, sizeof *ot->partitions.v);
        for (int32_t i = 0; i < np; i++) {
            int32_t pi = topics[t].partition_indexes.v[i];
            const struct group_offset *o = g && proto_topic_name_legal(topics[t].name)
                                               ? group_offset_get(g, topics[t].name.s, pi)
                                               : NULL;
            fill_partition(req, o, pi, &ot->partitions.v[i]);
        }
    }
}

/*
 * Fills one group's answer: the requested partitions (topics non-NULL) or
 * every committed offset (topics NULL).  Returns the group-level error.
 */
static int16_t fetch_group(struct request *req, struct group_coordinator *gc, struct kstr group_id,
                           const struct offset_fetch_req_topic *topics, int32_t ntopics,
                           int32_t *nout, struct offset_fetch_resp_topic **out)
{
    *nout = 0;
    *out = NULL;
    struct group *g = NULL;
    int16_t err = !gc ? KERR_COORDINATOR_NOT_AVAILABLE
                  : group_ids_carry_nul(group_id)
                      ? KERR_INVALID_GROUP_ID
                      : group_coordinator_lookup(gc, str_or_empty(group_id.s), false, &g);
    if (err != KERR_NONE)
        return err;
    if (g && g->state == GROUP_DEAD)
        g = NULL;
    if (topics) {
        fill_requested(req, g, topics, ntopics, nout, out);
        return KERR_NONE;
    }
    if (!g)
        return KERR_NONE;
    int n;
    const struct group_offset **offs = group_offsets_sorted(g, &req->arena, &n);
    int32_t ntop = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || strcmp(offs[i]->topic, offs[i - 1]->topic) != 0)
            ntop++;
    *out = request_alloc(req, (size_t)ntop, sizeof **out);
    int32_t t = -1;
    for (int i = 0; i < n; i++) {
        if (i == 0 || strcmp(offs[i]->topic, offs[i - 1]->topic) != 0) {
            t++;
            int j = i;
            while (j < n && strcmp(offs[j]->topic, offs[i]->topic) == 0)
                j++;
            (*out)[t].name = request_kstr(req, offs[i]->topic);
            (*out)[t].partitions.n = 0;
            (*out)[t].partitions.v =
                request_alloc(req, (size_t)(j - i), sizeof *(*out)[t].partitions.v);
        }
        struct offset_fetch_resp_topic *ot = &(*out)[t];
        fill_partition(req, offs[i], offs[i]->partition, &ot->partitions.v[ot->partitions.n++]);
    }
    *nout = ntop;
    return KERR_NONE;
}

void handle_offset_fetch(struct request *req)
{
    struct offset_fetch_req *fr = request_decode_body(req, &proto_offset_fetch_req_schema);
    if (!fr)
        return;
    int16_t ver = req->hdr.api_version;
    struct group_coordinator *gc = req->node->groups;
    struct offset_fetch_resp *resp = request_alloc(req, 1, sizeof *resp);
    if (ver >= 8) {
        /* Several groups per request (KIP-709). */
        int32_t ng = fr->groups.n > 0 ? fr->groups.n : 0;
        resp->groups.n = ng;
        resp->groups.v = request_alloc(req, (size_t)ng, sizeof *resp->groups.v);
        for (int32_t i = 0; i < ng; i++) {
            struct offset_fetch_req_group *rg = &fr->groups.v[i];
            struct offset_fetch_resp_group *og = &resp->groups.v[i];
            og->group_id = rg->group_id;
            og->error_code =
                fetch_group(req, gc, rg->group_id, rg->topics.n >= 0 ? rg->topics.v : NULL,
                            rg->topics.n, &og->topics.n, &og->topics.v);
            if (og->error_code != KERR_NONE)
                og->topics.n = 0;
        }
        request_respond(req, &proto_offset_fetch_resp_schema, resp);
        return;
    }
    const struct offset_fetch_req_topic *topics = fr->topics.n >= 0 ? fr->topics.v : NULL;
    int16_t err =
        fetch_group(req, gc, fr->group_id, topics, fr->topics.n, &resp->topics.n, &resp->topics.v);
    if (err != KERR_NONE) {
        if (ver >= 2) {
            resp->error_code = err;
            resp->topics.n = 0;
        } else {
            /* v1 has no top-level error: each requested partition carries it. */
            fill_requested(req, NULL, topics, fr->topics.n, &resp->topics.n, &resp->topics.v);
            for (int32_t t = 0; t < resp->topics.n; t++)
                for (int32_t i = 0; i < resp->topics.v[t].partitions.n; i++)
                    resp->topics.v[t].partitions.v[i].error_code = err;
        }
    }
    request_respond(req, &proto_offset_fetch_resp_schema, resp);
}

/* ---- OffsetDelete ---- */

struct delete_item {
    const char *topic;
    int32_t partition;
};

struct offset_delete_ctx {
    struct request *req;
    struct group_coordinator *gc;
    struct offset_delete_resp *resp;
    const char *group_id;
    uint64_t incarnation;
    struct delete_item *items;
    int nitems;
};

static void offsets_deleted(void *ctx, int16_t err, int64_t base_offset)
{
    struct offset_delete_ctx *dc = ctx;
    if (err != KERR_NONE) {
        dc->resp->error_code = group_append_error(err);
        dc->resp->topics.n = 0;
    } else {
        struct group *g = group_coordinator_find_group(dc->gc, dc->group_id, dc->incarnation);
        for (int i = 0; g && i < dc->nitems; i++)
            group_offset_remove(g, dc->items[i].topic, dc->items[i].partition, base_offset + i);
    }
    request_respond(dc->req, &proto_offset_delete_resp_schema, dc->resp);
}

void handle_offset_delete(struct request *req)
{
    struct offset_delete_req *dr = request_decode_body(req, &proto_offset_delete_req_schema);
    if (!dr)
        return;
    struct group_coordinator *gc = req->node->groups;
    struct offset_delete_resp *resp = request_alloc(req, 1, sizeof *resp);
    struct group *g = NULL;
    int16_t err = KERR_NONE;
    if (!gc)
        err = KERR_COORDINATOR_NOT_AVAILABLE;
    else if (!dr->group_id.s || group_ids_carry_nul(dr->group_id))
        err = KERR_INVALID_GROUP_ID;
    else
        err = group_coordinator_lookup(gc, dr->group_id.s, false, &g);
    if (err == KERR_NONE && (!g || g->state == GROUP_DEAD))
        err = KERR_GROUP_ID_NOT_FOUND;
    /* A group with members may only drop offsets of topics it does not consume. */
    if (err == KERR_NONE && g->state != GROUP_EMPTY &&
        !(g->protocol_type && strcmp(g->protocol_type, "consumer") == 0))
        err = KERR_NON_EMPTY_GROUP;
    if (err != KERR_NONE) {
        resp->error_code = err;
        request_respond(req, &proto_offset_delete_resp_schema, resp);
        return;
    }
    int32_t nt = dr->topics.n > 0 ? dr->topics.n : 0;
    int total = 0;
    for (int32_t t = 0; t < nt; t++)
        total += dr->topics.v[t].partitions.n > 0 ? dr->topics.v[t].partitions.n : 0;
    struct offset_delete_ctx *dc = request_alloc(req, 1, sizeof *dc);
    dc->items = request_alloc(req, (size_t)total, sizeof *dc->items);
    struct group_write_record *recs = request_alloc(req, (size_t)total, sizeof *recs);
    struct wbuf *keys = request_alloc(req, (size_t)total, sizeof *keys);
    resp->topics.n = nt;
    resp->topics.v = request_alloc(req, (size_t)nt, sizeof *resp->topics.v);
    for (int32_t t = 0; t < nt; t++) {
        struct offset_delete_req_topic *rt = &dr->topics.v[t];
        struct offset_delete_resp_topic *ot = &resp->topics.v[t];
        ot->name = rt->name;
        int32_t np = rt->partitions.n > 0 ? rt->partitions.n : 0;
        ot->partitions.n = np;
        ot->partitions.v = request_alloc(req, (size_t)np, sizeof *ot->partitions.v);
        const char *topic = str_or_empty(rt->name.s);
        bool exists =
            proto_topic_name_legal(rt->name) && group_coordinator_partition_exists(gc, topic, 0);
        bool subscribed = group_is_subscribed(g, topic);
        for (int32_t i = 0; i < np; i++) {
            int32_t pi = rt->partitions.v[i].partition_index;
            struct offset_delete_resp_partition *op = &ot->partitions.v[i];
            op->partition_index = pi;
            if (!exists || !group_coordinator_partition_exists(gc, topic, pi)) {
                op->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (subscribed) {
                op->error_code = KERR_GROUP_SUBSCRIBED_TO_TOPIC;
                continue;
            }
            if (!group_offset_get(g, topic, pi))
                continue;
            struct wbuf *kb = &keys[dc->nitems];
            wbuf_init(kb, 64);
            group_records_offset_key(kb, g->id, topic, pi);
            recs[dc->nitems] = (struct group_write_record){kb->data, (int32_t)kb->len, NULL, -1};
            dc->items[dc->nitems++] = (struct delete_item){topic, pi};
        }
    }
    if (dc->nitems == 0) {
        request_respond(req, &proto_offset_delete_resp_schema, resp);
        return;
    }
    dc->req = req;
    dc->gc = gc;
    dc->resp = resp;
    dc->group_id = dr->group_id.s;
    dc->incarnation = g->incarnation;
    group_coordinator_write(gc, g, recs, dc->nitems, offsets_deleted, dc);
    for (int i = 0; i < dc->nitems; i++)
        wbuf_free(&keys[i]);
}
