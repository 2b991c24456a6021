/*
 * InitProducerId (22) for idempotent producers (KIP-98): every call gets a
 * fresh producer id at epoch 0, as Kafka's TransactionCoordinator does when
 * the transactional id is null.  Ids come from blocks the controller
 * allocates (ProducerIdsRecord, KIP-730), directly when it runs in this
 * process, else through AllocateProducerIds to its CONTROLLER listener;
 * requests that arrive while a block is being allocated wait for it in the
 * node's purgatory, oldest first.  Transactional ids are refused: there is no
 * transaction coordinator here.
 */
#include <stdlib.h>

#include "controller.h"
#include "forward.h"
#include "handlers.h"
#include "kafka_client.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "broker.h"
#include "purgatory.h"
#include "request.h"
#include "xalloc.h"

#define ALLOCATE_TIMEOUT_MS 30000

/* An InitProducerId request waiting for a producer-id block, in the node's purgatory. */
struct pid_waiter {
    struct purgatory_op op; /* first */
    struct request *req;
};

static const uint64_t block_key = PURGATORY_KEY_PRODUCER_IDS;

static void answer(struct request *req, int16_t err, int64_t pid)
{
    struct init_producer_id_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->error_code = err;
    resp->producer_id = err == KERR_NONE ? pid : -1;
    resp->producer_epoch = err == KERR_NONE ? 0 : -1;
    request_respond(req, &proto_init_producer_id_resp_schema, resp);
}

/* Waiters are checked oldest first, so ids are handed out in arrival order. */
static bool waiter_try_complete(struct purgatory_op *op)
{
    struct pid_waiter *w = (struct pid_waiter *)op;
    struct broker *n = w->req->node;
    if (n->pid_block_error != KERR_NONE) {
        answer(w->req, n->pid_block_error, -1);
        return true;
    }
    if (n->next_producer_id >= n->producer_id_end)
        return false; /* block exhausted: the next allocation serves the rest */
    answer(w->req, KERR_NONE, n->next_producer_id++);
    return true;
}

/* Shutdown. */
static void waiter_expire(struct purgatory_op *op)
{
    answer(((struct pid_waiter *)op)->req, KERR_COORDINATOR_NOT_AVAILABLE, -1);
}

static void waiter_release(struct purgatory_op *op)
{
    free(op);
}

static const struct purgatory_op_type waiter_type = {
    .kind = PURGATORY_PRODUCER_ID,
    .try_complete = waiter_try_complete,
    .on_expire = waiter_expire,
    .release = waiter_release,
};

/* A block arrived (err NONE) or its allocation failed (every waiter gets err). */
static void serve_waiters(struct broker *n, int16_t err)
{
    n->pid_block_error = err;
    purgatory_check(n->purgatory, block_key);
    n->pid_block_error = KERR_NONE;
}

static void request_block(struct broker *n);

static void on_block(void *ctx, int16_t error_code, int64_t first_id, int32_t count)
{
    struct broker *n = ctx;
    n->pid_block_pending = false;
    if (error_code != KERR_NONE) {
        LOG_WARN("broker", "producer id allocation failed: %s", kafka_error_name(error_code));
        serve_waiters(n, error_code == KERR_NOT_CONTROLLER ? KERR_COORDINATOR_NOT_AVAILABLE
                                                           : error_code);
        return;
    }
    n->next_producer_id = first_id;
    n->producer_id_end = first_id + count;
    serve_waiters(n, KERR_NONE);
    if (purgatory_watching(n->purgatory, block_key) > 0)
        request_block(n);
}

static void on_remote_block(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)a;
    const struct allocate_producer_ids_resp *r = resp;
    if (err < 0)
        on_block(ctx, KERR_COORDINATOR_NOT_AVAILABLE, -1, 0);
    else
        on_block(ctx, r->error_code, r->producer_id_start, r->producer_id_len);
}

/* Asks the active controller on another node for a block (AllocateProducerIds, KIP-730). */
static bool request_remote_block(struct broker *n)
{
    struct kc_conn *c = forward_controller_conn(n);
    if (!c)
        return false;
    struct allocate_producer_ids_req req = {.broker_id = n->node_id,
                                            .broker_epoch = n->broker_epoch};
    return kc_send(c, KAPI_ALLOCATE_PRODUCER_IDS, 0, true, &proto_allocate_producer_ids_req_schema,
                   &req, &proto_allocate_producer_ids_resp_schema, ALLOCATE_TIMEOUT_MS,
                   on_remote_block, n) == 0;
}

static void request_block(struct broker *n)
{
    if (n->pid_block_pending)
        return;
    if (n->broker_epoch < 0) {
        serve_waiters(n, KERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
    n->pid_block_pending = true;
    if (broker_is_controller(n)) {
        controller_allocate_producer_ids(n->controller, n->node_id, n->broker_epoch, on_block, n);
        return;
    }
    if (!request_remote_block(n)) {
        n->pid_block_pending = false;
        serve_waiters(n, KERR_COORDINATOR_NOT_AVAILABLE);
    }
}

void handle_init_producer_id(struct request *req)
{
    struct broker *n = req->node;
    struct init_producer_id_req *ir = request_decode_body(req, &proto_init_producer_id_req_schema);
    if (!ir)
        return;
    if (ir->transactional_id.s) {
        answer(req, KERR_NOT_COORDINATOR, -1);
        return;
    }
    if ((ir->producer_id < 0) != (ir->producer_epoch < 0)) {
        answer(req, KERR_INVALID_REQUEST, -1);
        return;
    }
    struct pid_waiter *w = xcalloc(1, sizeof *w);
    w->req = req;
    if (!purgatory_add(n->purgatory, &w->op, &waiter_type, PURGATORY_NO_DEADLINE, &block_key, 1))
        request_block(n);
}
