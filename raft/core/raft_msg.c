/*
 * Raft core messages: deep copies (the node's outputs and the simulator's
 * network own their entries and snapshot chunks) and names for logs.
 */
#include <stdlib.h>
#include <string.h>

#include "raft.h"
#include "xalloc.h"

struct raft_msg *raft_msg_clone(const struct raft_msg *m)
{
    struct raft_msg *c = xmalloc(sizeof(*c));
    *c = *m;
    c->mem = NULL;
    if (m->type == RAFT_MSG_FETCH_RESPONSE && m->u.fetch_resp.nentries > 0) {
        const struct raft_fetch_resp *r = &m->u.fetch_resp;
        size_t total = r->nentries * sizeof(struct raft_entry);
        for (size_t i = 0; i < r->nentries; i++)
            total += r->entries[i].len;
        uint8_t *mem = xmalloc(total);
        struct raft_entry *es = (struct raft_entry *)mem;
        uint8_t *p = mem + r->nentries * sizeof(struct raft_entry);
        for (size_t i = 0; i < r->nentries; i++) {
            es[i] = r->entries[i];
            if (r->entries[i].len)
                memcpy(p, r->entries[i].data, r->entries[i].len);
            es[i].data = p;
            p += r->entries[i].len;
        }
        c->u.fetch_resp.entries = es;
        c->mem = mem;
    } else if (m->type == RAFT_MSG_FETCH_RESPONSE) {
        c->u.fetch_resp.entries = NULL;
    } else if (m->type == RAFT_MSG_FETCH_SNAPSHOT_RESPONSE) {
        const struct raft_fetch_snapshot_resp *r = &m->u.snap_resp;
        if (r->len > 0) {
            uint8_t *mem = xmalloc(r->len);
            memcpy(mem, r->data, r->len);
            c->u.snap_resp.data = mem;
            c->mem = mem;
        } else {
            c->u.snap_resp.data = NULL;
        }
    }
    return c;
}

void raft_msg_free(struct raft_msg *m)
{
    if (!m)
        return;
    free(m->mem);
    free(m);
}

/* The name at index i of a table of n names, "?" outside it or where it has none. */
static const char *name_at(const char *const *names, size_t n, int i)
{
    return i >= 0 && (size_t)i < n && names[i] ? names[i] : "?";
}

const char *raft_role_name(enum raft_role r)
{
    static const char *const names[] = {
        [RAFT_UNATTACHED] = "unattached", [RAFT_PROSPECTIVE] = "prospective",
        [RAFT_CANDIDATE] = "candidate",   [RAFT_LEADER] = "leader",
        [RAFT_FOLLOWER] = "follower",     [RAFT_RESIGNED] = "resigned",
    };
    return name_at(names, sizeof names / sizeof names[0], (int)r);
}

const char *raft_msg_type_name(enum raft_msg_type t)
{
    static const char *const names[] = {
        [RAFT_MSG_VOTE] = "Vote",
        [RAFT_MSG_VOTE_RESPONSE] = "VoteResponse",
        [RAFT_MSG_BEGIN_EPOCH] = "BeginQuorumEpoch",
        [RAFT_MSG_BEGIN_EPOCH_RESPONSE] = "BeginQuorumEpochResponse",
        [RAFT_MSG_END_EPOCH] = "EndQuorumEpoch",
        [RAFT_MSG_END_EPOCH_RESPONSE] = "EndQuorumEpochResponse",
        [RAFT_MSG_FETCH] = "Fetch",
        [RAFT_MSG_FETCH_RESPONSE] = "FetchResponse",
        [RAFT_MSG_FETCH_SNAPSHOT] = "FetchSnapshot",
        [RAFT_MSG_FETCH_SNAPSHOT_RESPONSE] = "FetchSnapshotResponse",
    };
    return name_at(names, sizeof names / sizeof names[0], (int)t);
}
