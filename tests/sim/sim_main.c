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
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "sim.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: raft_sim [--nodes N] [--observers 0|1] [--seeds K] [--first-seed S]\n"
            "                [--chaos-ms T] [--soak-seconds S] [--verbose]\n"
            "env: SLUICE_SIM_SEED=<seed> replays one seed, SLUICE_SIM_VERBOSE=1 traces it\n");
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || v < 0)
        return false;
    *out = v;
    return true;
}

static void print_stats(const char *what, const struct sim_stats *st, int64_t wall_ms)
{
    printf("%s: %" PRIu64 " seeds, %" PRIu64 " events, %" PRIu64 " simulated s, %" PRIu64
           " messages (%" PRIu64 " dropped), %" PRIu64 " leaders elected, %" PRIu64
           " batches committed, %" PRIu64 " proposals, %" PRIu64 " crashes, %" PRIu64
           " truncations, %" PRIu64 " snapshots taken, %" PRIu64
           " installed from a leader, slowest recovery %" PRId64 " ms; %" PRId64 " ms wall\n",
           what, st->runs, st->events, st->sim_ms / 1000, st->messages, st->dropped, st->leaders,
           st->committed_batches, st->proposals, st->crashes, st->truncations, st->snapshots_taken,
           st->snapshots_installed, st->max_recovery_ms, wall_ms);
}

int main(int argc, char **argv)
{
    struct sim_opts o;
    sim_opts_default(&o);
    int64_t nodes = -1, seeds = 100, first = 1, soak = 0, chaos = -1, observers = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int64_t *dst = NULL;
        if (strcmp(a, "--verbose") == 0) {
            o.verbose = true;
            continue;
        } else if (strcmp(a, "--nodes") == 0) {
            dst = &nodes;
        } else if (strcmp(a, "--observers") == 0) {
            dst = &observers;
        } else if (strcmp(a, "--seeds") == 0) {
            dst = &seeds;
        } else if (strcmp(a, "--first-seed") == 0) {
            dst = &first;
        } else if (strcmp(a, "--soak-seconds") == 0) {
            dst = &soak;
        } else if (strcmp(a, "--chaos-ms") == 0) {
            dst = &chaos;
        }
        if (!dst || i + 1 >= argc || !parse_i64(argv[i + 1], dst)) {
            usage();
            return 2;
        }
        i++;
    }
    if (nodes == 0 || nodes > 7 || observers > 1) {
        usage();
        return 2;
    }
    if (chaos >= 0)
        o.chaos_ms = chaos;
    if (observers >= 0)
        o.nobservers = (int)observers;
    const char *env = getenv("SLUICE_SIM_SEED");
    if (env) {
        int64_t seed;
        if (!parse_i64(env, &seed)) {
            usage();
            return 2;
        }
        first = seed;
        seeds = 1;
        soak = 0;
        const char *v = getenv("SLUICE_SIM_VERBOSE");
        if (v && strcmp(v, "0") != 0)
            o.verbose = true;
    }
    log_set_level(o.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);

    static const int rotation[] = {3, 5, 1};
    struct sim_stats st;
    memset(&st, 0, sizeof(st));
    int64_t t0 = clock_mono_ms();
    int failures = 0;
    for (int64_t k = 0;; k++) {
        if (soak > 0) {
            if (clock_mono_ms() - t0 >= soak * 1000)
                break;
        } else if (k >= seeds) {
            break;
        }
        o.seed = (uint64_t)(first + k);
        o.nvoters = nodes > 0 ? (int)nodes : rotation[k % 3];
        char err[512];
        if (sim_run(&o, &st, err, sizeof(err)) != 0) {
            failures++;
            printf("FAIL seed %" PRIu64 " nodes %d: %s\n", o.seed, o.nvoters, err);
            printf("  replay: SLUICE_SIM_SEED=%" PRIu64 " %s --nodes %d --chaos-ms %" PRId64
                   "%s%s --verbose\n",
                   o.seed, argv[0], o.nvoters, o.chaos_ms, o.nobservers >= 0 ? " --observers " : "",
                   o.nobservers >= 0 ? (o.nobservers ? "1" : "0") : "");
            fflush(stdout);
            if (failures >= 5)
                break;
        }
        if (soak > 0 && (k + 1) % 1000 == 0) {
            print_stats("soak progress", &st, clock_mono_ms() - t0);
            fflush(stdout);
        }
    }
    print_stats(failures ? "FAILED" : "ok", &st, clock_mono_ms() - t0);
    return failures ? 1 : 0;
}
