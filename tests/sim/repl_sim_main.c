/*
 * repl_sim: runs the replication simulator (repl_sim.h) over many seeds.
 *
 *   repl_sim [--replicas N] [--seeds K] [--first-seed S] [--chaos-ms T]
 *            [--soak-seconds S] [--flush always|never] [--registration kip966|wait]
 *            [--alter-error-resets] [--no-kip903] [--last-epoch-from-batch]
 *            [--drop-empty-epoch] [--kafka-epoch-assign] [--trunc-skips-cache]
 *            [--alter-datagram] [--no-isr-check]
 *            [--buggy-catchup] [--no-replay-lag] [--broker-isr-interval] [--verbose]
 *
 * Default: K (100) seeds from S (1) with N (3) replicas; the flush policy and
 * the registration rule are chosen by each seed unless given.  --soak-seconds
 * keeps running new seeds (rotating 3 and 5 replicas unless --replicas is
 * given) until that much wall time has passed.  A failure prints the broken
 * invariant, the last events of the seed and the command that replays it;
 * SLUICE_SIM_SEED=<seed> runs that one seed (SLUICE_SIM_VERBOSE=1 traces
 * every event to stderr).  The protocol-variant flags are described in
 * repl_sim.h.  Exit status 0 when every seed held every invariant.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "repl_sim.h"
#include "sim_driver.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: repl_sim [--replicas N] [--seeds K] [--first-seed S] [--chaos-ms T]\n"
            "                [--soak-seconds S] [--flush always|never]\n"
            "                [--registration kip966|wait] [--alter-error-resets] [--no-kip903]\n"
            "                [--last-epoch-from-batch] [--drop-empty-epoch]\n"
            "                [--kafka-epoch-assign] [--trunc-skips-cache]\n"
            "                [--alter-datagram] [--no-isr-check] [--buggy-catchup]\n"
            "                [--no-replay-lag] [--broker-isr-interval] [--verbose]\n"
            "env: SLUICE_SIM_SEED=<seed> replays one seed, SLUICE_SIM_VERBOSE=1 traces it\n");
}

/* What every seed of the loop shares. */
struct run {
    const struct sim_driver *d;
    struct repl_sim_opts o;
    struct repl_sim_stats st;
    const char *argv0;
};

static void print_stats(void *ctx, const char *what, int64_t wall)
{
    const struct repl_sim_stats *st = &((struct run *)ctx)->st;
    printf(
        "%s: %" PRIu64 " seeds, %" PRIu64 " events, %" PRIu64 " simulated s, %" PRIu64
        " messages (%" PRIu64 " dropped), %" PRIu64 " leaderships, %" PRIu64
        " acks=all acknowledged (%" PRIu64 " refused or timed out), %" PRIu64
        " acks=1 acknowledged (%" PRIu64 " of them lost), %" PRIu64 " records read, %" PRIu64
        " acks and %" PRIu64 " records read from a replaced leader, %" PRIu64
        " diverging fetches, %" PRIu64 " records truncated, %" PRIu64 " crashes (%" PRIu64
        " without flush), %" PRIu64 " pauses, %" PRIu64 " ISR changes (%" PRIu64
        " AlterPartition refusals), %" PRIu64 " restarts with a lagging metadata replay (%" PRIu64
        " stale records of an earlier incarnation replayed, %" PRIu64 " logs deleted and %" PRIu64
        " set aside as stray), slowest recovery %" PRId64 " ms; %" PRId64 " ms wall\n",
        what, st->runs, st->events, st->sim_ms / 1000, st->messages, st->dropped, st->leaders,
        st->acked_all, st->rejected, st->acked_one, st->lost_one, st->reads, st->stale_acks,
        st->stale_reads, st->diverging, st->truncated, st->crashes, st->crashes_unflushed,
        st->pauses, st->isr_changes, st->alter_errors, st->lagged_restarts, st->stale_records,
        st->strays_deleted, st->strays_aside, st->max_recovery_ms, wall);
}

/* The flags that reproduce o (besides the seed). */
static void replay_flags(const struct repl_sim_opts *o, char *buf, size_t len)
{
    snprintf(buf, len, "--replicas %d --chaos-ms %" PRId64 "%s%s%s%s%s%s%s%s%s%s%s%s%s",
             o->nreplicas, o->chaos_ms,
             o->flush == 1   ? " --flush always"
             : o->flush == 0 ? " --flush never"
                             : "",
             o->registration == 1   ? " --registration wait"
             : o->registration == 0 ? " --registration kip966"
                                    : "",
             o->alter_error_resets ? " --alter-error-resets" : "",
             o->no_kip903 ? " --no-kip903" : "",
             o->last_epoch_from_batch ? " --last-epoch-from-batch" : "",
             o->drop_empty_epoch ? " --drop-empty-epoch" : "",
             o->kafka_epoch_assign ? " --kafka-epoch-assign" : "",
             o->trunc_skips_cache ? " --trunc-skips-cache" : "",
             o->alter_datagram ? " --alter-datagram" : "", o->no_isr_check ? " --no-isr-check" : "",
             o->buggy_catchup ? " --buggy-catchup" : "", o->no_replay_lag ? " --no-replay-lag" : "",
             o->broker_isr_interval ? " --broker-isr-interval" : "");
}

static int run_seed(void *ctx, int64_t k, uint64_t seed)
{
    static const int rotation[] = {3, 5};
    struct run *r = ctx;
    struct repl_sim_opts *o = &r->o;
    o->seed = seed;
    o->nreplicas = r->d->size > 0 ? (int)r->d->size : (r->d->soak_s > 0 ? rotation[k % 2] : 3);
    char err[600];
    if (repl_sim_run(o, &r->st, err, sizeof(err)) == 0)
        return 0;
    printf("FAIL seed %" PRIu64 " replicas %d: %s\n", o->seed, o->nreplicas, err);
    /* Run it again to print its last events (the run is deterministic). */
    struct repl_sim_opts again = *o;
    again.trace_tail = 60;
    struct repl_sim_stats ignored;
    memset(&ignored, 0, sizeof(ignored));
    repl_sim_run(&again, &ignored, err, sizeof(err));
    char flags[300];
    replay_flags(o, flags, sizeof(flags));
    printf("  replay: SLUICE_SIM_SEED=%" PRIu64 " SLUICE_SIM_VERBOSE=1 %s %s\n", o->seed, r->argv0,
           flags);
    return -1;
}

int main(int argc, char **argv)
{
    struct sim_driver d;
    sim_driver_init(&d);
    struct run run = {.d = &d, .argv0 = argv[0]};
    struct repl_sim_opts *o = &run.o;
    repl_sim_opts_default(o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--alter-error-resets") == 0) {
            o->alter_error_resets = true;
            continue;
        } else if (strcmp(a, "--no-kip903") == 0) {
            o->no_kip903 = true;
            continue;
        } else if (strcmp(a, "--last-epoch-from-batch") == 0) {
            o->last_epoch_from_batch = true;
            continue;
        } else if (strcmp(a, "--drop-empty-epoch") == 0) {
            o->drop_empty_epoch = true;
            continue;
        } else if (strcmp(a, "--kafka-epoch-assign") == 0) {
            o->kafka_epoch_assign = true;
            continue;
        } else if (strcmp(a, "--no-isr-check") == 0) {
            o->no_isr_check = true;
            continue;
        } else if (strcmp(a, "--buggy-catchup") == 0) {
            o->buggy_catchup = true;
            continue;
        } else if (strcmp(a, "--no-replay-lag") == 0) {
            o->no_replay_lag = true;
            continue;
        } else if (strcmp(a, "--broker-isr-interval") == 0) {
            o->broker_isr_interval = true;
            continue;
        } else if (strcmp(a, "--alter-datagram") == 0) {
            o->alter_datagram = true;
            continue;
        } else if (strcmp(a, "--trunc-skips-cache") == 0) {
            o->trunc_skips_cache = true;
            continue;
        } else if (strcmp(a, "--flush") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "always") == 0)
                o->flush = 1;
            else if (strcmp(v, "never") == 0)
                o->flush = 0;
            else {
                usage();
                return 2;
            }
            continue;
        } else if (strcmp(a, "--registration") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "wait") == 0)
                o->registration = 1;
            else if (strcmp(v, "kip966") == 0)
                o->registration = 0;
            else {
                usage();
                return 2;
            }
            continue;
        }
        if (sim_driver_arg(&d, "--replicas", argc, argv, &i) <= 0) {
            usage();
            return 2;
        }
    }
    if (d.size == 0 || d.size > 7 || !sim_driver_env(&d)) {
        usage();
        return 2;
    }
    if (d.chaos_ms >= 0)
        o->chaos_ms = d.chaos_ms;
    if (d.verbose)
        o->verbose = true;
    return sim_driver_loop(&d, run_seed, print_stats, &run);
}
