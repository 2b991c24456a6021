/*
 * The classic group state machine (group_state.h), after Kafka 4.0's
 * GroupMetadataManager/ClassicGroup handling of JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup and OffsetCommit validation, with timers turned into
 * deadlines polled by group_tick().
 *
 * One deliberate difference: Kafka sometimes drops a parked request on the
 * floor (a member sending a second JoinGroup or SyncGroup while the first is
 * parked, a member removed while its SyncGroup is parked) and lets the
 * client time out.  Sluice answers connections strictly in request order, so
 * a request that is never answered would stall its connection; such
 * requests are answered (REBALANCE_IN_PROGRESS / UNKNOWN_MEMBER_ID) instead.
 */
#include "group_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group_records.h"
#include "kafka.h"
#include "log.h"
#include "uuid.h"
#include "xalloc.h"

#define CONSUMER_PROTOCOL_TYPE "consumer"

enum store_kind { STORE_EMPTY, STORE_SYNC, STORE_STATIC };

struct group_store {
    enum store_kind kind;
    int32_t generation;
    /* STORE_STATIC: what to answer and how to revert (KIP-345 static member rejoin). */
    char *old_member_id, *new_member_id, *leader_before;
    struct group_protocol *old_protocols;
    int old_nprotocols;
    int32_t old_session_timeout, old_rebalance_timeout;
    bool supports_skip_assignment;
};

static void complete_join(struct group *g, int64_t now);
static void prepare_rebalance(struct group *g, int64_t now);

const char *group_state_name(enum group_state s)
{
    switch (s) {
    case GROUP_EMPTY:
        return "Empty";
    case GROUP_PREPARING_REBALANCE:
        return "PreparingRebalance";
    case GROUP_COMPLETING_REBALANCE:
        return "CompletingRebalance";
    case GROUP_STABLE:
        return "Stable";
    case GROUP_DEAD:
        return "Dead";
    }
    return "Unknown";
}

/* ---- small helpers ---- */

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static uint8_t *dup_bytes(const uint8_t *p, int32_t len)
{
    if (!p || len <= 0)
        return NULL;
    uint8_t *d = xmalloc((size_t)len);
    memcpy(d, p, (size_t)len);
    return d;
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static void protocols_free(struct group_protocol *ps, int n)
{
    for (int i = 0; i < n; i++) {
        free(ps[i].name);
        free(ps[i].metadata);
    }
    free(ps);
}

static struct group_protocol *protocols_copy(const struct group_protocol_in *in, int n)
{
    struct group_protocol *ps = xcalloc(n > 0 ? (size_t)n : 1, sizeof *ps);
    for (int i = 0; i < n; i++) {
        ps[i].name = xstrdup(in[i].name ? in[i].name : "");
        ps[i].metadata = dup_bytes(in[i].metadata, in[i].len);
        ps[i].len = ps[i].metadata ? in[i].len : 0;
    }
    return ps;
}

static void member_free(struct group_member *m)
{
    free(m->member_id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m->protocol_type);
    protocols_free(m->protocols, m->nprotocols);
    free(m->assignment);
    free(m);
}

static void set_assignment(struct group_member *m, const uint8_t *p, int32_t len)
{
    free(m->assignment);
    m->assignment = dup_bytes(p, len);
    m->assignment_len = m->assignment ? len : 0;
}

/* Kafka's member id: "<client id or instance id>-<random UUID>" (UUID in its usual text form). */
static char *new_member_id(const char *prefix)
{
    struct uuid u = uuid_random();
    const uint8_t *b = u.b;
    return xasprintf("%s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                     prefix ? prefix : "", b[0], b[1], b[2], b[3], b[4], b[5], (b[6] & 0x0f) | 0x40,
                     b[7], (b[8] & 0x3f) | 0x80, b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void transition(struct group *g, enum group_state s, int64_t now)
{
    g->prev_state = g->state;
    g->state = s;
    g->state_ts = now;
}

static int32_t member_rebalance_timeout(const struct group_member *m)
{
    return m->rebalance_timeout_ms >= 0 ? m->rebalance_timeout_ms : m->session_timeout_ms;
}

/* The group's rebalance timeout: the largest of its members'. */
static int32_t rebalance_timeout(const struct group *g)
{
    int32_t t = 0;
    for (int i = 0; i < g->nmembers; i++)
        if (member_rebalance_timeout(g->members[i]) > t)
            t = member_rebalance_timeout(g->members[i]);
    return t;
}

static void reschedule(struct group_member *m, int64_t now)
{
    m->deadline_ms = now + m->session_timeout_ms;
}

struct group_member *group_member_find(const struct group *g, const char *member_id)
{
    if (!member_id)
        return NULL;
    for (int i = 0; i < g->nmembers; i++)
        if (strcmp(g->members[i]->member_id, member_id) == 0)
            return g->members[i];
    return NULL;
}

static struct group_member *static_member(const struct group *g, const char *instance_id)
{
    if (!instance_id)
        return NULL;
    for (int i = 0; i < g->nmembers; i++)
        if (str_eq(g->members[i]->instance_id, instance_id))
            return g->members[i];
    return NULL;
}

static int pending_index(const struct group *g, const char *member_id)
{
    for (int i = 0; i < g->npending; i++)
        if (strcmp(g->pending[i].member_id, member_id) == 0)
            return i;
    return -1;
}

static void pending_remove_at(struct group *g, int i)
{
    free(g->pending[i].member_id);
    memmove(&g->pending[i], &g->pending[i + 1], sizeof *g->pending * (size_t)(g->npending - i - 1));
    g->npending--;
}

static void pending_add(struct group *g, const char *member_id, int64_t deadline)
{
    if (g->npending == g->cap_pending) {
        g->cap_pending = g->cap_pending ? g->cap_pending * 2 : 4;
        g->pending = xrealloc(g->pending, sizeof *g->pending * (size_t)g->cap_pending);
    }
    g->pending[g->npending].member_id = xstrdup(member_id);
    g->pending[g->npending].deadline_ms = deadline;
    g->npending++;
}

const uint8_t *group_member_metadata(const struct group *g, const struct group_member *m,
                                     int32_t *len)
{
    *len = 0;
    if (!g->protocol_name)
        return NULL;
    for (int i = 0; i < m->nprotocols; i++) {
        if (strcmp(m->protocols[i].name, g->protocol_name) == 0) {
            *len = m->protocols[i].len;
            return m->protocols[i].metadata;
        }
    }
    return NULL;
}

static bool member_supports(const struct group_member *m, const char *protocol)
{
    for (int i = 0; i < m->nprotocols; i++)
        if (strcmp(m->protocols[i].name, protocol) == 0)
            return true;
    return false;
}

static int count_supporting(const struct group *g, const char *protocol)
{
    int n = 0;
    for (int i = 0; i < g->nmembers; i++)
        if (member_supports(g->members[i], protocol))
            n++;
    return n;
}

/* ClassicGroup.supportsProtocols. */
static bool supports_protocols(const struct group *g, const struct group_join_args *a)
{
    if (g->state == GROUP_EMPTY)
        return a->protocol_type && a->protocol_type[0] && a->nprotocols > 0;
    if (!str_eq(g->protocol_type, a->protocol_type))
        return false;
    for (int i = 0; i < a->nprotocols; i++)
        if (a->protocols[i].name && count_supporting(g, a->protocols[i].name) == g->nmembers)
            return true;
    return false;
}

/* ClassicGroupMember.matches: the same protocols with the same metadata, in the same order. */
static bool member_matches(const struct group_member *m, const struct group_join_args *a)
{
    if (m->nprotocols != a->nprotocols)
        return false;
    for (int i = 0; i < a->nprotocols; i++) {
        const struct group_protocol *p = &m->protocols[i];
        const struct group_protocol_in *q = &a->protocols[i];
        int32_t qlen = q->metadata && q->len > 0 ? q->len : 0;
        if (!str_eq(p->name, q->name) || p->len != qlen ||
            (qlen > 0 && memcmp(p->metadata, q->metadata, (size_t)qlen) != 0))
            return false;
    }
    return true;
}

/*
 * ClassicGroup.selectProtocol: among the protocols every member supports,
 * the one most members list first (ties: the first member's preference).
 */
static const char *select_protocol(const struct group *g)
{
    if (g->nmembers == 0)
        return NULL;
    const struct group_member *first = g->members[0];
    int best = -1, best_votes = -1;
    for (int i = 0; i < first->nprotocols; i++) {
        const char *p = first->protocols[i].name;
        if (count_supporting(g, p) != g->nmembers)
            continue;
        int votes = 0;
        for (int k = 0; k < g->nmembers; k++) {
            const struct group_member *m = g->members[k];
            for (int j = 0; j < m->nprotocols; j++) {
                if (count_supporting(g, m->protocols[j].name) == g->nmembers) {
                    if (strcmp(m->protocols[j].name, p) == 0)
                        votes++;
                    break;
                }
            }
        }
        if (votes > best_votes) {
            best = i;
            best_votes = votes;
        }
    }
    return best >= 0 ? first->protocols[best].name : NULL;
}

static bool all_joined(const struct group *g)
{
    if (g->npending > 0)
        return false;
    for (int i = 0; i < g->nmembers; i++)
        if (!g->members[i]->join_waiter)
            return false;
    return true;
}

static bool can_rebalance(const struct group *g)
{
    return g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE ||
           g->state == GROUP_EMPTY;
}

/* ---- answering parked requests ---- */

static void join_answer(struct group *g, void *waiter, const struct group_join_result *r)
{
    g->ops->join_done(g->ops->ctx, waiter, r);
}

static void join_error(struct group *g, void *waiter, int16_t err, const char *member_id)
{
    struct group_join_result r = {
        .error = err, .generation = -1, .leader = "", .member_id = member_id ? member_id : ""};
    join_answer(g, waiter, &r);
}

/* Answers m's parked JoinGroup (if any) with r. */
static void member_join_done(struct group *g, struct group_member *m,
                             const struct group_join_result *r)
{
    void *w = m->join_waiter;
    if (!w)
        return;
    m->join_waiter = NULL;
    join_answer(g, w, r);
}

static void member_join_error(struct group *g, struct group_member *m, int16_t err,
                              const char *member_id)
{
    void *w = m->join_waiter;
    if (!w)
        return;
    m->join_waiter = NULL;
    join_error(g, w, err, member_id);
}

static void sync_answer(struct group *g, void *waiter, const struct group_sync_result *r)
{
    g->ops->sync_done(g->ops->ctx, waiter, r);
}

static void sync_error(struct group *g, void *waiter, int16_t err)
{
    struct group_sync_result r = {.error = err};
    sync_answer(g, waiter, &r);
}

/* Answers m's parked SyncGroup (if any); returns whether there was one. */
static bool member_sync_done(struct group *g, struct group_member *m, int16_t err)
{
    void *w = m->sync_waiter;
    if (!w)
        return false;
    m->sync_waiter = NULL;
    struct group_sync_result r = {.error = err};
    if (err == KERR_NONE) {
        r.protocol_type = g->protocol_type;
        r.protocol_name = g->protocol_name;
        r.assignment = m->assignment;
        r.len = m->assignment_len;
    }
    sync_answer(g, w, &r);
    return true;
}

/* The leader's copy of the membership, for JoinGroup answers (free with free()). */
static struct group_join_member *current_members(const struct group *g)
{
    struct group_join_member *v = xcalloc(g->nmembers ? (size_t)g->nmembers : 1, sizeof *v);
    for (int i = 0; i < g->nmembers; i++) {
        const struct group_member *m = g->members[i];
        v[i].member_id = m->member_id;
        v[i].instance_id = m->instance_id;
        v[i].metadata = group_member_metadata(g, m, &v[i].len);
    }
    return v;
}

/* The "current generation" answer to a member (members only for the leader when asked). */
static void answer_current(struct group *g, struct group_member *m, bool with_members, void *waiter)
{
    struct group_join_member *list = with_members ? current_members(g) : NULL;
    struct group_join_result r = {
        .error = KERR_NONE,
        .generation = g->generation,
        .protocol_type = g->protocol_type,
        .protocol_name = g->protocol_name,
        .leader = g->leader ? g->leader->member_id : "",
        .member_id = m->member_id,
        .members = list,
        .nmembers = list ? g->nmembers : 0,
    };
    join_answer(g, waiter, &r);
    free(list);
}

/* ---- membership ---- */

static void group_add(struct group *g, struct group_member *m)
{
    if (g->nmembers == 0) {
        free(g->protocol_type);
        g->protocol_type = dup_or_null(m->protocol_type);
    }
    if (g->nmembers == g->cap_members) {
        g->cap_members = g->cap_members ? g->cap_members * 2 : 4;
        g->members = xrealloc(g->members, sizeof *g->members * (size_t)g->cap_members);
    }
    g->members[g->nmembers++] = m;
    if (!g->leader)
        g->leader = m;
    int pi = pending_index(g, m->member_id);
    if (pi >= 0)
        pending_remove_at(g, pi);
}

/*
 * Removes and frees m.  A parked JoinGroup gets UNKNOWN_MEMBER_ID (so a live
 * client rejoins), a parked SyncGroup UNKNOWN_MEMBER_ID (see the file
 * comment).
 */
static void group_remove(struct group *g, struct group_member *m)
{
    member_join_error(g, m, KERR_UNKNOWN_MEMBER_ID, "");
    member_sync_done(g, m, KERR_UNKNOWN_MEMBER_ID);
    int idx = -1;
    for (int i = 0; i < g->nmembers; i++)
        if (g->members[i] == m)
            idx = i;
    if (idx < 0)
        return;
    memmove(&g->members[idx], &g->members[idx + 1],
            sizeof *g->members * (size_t)(g->nmembers - idx - 1));
    g->nmembers--;
    if (g->leader == m)
        g->leader = g->nmembers > 0 ? g->members[0] : NULL;
    member_free(m);
}

static void clear_members(struct group *g)
{
    while (g->nmembers > 0)
        group_remove(g, g->members[g->nmembers - 1]);
    while (g->npending > 0)
        pending_remove_at(g, g->npending - 1);
}

/* Replaces m's protocols and timeouts; a new waiter replaces (and answers) any older one. */
static void update_member(struct group *g, struct group_member *m, const struct group_join_args *a,
                          void *waiter)
{
    protocols_free(m->protocols, m->nprotocols);
    m->protocols = protocols_copy(a->protocols, a->nprotocols);
    m->nprotocols = a->nprotocols;
    m->session_timeout_ms = a->session_timeout_ms;
    m->rebalance_timeout_ms = a->rebalance_timeout_ms;
    if (m->join_waiter && m->join_waiter != waiter)
        member_join_error(g, m, KERR_REBALANCE_IN_PROGRESS, m->member_id);
    m->join_waiter = waiter;
}

/* ClassicGroup.validateMember. */
static int16_t validate_member(const struct group *g, const char *member_id,
                               const char *instance_id)
{
    if (instance_id) {
        const struct group_member *s = static_member(g, instance_id);
        if (!s)
            return KERR_UNKNOWN_MEMBER_ID;
        if (!str_eq(s->member_id, member_id)) {
            LOG_INFO("group", "%s: static member %s with instance id %s is fenced by %s", g->id,
                     member_id ? member_id : "", instance_id, s->member_id);
            return KERR_FENCED_INSTANCE_ID;
        }
        return KERR_NONE;
    }
    return group_member_find(g, member_id) ? KERR_NONE : KERR_UNKNOWN_MEMBER_ID;
}

/* ---- subscribed topics (consumer protocol) ---- */

static void clear_subscribed(struct group *g)
{
    for (int i = 0; i < g->nsubscribed; i++)
        free(g->subscribed[i]);
    free(g->subscribed);
    g->subscribed = NULL;
    g->nsubscribed = 0;
    g->subscribed_known = false;
}

static void add_subscribed(struct group *g, const char *t)
{
    for (int i = 0; i < g->nsubscribed; i++)
        if (strcmp(g->subscribed[i], t) == 0)
            return;
    g->subscribed = xrealloc(g->subscribed, sizeof *g->subscribed * (size_t)(g->nsubscribed + 1));
    g->subscribed[g->nsubscribed++] = xstrdup(t);
}

/* ClassicGroup.computeSubscribedTopics. */
static void compute_subscribed(struct group *g)
{
    clear_subscribed(g);
    if (!str_eq(g->protocol_type, CONSUMER_PROTOCOL_TYPE))
        return;
    if (g->nmembers == 0) {
        g->subscribed_known = true;
        return;
    }
    if (!g->protocol_name)
        return;
    struct arena a = ARENA_INIT;
    bool ok = true;
    for (int i = 0; i < g->nmembers && ok; i++) {
        int32_t len;
        const uint8_t *md = group_member_metadata(g, g->members[i], &len);
        struct consumer_protocol_subscription sub;
        if (group_records_subscription_decode(md, len, &a, &sub) < 0) {
            ok = false;
            break;
        }
        for (int32_t t = 0; t < sub.topics.n; t++)
            if (sub.topics.v[t].s)
                add_subscribed(g, sub.topics.v[t].s);
    }
    arena_free(&a);
    if (!ok) {
        LOG_WARN("group", "%s: cannot parse a member's consumer subscription", g->id);
        clear_subscribed(g);
        return;
    }
    g->subscribed_known = true;
}

bool group_is_subscribed(const struct group *g, const char *topic)
{
    if (!g->subscribed_known)
        return false;
    for (int i = 0; i < g->nsubscribed; i++)
        if (strcmp(g->subscribed[i], topic) == 0)
            return true;
    return false;
}

/* ---- life cycle ---- */

struct group *group_new(const char *id, const struct group_config *cfg, const struct group_ops *ops,
                        int64_t now)
{
    struct group *g = xcalloc(1, sizeof *g);
    g->id = xstrdup(id);
    g->state = g->prev_state = GROUP_EMPTY;
    g->state_ts = now;
    g->join_deadline = g->sync_deadline = GROUP_NO_DEADLINE;
    g->cfg = cfg;
    g->ops = ops;
    return g;
}

static void offsets_clear(struct group *g)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&g->offsets, &it, &k, &v))
        group_offset_free(v);
    strmap_free(&g->offsets);
}

void group_free(struct group *g)
{
    if (!g)
        return;
    if (g->state != GROUP_DEAD)
        group_unload(g, KERR_COORDINATOR_NOT_AVAILABLE);
    clear_members(g);
    free(g->members);
    free(g->pending);
    clear_subscribed(g);
    offsets_clear(g);
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->id);
    free(g);
}

void group_unload(struct group *g, int16_t error)
{
    transition(g, GROUP_DEAD, g->state_ts);
    for (int i = 0; i < g->nmembers; i++) {
        struct group_member *m = g->members[i];
        member_join_error(g, m, error, m->member_id);
        member_sync_done(g, m, error);
        m->deadline_ms = GROUP_NO_DEADLINE;
    }
    g->join_deadline = g->sync_deadline = GROUP_NO_DEADLINE;
}

/* ---- rebalancing ---- */

static void store(struct group *g, struct group_store *st)
{
    st->generation = g->generation;
    g->ops->store(g->ops->ctx, g, st);
}

static void store_simple(struct group *g, enum store_kind kind)
{
    struct group_store *st = xcalloc(1, sizeof *st);
    st->kind = kind;
    store(g, st);
}

/* Answers every parked SyncGroup: the member's assignment (NONE) or the error. */
static void propagate_assignment(struct group *g, int16_t err, int64_t now)
{
    for (int i = 0; i < g->nmembers; i++) {
        struct group_member *m = g->members[i];
        /* The session restarts once the member has its answer: a session that ran
         * out while it waited for the leader was not its fault. */
        if (member_sync_done(g, m, err))
            reschedule(m, now);
    }
}

static void reset_and_propagate_error(struct group *g, int16_t err, int64_t now)
{
    for (int i = 0; i < g->nmembers; i++)
        set_assignment(g->members[i], NULL, 0);
    propagate_assignment(g, err, now);
}

static void maybe_prepare_rebalance(struct group *g, int64_t now)
{
    if (can_rebalance(g))
        prepare_rebalance(g, now);
}

/* GroupMetadataManager.prepareRebalance (KIP-134 delays the first join of an Empty group). */
static void prepare_rebalance(struct group *g, int64_t now)
{
    if (g->state == GROUP_COMPLETING_REBALANCE)
        reset_and_propagate_error(g, KERR_REBALANCE_IN_PROGRESS, now);
    g->sync_deadline = GROUP_NO_DEADLINE;
    bool initial = g->state == GROUP_EMPTY;
    transition(g, GROUP_PREPARING_REBALANCE, now);
    LOG_INFO("group", "%s: preparing to rebalance (generation %d, %d member(s))", g->id,
             g->generation, g->nmembers);
    if (initial) {
        int32_t delay = g->cfg->initial_rebalance_delay_ms;
        int32_t remaining = rebalance_timeout(g) - delay;
        g->initial_join = true;
        g->new_member_added = false;
        g->initial_delay_ms = delay;
        g->initial_remaining_ms = remaining > 0 ? remaining : 0;
        g->join_deadline = now + delay;
        return;
    }
    g->initial_join = false;
    if (all_joined(g))
        complete_join(g, now);
    else
        g->join_deadline = now + rebalance_timeout(g);
}

/* maybeCompleteJoinPhase: never ends the delayed initial join early. */
static void maybe_complete_join_phase(struct group *g, int64_t now)
{
    if (g->state == GROUP_PREPARING_REBALANCE && all_joined(g) && !g->initial_join)
        complete_join(g, now);
}

/* ClassicGroup.maybeElectNewJoinedLeader. */
static bool elect_joined_leader(struct group *g)
{
    if (!g->leader)
        return false;
    if (g->leader->join_waiter)
        return true;
    for (int i = 0; i < g->nmembers; i++) {
        if (g->members[i]->join_waiter) {
            LOG_INFO("group", "%s: new leader %s (the old leader did not rejoin)", g->id,
                     g->members[i]->member_id);
            g->leader = g->members[i];
            return true;
        }
    }
    return false;
}

static void init_next_generation(struct group *g, int64_t now)
{
    g->generation++;
    free(g->protocol_name);
    if (g->nmembers > 0) {
        g->protocol_name = dup_or_null(select_protocol(g));
        compute_subscribed(g);
        transition(g, GROUP_COMPLETING_REBALANCE, now);
    } else {
        g->protocol_name = NULL;
        compute_subscribed(g);
        transition(g, GROUP_EMPTY, now);
    }
    for (int i = 0; i < g->nmembers; i++)
        g->members[i]->pending_sync = false;
}

/* completeClassicGroupJoin. */
static void complete_join(struct group *g, int64_t now)
{
    g->join_deadline = GROUP_NO_DEADLINE;
    g->initial_join = false;
    /* Dynamic members that did not rejoin in time are dropped; static ones stay (KIP-345). */
    for (int i = 0; i < g->nmembers;) {
        struct group_member *m = g->members[i];
        if (!m->join_waiter && !m->instance_id) {
            LOG_INFO("group", "%s: member %s did not rejoin in time; removing it", g->id,
                     m->member_id);
            group_remove(g, m);
            continue;
        }
        i++;
    }
    if (g->state == GROUP_DEAD)
        return;
    if (!elect_joined_leader(g) && g->nmembers > 0) {
        LOG_WARN("group", "%s: cannot complete the rebalance: no member rejoined", g->id);
        g->join_deadline = now + rebalance_timeout(g);
        return;
    }
    init_next_generation(g, now);
    if (g->state == GROUP_EMPTY) {
        LOG_INFO("group", "%s: generation %d is empty", g->id, g->generation);
        store_simple(g, STORE_EMPTY);
        return;
    }
    LOG_INFO("group", "%s: generation %d with %d member(s), protocol %s, leader %s", g->id,
             g->generation, g->nmembers, g->protocol_name ? g->protocol_name : "-",
             g->leader->member_id);
    struct group_join_member *list = current_members(g);
    for (int i = 0; i < g->nmembers; i++) {
        struct group_member *m = g->members[i];
        bool is_leader = m == g->leader;
        struct group_join_result r = {
            .error = KERR_NONE,
            .generation = g->generation,
            .protocol_type = g->protocol_type,
            .protocol_name = g->protocol_name,
            .leader = g->leader->member_id,
            .member_id = m->member_id,
            .members = is_leader ? list : NULL,
            .nmembers = is_leader ? g->nmembers : 0,
        };
        member_join_done(g, m, &r);
        reschedule(m, now);
        m->is_new = false;
        m->pending_sync = true;
    }
    free(list);
    g->sync_deadline = now + rebalance_timeout(g);
    g->sync_generation = g->generation;
}

/* removeMemberAndUpdateClassicGroup (session expiry). */
static void expire_member(struct group *g, struct group_member *m, int64_t now)
{
    LOG_INFO("group", "%s: member %s has failed (session timeout); removing it", g->id,
             m->member_id);
    group_remove(g, m);
    if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE)
        maybe_prepare_rebalance(g, now);
    else if (g->state == GROUP_PREPARING_REBALANCE && all_joined(g))
        complete_join(g, now);
}

static void join_timer(struct group *g, int64_t now)
{
    if (g->initial_join && g->new_member_added && g->initial_remaining_ms != 0) {
        /* A member joined during the delay: wait a little longer (KIP-134). */
        int32_t delay = g->cfg->initial_rebalance_delay_ms;
        if (delay > g->initial_remaining_ms)
            delay = g->initial_remaining_ms;
        int32_t remaining = g->initial_remaining_ms - g->initial_delay_ms;
        g->new_member_added = false;
        g->initial_delay_ms = delay;
        g->initial_remaining_ms = remaining > 0 ? remaining : 0;
        g->join_deadline = now + delay;
        return;
    }
    complete_join(g, now);
}

static void sync_timer(struct group *g, int64_t now)
{
    g->sync_deadline = GROUP_NO_DEADLINE;
    if (g->sync_generation != g->generation)
        return;
    bool removed = false;
    for (int i = 0; i < g->nmembers;) {
        struct group_member *m = g->members[i];
        if (m->pending_sync) {
            LOG_INFO("group", "%s: member %s sent no SyncGroup in time; removing it", g->id,
                     m->member_id);
            group_remove(g, m);
            removed = true;
            continue;
        }
        i++;
    }
    if (removed)
        prepare_rebalance(g, now);
}

/* Runs one due timer; returns false when nothing was due. */
static bool tick_once(struct group *g, int64_t now)
{
    if (g->state == GROUP_DEAD)
        return false;
    for (int i = 0; i < g->npending; i++) {
        if (g->pending[i].deadline_ms <= now) {
            LOG_INFO("group", "%s: pending member %s did not join in time", g->id,
                     g->pending[i].member_id);
            pending_remove_at(g, i);
            if (g->state == GROUP_PREPARING_REBALANCE && all_joined(g))
                complete_join(g, now);
            return true;
        }
    }
    for (int i = 0; i < g->nmembers; i++) {
        struct group_member *m = g->members[i];
        if (m->deadline_ms > now)
            continue;
        /* Members waiting for a rebalance satisfy their heartbeats, except new ones. */
        if (!m->is_new && (m->join_waiter || m->sync_waiter)) {
            m->deadline_ms = GROUP_NO_DEADLINE;
            continue;
        }
        expire_member(g, m, now);
        return true;
    }
    if (g->state == GROUP_PREPARING_REBALANCE && g->join_deadline <= now) {
        join_timer(g, now);
        return true;
    }
    if ((g->state == GROUP_COMPLETING_REBALANCE || g->state == GROUP_STABLE) &&
        g->sync_deadline <= now) {
        sync_timer(g, now);
        return true;
    }
    return false;
}

void group_tick(struct group *g, int64_t now)
{
    /* Bounded: every step removes a member, a pending id or a timer. */
    for (int guard = 0; guard < 100000 && tick_once(g, now); guard++)
        ;
}

int64_t group_next_deadline(const struct group *g)
{
    if (g->state == GROUP_DEAD)
        return GROUP_NO_DEADLINE;
    int64_t d = GROUP_NO_DEADLINE;
    for (int i = 0; i < g->npending; i++)
        if (g->pending[i].deadline_ms < d)
            d = g->pending[i].deadline_ms;
    for (int i = 0; i < g->nmembers; i++)
        if (g->members[i]->deadline_ms < d)
            d = g->members[i]->deadline_ms;
    if (g->state == GROUP_PREPARING_REBALANCE && g->join_deadline < d)
        d = g->join_deadline;
    if ((g->state == GROUP_COMPLETING_REBALANCE || g->state == GROUP_STABLE) &&
        g->sync_deadline < d)
        d = g->sync_deadline;
    return d;
}

/* ---- JoinGroup ---- */

static struct group_member *member_new(const struct group_join_args *a, const char *member_id)
{
    struct group_member *m = xcalloc(1, sizeof *m);
    m->member_id = xstrdup(member_id);
    m->instance_id = dup_or_null(a->instance_id);
    m->client_id = xstrdup(a->client_id ? a->client_id : "");
    m->client_host = xstrdup(a->client_host ? a->client_host : "");
    m->protocol_type = xstrdup(a->protocol_type ? a->protocol_type : "");
    m->session_timeout_ms = a->session_timeout_ms;
    m->rebalance_timeout_ms = a->rebalance_timeout_ms;
    m->protocols = protocols_copy(a->protocols, a->nprotocols);
    m->nprotocols = a->nprotocols;
    m->deadline_ms = GROUP_NO_DEADLINE;
    return m;
}

/* addMemberAndRebalance. */
static void add_member_and_rebalance(struct group *g, const struct group_join_args *a,
                                     const char *member_id, void *waiter, int64_t now)
{
    struct group_member *m = member_new(a, member_id);
    m->is_new = true;
    m->join_waiter = waiter;
    if (g->state == GROUP_PREPARING_REBALANCE && g->initial_join)
        g->new_member_added = true;
    group_add(g, m);
    /* A new member cannot heartbeat before its first JoinGroup answer; bound the wait. */
    m->deadline_ms = now + g->cfg->new_member_join_timeout_ms;
    LOG_INFO("group", "%s: new member %s (client %s%s%s) joins", g->id, m->member_id, m->client_id,
             m->instance_id ? ", instance " : "", m->instance_id ? m->instance_id : "");
    maybe_prepare_rebalance(g, now);
}

/* updateStaticMemberThenRebalanceOrCompleteJoin (KIP-345). */
static void update_static_member(struct group *g, struct group_member *m,
                                 const struct group_join_args *a, const char *new_id, void *waiter,
                                 int64_t now)
{
    char *leader_before = dup_or_null(g->leader ? g->leader->member_id : NULL);
    char *old_id = m->member_id;
    /* Fence whoever still uses the old member id. */
    member_join_error(g, m, KERR_FENCED_INSTANCE_ID, old_id);
    member_sync_done(g, m, KERR_FENCED_INSTANCE_ID);
    m->member_id = xstrdup(new_id);
    reschedule(m, now);
    LOG_INFO("group", "%s: static member %s rejoins as %s", g->id, m->instance_id, new_id);

    struct group_store *st = xcalloc(1, sizeof *st);
    st->kind = STORE_STATIC;
    st->old_member_id = old_id;
    st->new_member_id = xstrdup(new_id);
    st->leader_before = leader_before;
    st->old_protocols = m->protocols;
    st->old_nprotocols = m->nprotocols;
    st->old_session_timeout = m->session_timeout_ms;
    st->old_rebalance_timeout = m->rebalance_timeout_ms;
    st->supports_skip_assignment = a->supports_skip_assignment;
    m->protocols = NULL;
    m->nprotocols = 0;
    update_member(g, m, a, waiter);

    switch (g->state) {
    case GROUP_STABLE: {
        /* Persist the new member id unless the selected protocol would change. */
        const char *sel = select_protocol(g);
        if (sel && str_eq(sel, g->protocol_name)) {
            store(g, st);
            return;
        }
        prepare_rebalance(g, now);
        break;
    }
    case GROUP_COMPLETING_REBALANCE:
        prepare_rebalance(g, now);
        break;
    default:
        break;
    }
    group_store_free(st);
}

static void new_member_join(struct group *g, const struct group_join_args *a, void *waiter,
                            int64_t now)
{
    char *id = new_member_id(a->instance_id ? a->instance_id : a->client_id);
    if (a->instance_id) {
        struct group_member *old = static_member(g, a->instance_id);
        if (old)
            update_static_member(g, old, a, id, waiter, now);
        else
            add_member_and_rebalance(g, a, id, waiter, now);
    } else if (a->require_known_member_id) {
        /* KIP-394: hand out the id; the member joins again with it. */
        pending_add(g, id, now + a->session_timeout_ms);
        join_error(g, waiter, KERR_MEMBER_ID_REQUIRED, id);
    } else {
        add_member_and_rebalance(g, a, id, waiter, now);
    }
    free(id);
}

static void existing_member_join(struct group *g, const struct group_join_args *a, void *waiter,
                                 int64_t now)
{
    if (pending_index(g, a->member_id) >= 0) {
        if (a->instance_id) {
            join_error(g, waiter, KERR_UNKNOWN_SERVER_ERROR, a->member_id);
            return;
        }
        add_member_and_rebalance(g, a, a->member_id, waiter, now);
        return;
    }
    int16_t err = validate_member(g, a->member_id, a->instance_id);
    if (err != KERR_NONE) {
        join_error(g, waiter, err, a->member_id);
        return;
    }
    struct group_member *m = group_member_find(g, a->member_id);
    switch (g->state) {
    case GROUP_PREPARING_REBALANCE:
        update_member(g, m, a, waiter);
        break;
    case GROUP_COMPLETING_REBALANCE:
        if (member_matches(m, a)) {
            /* It missed the JoinGroup answer: give it the current generation again. */
            answer_current(g, m, m == g->leader, waiter);
        } else {
            update_member(g, m, a, waiter);
            maybe_prepare_rebalance(g, now);
        }
        break;
    case GROUP_STABLE:
        if (m == g->leader || !member_matches(m, a)) {
            /* The leader rejoining forces a rebalance (e.g. topic metadata changed). */
            update_member(g, m, a, waiter);
            maybe_prepare_rebalance(g, now);
        } else {
            answer_current(g, m, false, waiter);
        }
        break;
    default:
        join_error(g, waiter, KERR_UNKNOWN_MEMBER_ID, a->member_id);
        break;
    }
}

void group_join(struct group *g, const struct group_join_args *a, void *waiter, int64_t now)
{
    const char *mid = a->member_id ? a->member_id : "";
    if (g->state == GROUP_DEAD) {
        join_error(g, waiter, KERR_COORDINATOR_NOT_AVAILABLE, mid);
        return;
    }
    if (!supports_protocols(g, a)) {
        join_error(g, waiter, KERR_INCONSISTENT_GROUP_PROTOCOL, mid);
        return;
    }
    if (mid[0] == '\0')
        new_member_join(g, a, waiter, now);
    else
        existing_member_join(g, a, waiter, now);
    maybe_complete_join_phase(g, now);
    group_tick(g, now);
}

/* ---- SyncGroup ---- */

/* validateSyncGroup and the state checks before a SyncGroup is served. */
static int16_t sync_check(const struct group *g, const struct group_sync_args *a)
{
    if (g->state == GROUP_DEAD)
        return KERR_COORDINATOR_NOT_AVAILABLE;
    int16_t err = validate_member(g, a->member_id, a->instance_id);
    if (err != KERR_NONE)
        return err;
    if (a->generation != g->generation)
        return KERR_ILLEGAL_GENERATION;
    if ((a->protocol_type && g->protocol_type && strcmp(a->protocol_type, g->protocol_type) != 0) ||
        (a->protocol_name && g->protocol_name && strcmp(a->protocol_name, g->protocol_name) != 0))
        return KERR_INCONSISTENT_GROUP_PROTOCOL;
    if (g->state == GROUP_EMPTY)
        return KERR_UNKNOWN_MEMBER_ID;
    if (g->state == GROUP_PREPARING_REBALANCE)
        return KERR_REBALANCE_IN_PROGRESS;
    return KERR_NONE;
}

void group_sync(struct group *g, const struct group_sync_args *a, void *waiter, int64_t now)
{
    int16_t err = sync_check(g, a);
    if (err != KERR_NONE) {
        sync_error(g, waiter, err);
        return;
    }
    struct group_member *m = group_member_find(g, a->member_id);
    m->pending_sync = false;
    if (g->state == GROUP_STABLE) {
        reschedule(m, now);
        struct group_sync_result r = {
            .error = KERR_NONE,
            .protocol_type = g->protocol_type,
            .protocol_name = g->protocol_name,
            .assignment = m->assignment,
            .len = m->assignment_len,
        };
        sync_answer(g, waiter, &r);
        return;
    }
    /* CompletingRebalance: park until the leader's assignment is stored. */
    if (m->sync_waiter)
        member_sync_done(g, m, KERR_REBALANCE_IN_PROGRESS);
    m->sync_waiter = waiter;
    if (m == g->leader) {
        LOG_INFO("group", "%s: assignment received from leader %s for generation %d", g->id,
                 m->member_id, g->generation);
        for (int i = 0; i < g->nmembers; i++) {
            struct group_member *mm = g->members[i];
            const struct group_sync_assignment *as = NULL;
            for (int k = 0; k < a->nassignments; k++)
                if (str_eq(a->assignments[k].member_id, mm->member_id))
                    as = &a->assignments[k];
            set_assignment(mm, as ? as->assignment : NULL, as ? as->len : 0);
        }
        store_simple(g, STORE_SYNC);
    }
    group_tick(g, now);
}

/* ---- store completions ---- */

int16_t group_append_error(int16_t e)
{
    switch (e) {
    case KERR_UNKNOWN_TOPIC_OR_PARTITION:
    case KERR_NOT_ENOUGH_REPLICAS:
    case KERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case KERR_REQUEST_TIMED_OUT:
        return KERR_COORDINATOR_NOT_AVAILABLE;
    case KERR_NOT_LEADER_OR_FOLLOWER:
    case KERR_KAFKA_STORAGE_ERROR:
        return KERR_NOT_COORDINATOR;
    case KERR_MESSAGE_TOO_LARGE:
    case KERR_RECORD_LIST_TOO_LARGE:
    case KERR_INVALID_FETCH_SIZE:
        return KERR_UNKNOWN_SERVER_ERROR;
    default:
        return e;
    }
}

void group_store_free(struct group_store *st)
{
    if (!st)
        return;
    free(st->old_member_id);
    free(st->new_member_id);
    free(st->leader_before);
    protocols_free(st->old_protocols, st->old_nprotocols);
    free(st);
}

static void static_store_done(struct group *g, struct group_store *st, int16_t err, int64_t now)
{
    struct group_member *m = group_member_find(g, st->new_member_id);
    if (!m)
        return;
    if (err != KERR_NONE) {
        /* Revert to the old member id and metadata (the old id keeps working). */
        LOG_WARN("group", "%s: persisting static member %s failed (%s); reverting", g->id,
                 st->new_member_id, kafka_error_name(err));
        void *w = m->join_waiter;
        m->join_waiter = NULL;
        protocols_free(m->protocols, m->nprotocols);
        m->protocols = st->old_protocols;
        m->nprotocols = st->old_nprotocols;
        st->old_protocols = NULL;
        st->old_nprotocols = 0;
        m->session_timeout_ms = st->old_session_timeout;
        m->rebalance_timeout_ms = st->old_rebalance_timeout;
        free(m->member_id);
        m->member_id = st->old_member_id;
        st->old_member_id = NULL;
        reschedule(m, now);
        if (w) {
            struct group_join_result r = {
                .error = group_append_error(err),
                .generation = g->generation,
                .protocol_type = g->protocol_type,
                .protocol_name = g->protocol_name,
                .leader = st->leader_before ? st->leader_before : "",
                .member_id = "",
            };
            join_answer(g, w, &r);
        }
        return;
    }
    if (!m->join_waiter)
        return;
    if (st->supports_skip_assignment) {
        /* KIP-814: a static leader gets the membership but must not reassign. */
        bool is_leader = g->leader == m;
        struct group_join_member *list = is_leader ? current_members(g) : NULL;
        struct group_join_result r = {
            .error = KERR_NONE,
            .generation = g->generation,
            .protocol_type = g->protocol_type,
            .protocol_name = g->protocol_name,
            .leader = g->leader ? g->leader->member_id : "",
            .member_id = m->member_id,
            .skip_assignment = is_leader,
            .members = list,
            .nmembers = is_leader ? g->nmembers : 0,
        };
        member_join_done(g, m, &r);
        free(list);
    } else {
        /* The old leader id: the rejoined leader must not think it should reassign. */
        struct group_join_result r = {
            .error = KERR_NONE,
            .generation = g->generation,
            .protocol_type = g->protocol_type,
            .protocol_name = g->protocol_name,
            .leader = st->leader_before ? st->leader_before : "",
            .member_id = m->member_id,
        };
        member_join_done(g, m, &r);
    }
}

void group_store_done(struct group *g, struct group_store *st, int16_t err, int64_t now)
{
    switch (st->kind) {
    case STORE_EMPTY:
        if (err != KERR_NONE)
            LOG_WARN("group", "%s: storing empty generation %d failed: %s", g->id, st->generation,
                     kafka_error_name(err));
        break;
    case STORE_SYNC:
        /* Another rebalance may have started meanwhile: then there is nothing to do. */
        if (g->state != GROUP_COMPLETING_REBALANCE || st->generation != g->generation)
            break;
        if (err != KERR_NONE) {
            int16_t e = group_append_error(err);
            LOG_WARN("group", "%s: storing the assignment of generation %d failed: %s", g->id,
                     g->generation, kafka_error_name(err));
            reset_and_propagate_error(g, e, now);
            maybe_prepare_rebalance(g, now);
        } else {
            propagate_assignment(g, KERR_NONE, now);
            transition(g, GROUP_STABLE, now);
            LOG_INFO("group", "%s: generation %d is stable", g->id, g->generation);
        }
        break;
    case STORE_STATIC:
        if (g->state != GROUP_DEAD)
            static_store_done(g, st, err, now);
        break;
    }
    group_store_free(st);
    group_tick(g, now);
}

/* ---- Heartbeat, LeaveGroup, OffsetCommit checks, DeleteGroups ---- */

int16_t group_heartbeat(struct group *g, const char *member_id, const char *instance_id,
                        int32_t generation, int64_t now)
{
    if (g->state == GROUP_DEAD)
        return KERR_COORDINATOR_NOT_AVAILABLE;
    int16_t err = validate_member(g, member_id, instance_id);
    if (err != KERR_NONE)
        return err;
    if (generation != g->generation)
        return KERR_ILLEGAL_GENERATION;
    struct group_member *m = group_member_find(g, member_id);
    switch (g->state) {
    case GROUP_EMPTY:
        return KERR_UNKNOWN_MEMBER_ID;
    case GROUP_PREPARING_REBALANCE:
        reschedule(m, now);
        return KERR_REBALANCE_IN_PROGRESS;
    default:
        reschedule(m, now);
        return KERR_NONE;
    }
}

int16_t group_leave(struct group *g, const struct group_leave_member *ms, int n, int16_t *errors,
                    int64_t now)
{
    if (g->state == GROUP_DEAD)
        return KERR_COORDINATOR_NOT_AVAILABLE;
    bool any = false;
    for (int i = 0; i < n; i++) {
        const char *mid = ms[i].member_id ? ms[i].member_id : "";
        const char *iid = ms[i].instance_id;
        errors[i] = KERR_NONE;
        if (mid[0] == '\0') {
            /* Administrative removal of a static member by instance id (KIP-345). */
            struct group_member *m = static_member(g, iid);
            if (!m) {
                errors[i] = KERR_UNKNOWN_MEMBER_ID;
                continue;
            }
            LOG_INFO("group", "%s: static member %s (%s) leaves", g->id, m->member_id, iid);
            group_remove(g, m);
            any = true;
            continue;
        }
        int pi = pending_index(g, mid);
        if (pi >= 0) {
            pending_remove_at(g, pi);
            any = true;
            continue;
        }
        int16_t err = validate_member(g, mid, iid);
        if (err != KERR_NONE) {
            errors[i] = err;
            continue;
        }
        LOG_INFO("group", "%s: member %s leaves", g->id, mid);
        group_remove(g, group_member_find(g, mid));
        any = true;
    }
    if (any) {
        if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE)
            maybe_prepare_rebalance(g, now);
        else if (g->state == GROUP_PREPARING_REBALANCE)
            maybe_complete_join_phase(g, now);
    }
    group_tick(g, now);
    return KERR_NONE;
}

int16_t group_commit_check(struct group *g, const char *member_id, const char *instance_id,
                           int32_t generation, int64_t now)
{
    const char *mid = member_id ? member_id : "";
    if (g->state == GROUP_DEAD)
        return KERR_COORDINATOR_NOT_AVAILABLE;
    /* Offsets of a group that does not use group management (or the admin client). */
    if (generation < 0 && g->state == GROUP_EMPTY)
        return KERR_NONE;
    if (generation >= 0 || mid[0] || instance_id) {
        int16_t err = validate_member(g, mid, instance_id);
        if (err != KERR_NONE)
            return err;
        if (generation != g->generation)
            return KERR_ILLEGAL_GENERATION;
    } else if (g->state != GROUP_EMPTY) {
        return KERR_UNKNOWN_MEMBER_ID;
    }
    if (g->state == GROUP_COMPLETING_REBALANCE)
        return KERR_REBALANCE_IN_PROGRESS;
    struct group_member *m = group_member_find(g, mid);
    if (m)
        reschedule(m, now);
    return KERR_NONE;
}

int16_t group_delete(struct group *g, int64_t now)
{
    switch (g->state) {
    case GROUP_DEAD:
        return KERR_GROUP_ID_NOT_FOUND;
    case GROUP_EMPTY:
        while (g->npending > 0)
            pending_remove_at(g, g->npending - 1);
        transition(g, GROUP_DEAD, now);
        return KERR_NONE;
    default:
        return KERR_NON_EMPTY_GROUP;
    }
}

/* ---- committed offsets ---- */

static void offset_key(char *buf, size_t len, const char *topic, int32_t partition)
{
    snprintf(buf, len, "%d/%s", partition, topic);
}

const struct group_offset *group_offset_get(const struct group *g, const char *topic,
                                            int32_t partition)
{
    char key[320];
    offset_key(key, sizeof key, topic, partition);
    return strmap_get(&g->offsets, key);
}

void group_offset_free(struct group_offset *o)
{
    if (!o)
        return;
    free(o->topic);
    free(o->metadata);
    free(o);
}

void group_offset_put(struct group *g, const struct group_offset *o)
{
    char key[320];
    offset_key(key, sizeof key, o->topic, o->partition);
    struct group_offset *old = strmap_get(&g->offsets, key);
    if (old && old->record_offset > o->record_offset)
        return;
    struct group_offset *n = xmalloc(sizeof *n);
    *n = *o;
    n->topic = xstrdup(o->topic);
    /* Length-carrying: commit metadata is a Kafka string that may hold NUL bytes. */
    n->metadata_len = o->metadata && o->metadata_len > 0 ? o->metadata_len : 0;
    n->metadata = xstrndup(o->metadata ? o->metadata : "", (size_t)n->metadata_len);
    group_offset_free(strmap_put(&g->offsets, key, n));
}

void group_offset_remove(struct group *g, const char *topic, int32_t partition,
                         int64_t record_offset)
{
    char key[320];
    offset_key(key, sizeof key, topic, partition);
    struct group_offset *old = strmap_get(&g->offsets, key);
    if (old && old->record_offset < record_offset)
        group_offset_free(strmap_del(&g->offsets, key));
}

size_t group_offset_count(const struct group *g)
{
    return g->offsets.count;
}

static int cmp_offsets(const void *a, const void *b)
{
    const struct group_offset *x = *(const struct group_offset *const *)a;
    const struct group_offset *y = *(const struct group_offset *const *)b;
    int c = strcmp(x->topic, y->topic);
    if (c)
        return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

const struct group_offset **group_offsets_sorted(const struct group *g, struct arena *a, int *n)
{
    size_t cnt = g->offsets.count;
    const struct group_offset **v = arena_alloc(a, (cnt ? cnt : 1) * sizeof *v);
    size_t it = 0, i = 0;
    const char *k;
    void *val;
    while (strmap_next(&g->offsets, &it, &k, &val))
        v[i++] = val;
    if (i > 1)
        qsort(v, i, sizeof *v, cmp_offsets);
    *n = (int)i;
    return v;
}

struct group_offset **group_expire_offsets(struct group *g, int64_t now, int64_t retention_ms,
                                           int *n)
{
    *n = 0;
    if (g->pending_writes > 0 || g->state == GROUP_DEAD || g->offsets.count == 0)
        return NULL;
    enum { BASE_COMMIT, BASE_STATE } base;
    bool skip_subscribed = false;
    if (g->protocol_type) {
        if (g->state == GROUP_EMPTY) {
            base = BASE_STATE;
        } else if (str_eq(g->protocol_type, CONSUMER_PROTOCOL_TYPE) && g->subscribed_known &&
                   g->state == GROUP_STABLE) {
            base = BASE_COMMIT;
            skip_subscribed = true;
        } else {
            return NULL;
        }
    } else {
        base = BASE_COMMIT;
    }
    struct group_offset **out = NULL;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&g->offsets, &it, &k, &v)) {
        struct group_offset *o = v;
        if (skip_subscribed && group_is_subscribed(g, o->topic))
            continue;
        bool expired;
        if (o->expire_ts >= 0) {
            expired = now >= o->expire_ts;
        } else {
            int64_t from = (base == BASE_STATE && g->state_ts >= 0) ? g->state_ts : o->commit_ts;
            expired = now - from >= retention_ms;
        }
        if (!expired)
            continue;
        strmap_del(&g->offsets, k);
        out = xrealloc(out, sizeof *out * (size_t)(*n + 1));
        out[(*n)++] = o;
    }
    return out;
}

bool group_is_disposable(const struct group *g)
{
    return g->state == GROUP_EMPTY && g->nmembers == 0 && g->npending == 0 &&
           g->offsets.count == 0 && g->pending_writes == 0;
}

/* ---- persistence ---- */

void group_metadata_snapshot(const struct group *g, struct arena *a,
                             struct group_metadata_value *out)
{
    memset(out, 0, sizeof *out);
    const char *pt = g->protocol_type ? g->protocol_type : "";
    out->protocol_type = (struct kstr){pt, (int32_t)strlen(pt)};
    out->generation = g->generation;
    out->protocol.s = g->protocol_name;
    out->protocol.len = g->protocol_name ? (int32_t)strlen(g->protocol_name) : -1;
    out->leader.s = g->leader ? g->leader->member_id : NULL;
    out->leader.len = g->leader ? (int32_t)strlen(g->leader->member_id) : -1;
    out->current_state_timestamp = g->state_ts;
    out->members.n = g->nmembers;
    out->members.v =
        arena_alloc(a, (g->nmembers ? (size_t)g->nmembers : 1) * sizeof *out->members.v);
    for (int i = 0; i < g->nmembers; i++) {
        const struct group_member *m = g->members[i];
        struct group_member_value *mv = &out->members.v[i];
        memset(mv, 0, sizeof *mv);
        mv->member_id = (struct kstr){m->member_id, (int32_t)strlen(m->member_id)};
        mv->group_instance_id.s = m->instance_id;
        mv->group_instance_id.len = m->instance_id ? (int32_t)strlen(m->instance_id) : -1;
        mv->client_id = (struct kstr){m->client_id, (int32_t)strlen(m->client_id)};
        mv->client_host = (struct kstr){m->client_host, (int32_t)strlen(m->client_host)};
        mv->rebalance_timeout = m->rebalance_timeout_ms;
        mv->session_timeout = m->session_timeout_ms;
        int32_t len;
        const uint8_t *md = group_member_metadata(g, m, &len);
        mv->subscription = (struct kbytes){md, md ? len : 0, NULL};
        mv->assignment = (struct kbytes){m->assignment, m->assignment_len, NULL};
    }
}

static char *kstr_dup(struct kstr k)
{
    return k.s ? xstrndup(k.s, (size_t)k.len) : NULL;
}

void group_load_tombstone(struct group *g, int64_t now)
{
    (void)now;
    clear_members(g);
    free(g->protocol_type);
    free(g->protocol_name);
    g->protocol_type = g->protocol_name = NULL;
    g->generation = 0;
    g->state_ts = -1;
    g->leader = NULL;
}

void group_load_metadata(struct group *g, const struct group_metadata_value *v, int64_t now)
{
    group_load_tombstone(g, now);
    g->generation = v->generation;
    g->protocol_type =
        v->protocol_type.s && v->protocol_type.len > 0 ? kstr_dup(v->protocol_type) : NULL;
    g->protocol_name = kstr_dup(v->protocol);
    g->state_ts = v->current_state_timestamp;
    for (int32_t i = 0; i < v->members.n; i++) {
        const struct group_member_value *mv = &v->members.v[i];
        struct group_member *m = xcalloc(1, sizeof *m);
        m->member_id = kstr_dup(mv->member_id);
        m->instance_id = kstr_dup(mv->group_instance_id);
        m->client_id = kstr_dup(mv->client_id);
        m->client_host = kstr_dup(mv->client_host);
        m->protocol_type = xstrdup(g->protocol_type ? g->protocol_type : "");
        m->session_timeout_ms = mv->session_timeout;
        m->rebalance_timeout_ms = mv->rebalance_timeout;
        if (g->protocol_name) {
            struct group_protocol_in p = {g->protocol_name, mv->subscription.p,
                                          mv->subscription.len};
            m->protocols = protocols_copy(&p, 1);
            m->nprotocols = 1;
        }
        set_assignment(m, mv->assignment.p, mv->assignment.len);
        m->deadline_ms = GROUP_NO_DEADLINE;
        if (g->nmembers == g->cap_members) {
            g->cap_members = g->cap_members ? g->cap_members * 2 : 4;
            g->members = xrealloc(g->members, sizeof *g->members * (size_t)g->cap_members);
        }
        g->members[g->nmembers++] = m;
        if (v->leader.s && strcmp(v->leader.s, m->member_id) == 0)
            g->leader = m;
    }
    if (!g->leader && g->nmembers > 0)
        g->leader = g->members[0];
}

void group_load_finish(struct group *g, int64_t now)
{
    g->state = g->prev_state = g->nmembers > 0 ? GROUP_STABLE : GROUP_EMPTY;
    if (g->state_ts < 0)
        g->state_ts = now;
    compute_subscribed(g);
    for (int i = 0; i < g->nmembers; i++) {
        g->members[i]->is_new = false;
        reschedule(g->members[i], now);
    }
}
