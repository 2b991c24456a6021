/*
 * raft_sim: runs the Raft simulator (sim.h) over many seeds.
 *
 *   raft_sim [--nodes N] [--observers 0|1] [--seeds K] [--first-seed S]
 *            [--chaos-ms T] [--soak-seconds S] [--verbose]
 *
 * Default: K seeds starting at S (1) for N voters.  --soak-seconds keeps
 * running new seeds (rotating N over 3, 5, 1 unless --nodes is given) until
 * that much wall time has passed.  A failure prints the seed and the command
 * that replays it; SLUICE_SIM_SEED=<seed> runs that one seed only (add
 * --verbose, or SLUICE_SIM_VERBOSE=1, for a trace of every event).
 * Exit status 0 when every seed held every invariant.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "invariant.h"
#include "log.h"
#include "sim.h"
#include "sim_driver.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: raft_sim [--nodes N] [--observers 0|1] [--seeds K] [--first-seed S]\n"
            "                [--chaos-ms T] [--soak-seconds S] [--verbose]\n"
            "env: SLUICE_SIM_SEED=<seed> replays one seed, SLUICE_SIM_VERBOSE=1 traces it\n");
}

/* What every seed of the loop shares. */
struct run {
    const struct sim_driver *d;
    struct sim_opts o;
    struct sim_stats st;
    const char *argv0;
};

static void print_stats(void *ctx, const char *what, int64_t wall_ms)
{
    const struct sim_stats *st = &((struct run *)ctx)->st;
    printf("%s: %" PRIu64 " seeds, %" PRIu64 " events, %" PRIu64 " simulated s, %" PRIu64
           " messages (%" PRIu64 " dropped), %" PRIu64 " leaders elected, %" PRIu64
           " batches committed, %" PRIu64 " proposals, %" PRIu64 " crashes, %" PRIu64
           " truncations, %" PRIu64 " snapshots taken, %" PRIu64
           " installed from a leader, %" PRIu64 " forged RPCs refused, slowest recovery %" PRId64
           " ms; %" PRId64 " ms wall\n",
           what, st->runs, st->events, st->sim_ms / 1000, st->messages, st->dropped, st->leaders,
           st->committed_batches, st->proposals, st->crashes, st->truncations, st->snapshots_taken,
           st->snapshots_installed, st->forged, st->max_recovery_ms, wall_ms);
}

/* The seed being run, printed when a core invariant aborts the process (invariant.h). */
static const struct sim_opts *current;

static void on_abort(const char *file, int line, const char *what)
{
    (void)file;
    (void)line;
    (void)what;
    if (current)
        printf("FAIL seed %" PRIu64 " nodes %d: a core invariant aborted\n"
               "  replay: SLUICE_SIM_SEED=%" PRIu64 " raft_sim --nodes %d --chaos-ms %" PRId64
               " --verbose\n",
               current->seed, current->nvoters, current->seed, current->nvoters, current->chaos_ms);
    fflush(stdout);
}

static int run_seed(void *ctx, int64_t k, uint64_t seed)
{
    static const int rotation[] = {3, 5, 1};
    struct run *r = ctx;
    struct sim_opts *o = &r->o;
    o->seed = seed;
    o->nvoters = r->d->size > 0 ? (int)r->d->size : rotation[k % 3];
    char err[512];
    current = o;
    if (sim_run(o, &r->st, err, sizeof(err)) == 0)
        return 0;
    printf("FAIL seed %" PRIu64 " nodes %d: %s\n", o->seed, o->nvoters, err);
    printf("  replay: SLUICE_SIM_SEED=%" PRIu64 " %s --nodes %d --chaos-ms %" PRId64
           "%s%s --verbose\n",
           o->seed, r->argv0, o->nvoters, o->chaos_ms, o->nobservers >= 0 ? " --observers " : "",
           o->nobservers >= 0 ? (o->nobservers ? "1" : "0") : "");
    return -1;
}

int main(int argc, char **argv)
{
    struct sim_driver d;
    sim_driver_init(&d);
    int64_t observers = -1;
    for (int i = 1; i < argc; i++) {
        int r = sim_driver_arg(&d, "--nodes", argc, argv, &i);
        if (r == 0 && strcmp(argv[i], "--observers") == 0 && i + 1 < argc &&
            sim_driver_parse_i64(argv[i + 1], &observers)) {
            i++;
            r = 1;
        }
        if (r <= 0) {
            usage();
            return 2;
        }
    }
    if (d.size == 0 || d.size > 7 || observers > 1 || !sim_driver_env(&d)) {
        usage();
        return 2;
    }
    struct run run = {.d = &d, .argv0 = argv[0]};
    sim_opts_default(&run.o);
    if (d.chaos_ms >= 0)
        run.o.chaos_ms = d.chaos_ms;
    if (observers >= 0)
        run.o.nobservers = (int)observers;
    run.o.verbose = d.verbose;
    log_set_level(d.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
    sl_check_set_hook(on_abort);
    return sim_driver_loop(&d, run_seed, print_stats, &run);
}
