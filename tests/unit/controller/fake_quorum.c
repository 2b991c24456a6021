/*
 * In-memory quorum for controller tests (fake_quorum.h).
 */
#include "fake_quorum.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "controller.h"
#include "err.h"
#include "record_batch.h"
#include "xalloc.h"

struct fq_batch {
    int64_t base;
    uint8_t *data;
    size_t len;
};

struct fake_quorum {
    struct quorum q;
    struct quorum_listener l;
    int32_t node_id;
    bool leader;
    int32_t leader_id;
    int32_t epoch;
    int64_t leo, hw;
    struct fq_batch *pend;
    int npend, cap;
    int appends;
    int fail_err;
};

static int fq_append(struct quorum *q, const struct kbytes *records, int n, int64_t *last)
{
    struct fake_quorum *fq = (struct fake_quorum *)q;
    if (fq->fail_err) {
        int e = fq->fail_err;
        fq->fail_err = 0;
        return e;
    }
    if (!fq->leader)
        return SL_ESTATE;
    if (n < 1)
        return SL_EINVAL;
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, fq->leo, 1000);
    rb_builder_set_partition_leader_epoch(&b, fq->epoch);
    for (int i = 0; i < n; i++)
        rb_builder_add(&b, 1000, NULL, -1, records[i].p, records[i].len, NULL, 0);
    struct wbuf w;
    wbuf_init(&w, 0);
    int rc = rb_builder_finish(&b, &w);
    rb_builder_free(&b);
    if (rc) {
        wbuf_free(&w);
        return rc;
    }
    if (fq->npend == fq->cap) {
        fq->cap = fq->cap ? fq->cap * 2 : 8;
        fq->pend = xrealloc(fq->pend, (size_t)fq->cap * sizeof(*fq->pend));
    }
    struct fq_batch *p = &fq->pend[fq->npend++];
    p->base = fq->leo;
    p->data = wbuf_detach(&w, &p->len);
    fq->leo += n;
    *last = fq->leo - 1;
    fq->appends++;
    return 0;
}

static bool fq_is_leader(const struct quorum *q)
{
    return ((const struct fake_quorum *)q)->leader;
}

static int32_t fq_leader_id(const struct quorum *q)
{
    return ((const struct fake_quorum *)q)->leader_id;
}

static int32_t fq_epoch(const struct quorum *q)
{
    return ((const struct fake_quorum *)q)->epoch;
}

static int64_t fq_hw(const struct quorum *q)
{
    return ((const struct fake_quorum *)q)->hw;
}

static int64_t fq_leo(const struct quorum *q)
{
    return ((const struct fake_quorum *)q)->leo;
}

static void fq_close(struct quorum *q)
{
    struct fake_quorum *fq = (struct fake_quorum *)q;
    for (int i = 0; i < fq->npend; i++)
        free(fq->pend[i].data);
    free(fq->pend);
    free(fq);
}

static const struct quorum_ops fq_ops = {
    .append = fq_append,
    .is_leader = fq_is_leader,
    .leader_id = fq_leader_id,
    .epoch = fq_epoch,
    .high_watermark = fq_hw,
    .log_end_offset = fq_leo,
    .close = fq_close,
};

struct fake_quorum *fake_quorum_new(int32_t node_id, const struct quorum_listener *l)
{
    struct fake_quorum *fq = xcalloc(1, sizeof(*fq));
    fq->q.ops = &fq_ops;
    fq->l = *l;
    fq->node_id = node_id;
    fq->leader_id = -1;
    return fq;
}

struct quorum *fake_quorum_base(struct fake_quorum *fq)
{
    return &fq->q;
}

void fake_quorum_elect(struct fake_quorum *fq)
{
    fq->epoch++;
    fq->leader = true;
    fq->leader_id = fq->node_id;
    fq->l.on_leader_change(fq->l.ctx, fq->node_id, fq->epoch);
}

void fake_quorum_resign(struct fake_quorum *fq, int32_t leader)
{
    fq->epoch++;
    fq->leader = false;
    fq->leader_id = leader;
    fq->l.on_leader_change(fq->l.ctx, leader, fq->epoch);
}

int fake_quorum_commit_all(struct fake_quorum *fq)
{
    int n = 0;
    while (fq->npend > 0) {
        struct fq_batch p = fq->pend[0];
        memmove(fq->pend, fq->pend + 1, (size_t)(fq->npend - 1) * sizeof(*fq->pend));
        fq->npend--;
        struct rb_header h;
        rb_header_parse(p.data, p.len, &h);
        fq->hw = rb_header_last_offset(&h) + 1;
        fq->l.on_commit(fq->l.ctx, p.base, p.data, p.len);
        free(p.data);
        n++;
    }
    return n;
}

int fake_quorum_pending(const struct fake_quorum *fq)
{
    return fq->npend;
}

int fake_quorum_appends(const struct fake_quorum *fq)
{
    return fq->appends;
}

void fake_quorum_fail_next(struct fake_quorum *fq, int err)
{
    fq->fail_err = err;
}

void fake_controller_start(const struct controller_config *cfg, struct metadata_image **img,
                           struct controller **c, struct fake_quorum **fq)
{
    *img = metadata_image_new();
    *c = controller_new(cfg, *img);
    struct quorum_listener l;
    controller_quorum_listener(*c, &l);
    *fq = fake_quorum_new(1, &l);
    controller_set_quorum(*c, fake_quorum_base(*fq));
    fake_quorum_elect(*fq);
    fake_quorum_commit_all(*fq);
}

void fake_controller_stop(struct metadata_image *img, struct controller *c, struct fake_quorum *fq)
{
    controller_free(c);
    quorum_close(fake_quorum_base(fq));
    metadata_image_free(img);
}
