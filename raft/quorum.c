/*
 * The quorum interface (quorum.h): dispatch to the implementation's ops.
 */
#include "quorum.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

int quorum_append(struct quorum *q, const struct kbytes *records, int n, int64_t *last_offset)
{
    return q->ops->append(q, records, n, last_offset);
}

bool quorum_is_leader(const struct quorum *q)
{
    return q->ops->is_leader(q);
}

int32_t quorum_leader_id(const struct quorum *q)
{
    return q->ops->leader_id(q);
}

int32_t quorum_epoch(const struct quorum *q)
{
    return q->ops->epoch(q);
}

int64_t quorum_high_watermark(const struct quorum *q)
{
    return q->ops->high_watermark(q);
}

int64_t quorum_log_end_offset(const struct quorum *q)
{
    return q->ops->log_end_offset(q);
}

void quorum_close(struct quorum *q)
{
    if (q)
        q->ops->close(q);
}

int quorum_handle_rpc(struct quorum *q, int16_t api_key, int16_t version, const void *req,
                      quorum_reply_fn reply, void *ctx)
{
    if (!q->ops->handle_rpc)
        return SL_ENOTFOUND;
    return q->ops->handle_rpc(q, api_key, version, req, reply, ctx);
}

int quorum_describe(const struct quorum *q, struct quorum_description *out)
{
    memset(out, 0, sizeof(*out));
    if (!q->ops->describe)
        return SL_EUNSUPPORTED;
    return q->ops->describe(q, out);
}

void quorum_description_free(struct quorum_description *d)
{
    free(d->voters);
    free(d->observers);
    d->voters = d->observers = NULL;
    d->nvoters = d->nobservers = 0;
}
