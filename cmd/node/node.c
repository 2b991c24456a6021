/*
 * Node lifecycle (node.h): start-up in Kafka's order (storage checked, the
 * metadata quorum opened and replayed, the controller activated, the broker
 * registered through it, client listeners opened once the broker is
 * unfenced), periodic work, and a clean shutdown on SIGTERM/SIGINT.
 */
#include "node.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "broker.h"
#include "api_table.h"
#include "broker_config.h"
#include "broker_lifecycle.h"
#include "forward.h"
#include "clock.h"
#include "conn.h"
#include "controller.h"
#include "err.h"
#include "group_coordinator.h"
#include "log.h"
#include "meta_properties.h"
#include "metadata_image.h"
#include "node_env.h"
#include "purgatory.h"
#include "quorum.h"
#include "quorum_raft.h"
#include "handlers.h"
#include "replica_manager.h"
#include "request.h"
#include "xalloc.h"

#define TICK_MS 250

struct held_batch;

/*
 * The node: the broker's shared state that the modules below see, and what
 * only the wiring uses (signals, the tick, controlled shutdown, registration,
 * the test hold on metadata replay, the exit code).
 */
struct node {
    struct broker b;                    /* first: callbacks get &b and node_of() finds the node */
    struct broker_lifecycle *lifecycle; /* registration and heartbeats (KIP-631) */
    bool registering;
    struct event *ev_shutdown; /* polls a controlled shutdown */
    int64_t shutdown_deadline_ms;
    struct event *ev_sigterm, *ev_sigint, *ev_tick;
    /* Test-only hold on metadata replay (SLUICE_TEST_HOLD_METADATA_REPLAY_MS). */
    int64_t hold_replay_until_ms; /* 0: not holding */
    struct held_batch *held_head, *held_tail;
    struct event *ev_replay_hold;
    int exit_code;
};

static struct node *node_of(struct broker *b)
{
    return (struct node *)b;
}

static void open_client_listeners(struct broker *n)
{
    struct node *nd = node_of(n);
    if (n->serving)
        return;
    const struct broker_config *cfg = n->cfg;
    for (size_t i = 0; i < cfg->listen.n; i++) {
        const struct bcfg_listener *bl = &cfg->listen.v[i];
        bool is_controller = false;
        for (size_t j = 0; j < cfg->controller_listener_names.n; j++)
            if (strcasecmp(cfg->controller_listener_names.v[j], bl->name) == 0)
                is_controller = true;
        /* The CONTROLLER listener is opened with the quorum (open_controller_listener). */
        if (is_controller)
            continue;
        if (n->nlisteners == BROKER_MAX_LISTENERS) {
            LOG_ERROR("broker", "too many listeners");
            break;
        }
        struct listener *l = listener_open(n, bl->name, bl->host, bl->port, &broker_client_apis);
        if (!l) {
            nd->exit_code = 1;
            n->stopping = true;
            event_base_loopexit(n->base, NULL);
            return;
        }
        n->listeners[n->nlisteners++] = l;
    }
    n->serving = true;
    LOG_INFO("broker", "node %d ready: cluster %s, broker epoch %lld", n->node_id, n->cluster_id,
             (long long)n->broker_epoch);
}

/* The CONTROLLER listener: Raft RPCs between the voters (KIP-595). */
static int open_controller_listener(struct broker *n)
{
    const struct broker_config *cfg = n->cfg;
    for (size_t i = 0; i < cfg->listen.n; i++) {
        const struct bcfg_listener *bl = &cfg->listen.v[i];
        bool is_controller = false;
        for (size_t j = 0; j < cfg->controller_listener_names.n; j++)
            if (strcasecmp(cfg->controller_listener_names.v[j], bl->name) == 0)
                is_controller = true;
        if (!is_controller)
            continue;
        if (n->nlisteners == BROKER_MAX_LISTENERS)
            return SL_EINVAL;
        struct listener *l =
            listener_open(n, bl->name, bl->host, bl->port, &broker_controller_apis);
        if (!l)
            return SL_EIO;
        n->listeners[n->nlisteners++] = l;
    }
    return 0;
}

static void on_registered(void *ctx, int16_t error_code, const char *error_message,
                          int64_t broker_epoch)
{
    struct broker *n = ctx;
    struct node *nd = node_of(n);
    nd->registering = false;
    if (error_code != 0) {
        LOG_WARN("broker", "broker registration failed (%d): %s", error_code,
                 error_message ? error_message : "");
        return; /* retried from the tick */
    }
    n->broker_epoch = broker_epoch;
    LOG_INFO("broker", "registered as broker %d with epoch %lld", n->node_id,
             (long long)broker_epoch);
}

static void register_broker(struct broker *n)
{
    struct node *nd = node_of(n);
    if (nd->registering || n->broker_epoch >= 0 || !(n->cfg->roles & BCFG_ROLE_BROKER) ||
        !broker_is_controller(n))
        return;
    const struct bcfg_listeners *adv = &n->cfg->advertised;
    struct ctl_endpoint *eps = xcalloc(adv->n ? adv->n : 1, sizeof *eps);
    for (size_t i = 0; i < adv->n; i++) {
        eps[i].name = adv->v[i].name;
        eps[i].host = adv->v[i].host;
        eps[i].port = (uint16_t)adv->v[i].port;
        eps[i].security_protocol = 0; /* PLAINTEXT */
    }
    struct ctl_feature_range features[] = {
        {"metadata.version", 1, CONTROLLER_DEFAULT_METADATA_VERSION}};
    struct ctl_register_broker req = {
        .broker_id = n->node_id,
        .incarnation_id = n->incarnation_id,
        .endpoints = eps,
        .nendpoints = (int32_t)adv->n,
        .features = features,
        .nfeatures = 1,
        .rack = n->cfg->broker_rack,
    };
    nd->registering = true;
    controller_register_broker(n->controller, &req, on_registered, n);
    free(eps);
}

/*
 * This process's own registration as the image holds it, or NULL while the
 * image has not replayed it.  The incarnation id is new in every process, so
 * a record carrying it is this incarnation's registration (KIP-631), never a
 * stale one from before a restart; an image holding it has replayed the
 * metadata log at least up to it, which is Kafka's initial catch-up.
 */
static const struct mi_broker *own_registration(const struct broker *n)
{
    const struct mi_broker *self = metadata_image_broker(n->image, n->node_id);
    if (!self || !uuid_equal(&self->incarnation_id, &n->incarnation_id))
        return NULL;
    return self;
}

/*
 * Brings the broker up as far as the image allows: the replica manager acts
 * on the image once it holds this incarnation's registration, and the client
 * listeners open once that registration is unfenced as well.
 */
static void advance_startup(struct broker *n)
{
    const struct mi_broker *self = own_registration(n);
    if (!self || !n->rm)
        return;
    if (!replica_manager_is_active(n->rm)) {
        replica_manager_activate(n->rm);
        group_coordinator_resync(n->groups);
    }
    if (!self->fenced && n->broker_epoch >= 0 && !n->serving && !n->stopping)
        open_client_listeners(n);
}

/* Image listener: our own registration replayed or unfenced. */
static void on_broker_changed(void *ctx, const struct metadata_image *img,
                              const struct mi_broker *old, const struct mi_broker *now)
{
    (void)img;
    (void)old;
    struct broker *n = ctx;
    if (now && now->id == n->node_id)
        advance_startup(n);
}

/*
 * Test-only: SLUICE_TEST_HOLD_METADATA_REPLAY_MS=N holds committed metadata
 * batches back from the image for the first N ms of the process, so tests can
 * make a restarted broker register long before its replay catches up (what a
 * large metadata log does on its own).  Held batches are applied in order when
 * the time is up, or at once when the quorum needs a complete image (a
 * snapshot, a leader change).  Unset in production.
 */
struct held_batch {
    struct held_batch *next;
    int64_t base_offset;
    size_t len;
    uint8_t data[];
};

static void release_held_batches(struct broker *n)
{
    struct node *nd = node_of(n);
    while (nd->held_head) {
        struct held_batch *h = nd->held_head;
        nd->held_head = h->next;
        if (!nd->held_head)
            nd->held_tail = NULL;
        controller_handle_commit(n->controller, h->base_offset, h->data, h->len);
        free(h);
    }
}

static void on_replay_hold_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct broker *n = arg;
    struct node *nd = node_of(n);
    nd->hold_replay_until_ms = 0;
    LOG_INFO("broker", "test hold on metadata replay ended");
    release_held_batches(n);
}

static void start_replay_hold(struct broker *n)
{
    struct node *nd = node_of(n);
    const char *v = getenv("SLUICE_TEST_HOLD_METADATA_REPLAY_MS");
    long ms = v ? strtol(v, NULL, 10) : 0;
    if (ms <= 0)
        return;
    LOG_WARN("broker", "test hook: holding metadata replay back for %ld ms", ms);
    nd->hold_replay_until_ms = clock_mono_ms() + ms;
    nd->ev_replay_hold = evtimer_new(n->base, on_replay_hold_end, n);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(nd->ev_replay_hold, &tv);
}

static void on_commit(void *ctx, int64_t base_offset, const uint8_t *batch, size_t len)
{
    struct broker *n = ctx;
    struct node *nd = node_of(n);
    if (nd->hold_replay_until_ms > 0) {
        struct held_batch *h = xmalloc(sizeof *h + len);
        h->next = NULL;
        h->base_offset = base_offset;
        h->len = len;
        memcpy(h->data, batch, len);
        if (nd->held_tail)
            nd->held_tail->next = h;
        else
            nd->held_head = h;
        nd->held_tail = h;
        return;
    }
    controller_handle_commit(n->controller, base_offset, batch, len);
}

static int on_write_snapshot(void *ctx, int64_t end_offset, int32_t epoch, struct wbuf *out)
{
    release_held_batches(ctx);
    return controller_write_snapshot(((struct broker *)ctx)->controller, end_offset, epoch, out);
}

static int on_load_snapshot(void *ctx, int64_t end_offset, const uint8_t *data, size_t len)
{
    release_held_batches(ctx);
    return controller_load_snapshot(((struct broker *)ctx)->controller, end_offset, data, len);
}

static void on_leader_change(void *ctx, int32_t leader_id, int32_t epoch)
{
    struct broker *n = ctx;
    release_held_batches(n);
    controller_handle_leader_change(n->controller, leader_id, epoch);
    LOG_INFO("controller", "metadata quorum leader is %d at epoch %d", leader_id, epoch);
    register_broker(n);
    forward_retry_held(n);
}

/* Controlled shutdown gives up after this long (the controller may be unreachable). */
#define CONTROLLED_SHUTDOWN_MAX_MS  10000
#define CONTROLLED_SHUTDOWN_POLL_MS 20

static void on_shutdown_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct broker *n = arg;
    struct node *nd = node_of(n);
    int64_t now = clock_mono_ms();
    broker_lifecycle_tick(nd->lifecycle, now);
    if (broker_lifecycle_may_exit(nd->lifecycle) || now >= nd->shutdown_deadline_ms) {
        if (!broker_lifecycle_may_exit(nd->lifecycle))
            LOG_WARN("broker", "controlled shutdown timed out; stopping anyway");
        else
            LOG_INFO("broker", "controlled shutdown complete: leadership moved away");
        event_base_loopexit(n->base, NULL);
        return;
    }
    struct timeval tv = {0, CONTROLLED_SHUTDOWN_POLL_MS * 1000};
    evtimer_add(nd->ev_shutdown, &tv);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct broker *n = arg;
    struct node *nd = node_of(n);
    if (n->stopping || !nd->lifecycle || n->broker_epoch < 0) {
        LOG_INFO("broker", "received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        n->stopping = true;
        event_base_loopexit(n->base, NULL);
        return;
    }
    /* KIP-631 controlled shutdown: leadership moves away before the process exits; a
     * second signal stops at once. */
    LOG_INFO("broker", "received %s, moving leadership away before shutting down",
             sig == SIGTERM ? "SIGTERM" : "SIGINT");
    n->stopping = true;
    nd->shutdown_deadline_ms = clock_mono_ms() + CONTROLLED_SHUTDOWN_MAX_MS;
    broker_lifecycle_begin_shutdown(nd->lifecycle);
    nd->ev_shutdown = evtimer_new(n->base, on_shutdown_poll, n);
    on_shutdown_poll(-1, 0, n);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct broker *n = arg;
    struct node *nd = node_of(n);
    controller_tick(n->controller, clock_mono_ms());
    register_broker(n);
    if (nd->lifecycle)
        broker_lifecycle_tick(nd->lifecycle, clock_mono_ms());
    advance_startup(n);
    forward_retry_held(n);
    if (n->rm)
        replica_manager_tick(n->rm, clock_wall_ms());
    group_coordinator_tick(n->groups, clock_wall_ms());
}

/*
 * Takes an exclusive lock on <dir>/.lock for the life of the process, so two
 * nodes can never open the same logs (Kafka's LogManager locks each log dir).
 * The descriptor is left open on purpose: the lock dies with the process.
 */
static int lock_dir(const char *dir)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        LOG_ERROR("broker", "cannot create %s: %s", dir, strerror(errno));
        return SL_EIO;
    }
    char *path = xasprintf("%s/.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
        LOG_ERROR("broker", "cannot lock %s: %s (is another sluice using this directory?)", path,
                  strerror(errno));
        if (fd >= 0)
            close(fd);
        free(path);
        return SL_EIO;
    }
    free(path);
    return 0;
}

static int read_cluster_id(struct broker *n)
{
    const char *dir = n->cfg->metadata_dir;
    struct storage_meta_properties mp;
    int rc = storage_meta_properties_read(dir, &mp);
    if (rc == SL_ENOTFOUND) {
        LOG_ERROR("broker", "%s is not formatted (no meta.properties); run `sluice format`", dir);
        return rc;
    }
    if (rc < 0) {
        LOG_ERROR("broker", "cannot read %s/meta.properties: %s", dir, sl_strerror(rc));
        return rc;
    }
    if (mp.node_id != n->node_id) {
        LOG_ERROR("broker", "%s/meta.properties has node.id %d but the configuration says %d", dir,
                  mp.node_id, n->node_id);
        return SL_EINVAL;
    }
    snprintf(n->cluster_id, sizeof n->cluster_id, "%s", mp.cluster_id);
    return 0;
}

/* The metadata quorum's storage failed: exit non-zero (quorum.h on_fatal) rather than run
 * on as a node that never serves. */
static void on_quorum_fatal(void *ctx, const char *what)
{
    struct broker *n = ctx;
    struct node *nd = node_of(n);
    LOG_ERROR("broker", "node %d stops: the metadata quorum in %s cannot go on: %s", n->node_id,
              n->cfg->metadata_dir, what);
    nd->exit_code = 1;
    n->stopping = true;
    event_base_loopexit(n->base, NULL);
}

int broker_node_run(const struct broker_config *cfg)
{
    struct node node = {0};
    struct broker *n = &node.b;
    struct node *nd = node_of(n);
    signal(SIGPIPE, SIG_IGN);
    log_set_level((enum log_level)cfg->log_level);
    n->cfg = cfg;
    n->node_id = cfg->node_id;
    n->max_request_bytes = cfg->socket_request_max_bytes;
    n->max_connections = cfg->max_connections;
    n->broker_epoch = -1;
    n->incarnation_id = uuid_random();
    n->forward_to = -1;

    /* process.roles=broker: an observer of the metadata quorum (it fetches the log from
     * the leader but never votes); process.roles=controller: a voter without partitions
     * or client listeners (KIP-500). */
    for (size_t i = 0; i < cfg->data_dirs.n; i++)
        if (lock_dir(cfg->data_dirs.v[i]) < 0)
            return 1;
    bool metadata_dir_locked = false;
    for (size_t i = 0; i < cfg->data_dirs.n; i++)
        if (strcmp(cfg->data_dirs.v[i], cfg->metadata_dir) == 0)
            metadata_dir_locked = true;
    if (!metadata_dir_locked && lock_dir(cfg->metadata_dir) < 0)
        return 1;
    if (read_cluster_id(n) < 0)
        return 1;

    n->base = event_base_new();
    if (!n->base) {
        LOG_ERROR("broker", "cannot create the event loop");
        return 1;
    }
    event_base_priority_init(n->base, 2);
    n->purgatory = purgatory_new(n->base);

    n->image = metadata_image_new();
    struct controller_config cc = {
        .node_id = n->node_id,
        .num_partitions = cfg->num_partitions,
        .default_replication_factor = (int16_t)cfg->default_replication_factor,
        .broker_config = broker_config_lookup,
        .broker_config_ctx = (void *)cfg,
    };
    n->controller = controller_new(&cc, n->image);
    struct quorum_listener ql = {.ctx = n,
                                 .on_commit = on_commit,
                                 .on_leader_change = on_leader_change,
                                 .write_snapshot = on_write_snapshot,
                                 .load_snapshot = on_load_snapshot,
                                 .on_fatal = on_quorum_fatal};
    char *qdir = xasprintf("%s/__cluster_metadata-0", cfg->metadata_dir);
    struct quorum_raft_voter *voters = xcalloc(cfg->voters.n ? cfg->voters.n : 1, sizeof *voters);
    for (size_t i = 0; i < cfg->voters.n; i++) {
        voters[i].id = cfg->voters.v[i].id;
        voters[i].host = cfg->voters.v[i].host;
        voters[i].port = cfg->voters.v[i].port;
    }
    struct quorum_raft_config qc = {
        .node_id = n->node_id,
        .dir = qdir,
        .cluster_id = n->cluster_id,
        .voters = voters,
        .nvoters = (int)cfg->voters.n,
        .election_timeout_ms = cfg->controller_quorum_election_timeout_ms,
        .fetch_timeout_ms = cfg->controller_quorum_fetch_timeout_ms,
        .request_timeout_ms = cfg->controller_quorum_request_timeout_ms,
        .retry_backoff_ms = cfg->controller_quorum_retry_backoff_ms,
        .election_backoff_max_ms = cfg->controller_quorum_election_backoff_max_ms,
        .snapshot_bytes = cfg->metadata_log_max_record_bytes_between_snapshots,
        .listener_name =
            cfg->controller_listener_names.n > 0 ? cfg->controller_listener_names.v[0] : NULL,
    };
    start_replay_hold(n);
    int rc = open_controller_listener(n);
    if (rc == 0)
        rc = quorum_raft_open(n->base, &qc, &ql, &n->quorum);
    free(voters);
    free(qdir);
    if (rc < 0) {
        LOG_ERROR("broker", "cannot open the metadata log: %s", sl_strerror(rc));
        nd->exit_code = 1;
        goto out;
    }
    controller_set_quorum(n->controller, n->quorum);

    if (cfg->roles & BCFG_ROLE_BROKER) {
        node_env_init(n);
        n->rm = n->env.rm = replica_manager_create(&n->env);
        if (!n->rm) {
            nd->exit_code = 1;
            goto out;
        }
        nd->lifecycle = broker_lifecycle_new(n);
        struct metadata_listener ml = {.ctx = n, .broker_changed = on_broker_changed};
        metadata_image_add_listener(n->image, &ml);
        n->groups = group_coordinator_create(&n->env);
    }

    nd->ev_sigterm = evsignal_new(n->base, SIGTERM, on_signal, n);
    nd->ev_sigint = evsignal_new(n->base, SIGINT, on_signal, n);
    evsignal_add(nd->ev_sigterm, NULL);
    evsignal_add(nd->ev_sigint, NULL);
    nd->ev_tick = event_new(n->base, -1, EV_PERSIST, on_tick, n);
    struct timeval tv = {0, TICK_MS * 1000};
    event_add(nd->ev_tick, &tv);
    if (admin_server_start(n) < 0) {
        nd->exit_code = 1;
        goto out;
    }
    register_broker(n);

    event_base_dispatch(n->base);

out:
    admin_server_stop(n);
    for (int i = 0; i < n->nlisteners; i++)
        listener_close(n->listeners[i]);
    purgatory_shutdown(n->purgatory);
    conn_close_all(n);
    if (n->rm) {
        metadata_image_remove_listener(n->image, n);
        group_coordinator_destroy(n->groups);
        n->groups = NULL;
        replica_manager_destroy(n->rm);
        n->rm = n->env.rm =
            NULL; /* callbacks still to come (the controller failing its ops) see none */
    }
    forward_close(n);
    if (n->quorum)
        quorum_close(n->quorum);
    /* Failing the controller's pending operations answers the local broker's heartbeat
     * or registration: the lifecycle must still exist then (found by the chaos suite's
     * disk faults: a use-after-free in a fatal stop). */
    controller_free(n->controller);
    broker_lifecycle_free(nd->lifecycle);
    nd->lifecycle = NULL;
    metadata_image_free(n->image);
    if (nd->ev_tick)
        event_free(nd->ev_tick);
    if (nd->ev_shutdown)
        event_free(nd->ev_shutdown);
    if (nd->ev_replay_hold)
        event_free(nd->ev_replay_hold);
    while (nd->held_head) {
        struct held_batch *h = nd->held_head;
        nd->held_head = h->next;
        free(h);
    }
    if (nd->ev_sigterm)
        event_free(nd->ev_sigterm);
    if (nd->ev_sigint)
        event_free(nd->ev_sigint);
    purgatory_free(n->purgatory);
    event_base_free(n->base);
    LOG_INFO("broker", "node %d stopped", n->node_id);
    return nd->exit_code;
}
