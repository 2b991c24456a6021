/*
 * repl_sim: runs the replication simulator (repl_sim.h) over many seeds.
 *
 *   repl_sim [--replicas N] [--seeds K] [--first-seed S] [--chaos-ms T]
 *            [--soak-seconds S] [--flush always|never] [--registration kip966|wait]
 *            [--alter-error-resets] [--no-kip903] [--last-epoch-from-batch]
 *            [--drop-empty-epoch] [--kafka-epoch-assign] [--trunc-skips-cache]
 *            [--min-isr-committed] [--alter-datagram] [--no-isr-check] [--verbose]
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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repl_sim.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: repl_sim [--replicas N] [--seeds K] [--first-seed S] [--chaos-ms T]\n"
            "                [--soak-seconds S] [--flush always|never]\n"
            "                [--registration kip966|wait] [--alter-error-resets] [--no-kip903]\n"
            "                [--last-epoch-from-batch] [--drop-empty-epoch]\n"
            "                [--kafka-epoch-assign] [--trunc-skips-cache] [--min-isr-committed]\n"
            "                [--alter-datagram] [--no-isr-check] [--verbose]\n"
            "env: SLUICE_SIM_SEED=<seed> replays one seed, SLUICE_SIM_VERBOSE=1 traces it\n");
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

static void print_stats(const char *what, const struct repl_sim_stats *st, int64_t wall)
{
    printf("%s: %" PRIu64 " seeds, %" PRIu64 " events, %" PRIu64 " simulated s, %" PRIu64
           " messages (%" PRIu64 " dropped), %" PRIu64 " leaderships, %" PRIu64
           " acks=all acknowledged (%" PRIu64 " refused or timed out), %" PRIu64
           " acks=1 acknowledged (%" PRIu64 " of them lost), %" PRIu64 " records read, %" PRIu64
           " acks and %" PRIu64 " records read from a replaced leader, %" PRIu64
           " diverging fetches, %" PRIu64 " records truncated, %" PRIu64 " crashes (%" PRIu64
           " without flush), %" PRIu64 " pauses, %" PRIu64 " ISR changes (%" PRIu64
           " AlterPartition refusals), slowest recovery %" PRId64 " ms; %" PRId64 " ms wall\n",
           what, st->runs, st->events, st->sim_ms / 1000, st->messages, st->dropped, st->leaders,
           st->acked_all, st->rejected, st->acked_one, st->lost_one, st->reads, st->stale_acks,
           st->stale_reads, st->diverging, st->truncated, st->crashes, st->crashes_unflushed,
           st->pauses, st->isr_changes, st->alter_errors, st->max_recovery_ms, wall);
}

/* The flags that reproduce o (besides the seed). */
static void replay_flags(const struct repl_sim_opts *o, char *buf, size_t len)
{
    snprintf(
        buf, len, "--replicas %d --chaos-ms %" PRId64 "%s%s%s%s%s%s%s%s%s%s%s", o->nreplicas,
        o->chaos_ms,
        o->flush == 1   ? " --flush always"
        : o->flush == 0 ? " --flush never"
                        : "",
        o->registration == 1   ? " --registration wait"
        : o->registration == 0 ? " --registration kip966"
                               : "",
        o->alter_error_resets ? " --alter-error-resets" : "", o->no_kip903 ? " --no-kip903" : "",
        o->last_epoch_from_batch ? " --last-epoch-from-batch" : "",
        o->drop_empty_epoch ? " --drop-empty-epoch" : "",
        o->kafka_epoch_assign ? " --kafka-epoch-assign" : "",
        o->trunc_skips_cache ? " --trunc-skips-cache" : "",
        o->min_isr_committed ? " --min-isr-committed" : "",
        o->alter_datagram ? " --alter-datagram" : "", o->no_isr_check ? " --no-isr-check" : "");
}

int main(int argc, char **argv)
{
    struct repl_sim_opts o;
    repl_sim_opts_default(&o);
    int64_t replicas = -1, seeds = 100, first = 1, soak = 0, chaos = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int64_t *dst = NULL;
        if (strcmp(a, "--verbose") == 0) {
            o.verbose = true;
            continue;
        } else if (strcmp(a, "--alter-error-resets") == 0) {
            o.alter_error_resets = true;
            continue;
        } else if (strcmp(a, "--no-kip903") == 0) {
            o.no_kip903 = true;
            continue;
        } else if (strcmp(a, "--last-epoch-from-batch") == 0) {
            o.last_epoch_from_batch = true;
            continue;
        } else if (strcmp(a, "--drop-empty-epoch") == 0) {
            o.drop_empty_epoch = true;
            continue;
        } else if (strcmp(a, "--kafka-epoch-assign") == 0) {
            o.kafka_epoch_assign = true;
            continue;
        } else if (strcmp(a, "--no-isr-check") == 0) {
            o.no_isr_check = true;
            continue;
        } else if (strcmp(a, "--alter-datagram") == 0) {
            o.alter_datagram = true;
            continue;
        } else if (strcmp(a, "--min-isr-committed") == 0) {
            o.min_isr_committed = true;
            continue;
        } else if (strcmp(a, "--trunc-skips-cache") == 0) {
            o.trunc_skips_cache = true;
            continue;
        } else if (strcmp(a, "--flush") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "always") == 0)
                o.flush = 1;
            else if (strcmp(v, "never") == 0)
                o.flush = 0;
            else {
                usage();
                return 2;
            }
            continue;
        } else if (strcmp(a, "--registration") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (strcmp(v, "wait") == 0)
                o.registration = 1;
            else if (strcmp(v, "kip966") == 0)
                o.registration = 0;
            else {
                usage();
                return 2;
            }
            continue;
        } else if (strcmp(a, "--replicas") == 0) {
            dst = &replicas;
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
    if (replicas == 0 || replicas > 7) {
        usage();
        return 2;
    }
    if (chaos >= 0)
        o.chaos_ms = chaos;
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

    static const int rotation[] = {3, 5};
    struct repl_sim_stats st;
    memset(&st, 0, sizeof(st));
    int64_t t0 = wall_ms();
    int failures = 0;
    for (int64_t k = 0;; k++) {
        if (soak > 0) {
            if (wall_ms() - t0 >= soak * 1000)
                break;
        } else if (k >= seeds) {
            break;
        }
        o.seed = (uint64_t)(first + k);
        o.nreplicas = replicas > 0 ? (int)replicas : (soak > 0 ? rotation[k % 2] : 3);
        char err[600];
        if (repl_sim_run(&o, &st, err, sizeof(err)) != 0) {
            failures++;
            printf("FAIL seed %" PRIu64 " replicas %d: %s\n", o.seed, o.nreplicas, err);
            /* Run it again to print its last events (the run is deterministic). */
            struct repl_sim_opts again = o;
            again.trace_tail = 60;
            struct repl_sim_stats ignored;
            memset(&ignored, 0, sizeof(ignored));
            repl_sim_run(&again, &ignored, err, sizeof(err));
            char flags[300];
            replay_flags(&o, flags, sizeof(flags));
            printf("  replay: SLUICE_SIM_SEED=%" PRIu64 " SLUICE_SIM_VERBOSE=1 %s %s\n", o.seed,
                   argv[0], flags);
            fflush(stdout);
            if (failures >= 5)
                break;
        }
        if (soak > 0 && (k + 1) % 1000 == 0) {
            print_stats("soak progress", &st, wall_ms() - t0);
            fflush(stdout);
        }
    }
    print_stats(failures ? "FAILED" : "ok", &st, wall_ms() - t0);
    return failures ? 1 : 0;
}
