/*
 * The command-line driver shared by the simulators' mains (sim_main.c,
 * repl_sim_main.c): the options every simulator takes, the SLUICE_SIM_SEED /
 * SLUICE_SIM_VERBOSE environment that replays one seed, and the loop over
 * seeds (a fixed number, or new seeds until a wall-time soak ends) that stops
 * after five failures and reports the totals.  What a seed runs, how a
 * failure is reported and what the totals are stay with each simulator.
 */
#ifndef SLUICE_SIM_DRIVER_H
#define SLUICE_SIM_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

/* What the command line and the environment ask for. */
struct sim_driver {
    int64_t size;     /* the simulator's size option (--nodes, --replicas), -1: not given */
    int64_t seeds;    /* --seeds K (100) */
    int64_t first;    /* --first-seed S (1) */
    int64_t soak_s;   /* --soak-seconds S; 0: run `seeds` seeds */
    int64_t chaos_ms; /* --chaos-ms T, -1: not given */
    bool verbose;     /* --verbose, or SLUICE_SIM_VERBOSE with SLUICE_SIM_SEED */
};

/* The defaults above. */
void sim_driver_init(struct sim_driver *d);

/* Parses a non-negative decimal integer that is the whole of s into *out;
 * false (and *out unchanged) otherwise. */
bool sim_driver_parse_i64(const char *s, int64_t *out);

/* Consumes argv[*i] when it is one of the options above (size_flag naming
 * the size option), advancing *i past its value.  Returns 1 when consumed, 0
 * when argv[*i] is not one of them, -1 when its value is missing or bad. */
int sim_driver_arg(struct sim_driver *d, const char *size_flag, int argc, char **argv, int *i);

/* Applies SLUICE_SIM_SEED=<seed> (that one seed only, no soak) and then
 * SLUICE_SIM_VERBOSE (anything but "0" sets verbose).  False when the seed is
 * not a number, d then unchanged. */
bool sim_driver_env(struct sim_driver *d);

/* Runs seed `seed`, the k-th of the loop (from 0); prints its own report of a
 * failure; returns 0 when every invariant held. */
typedef int (*sim_driver_run_fn)(void *ctx, int64_t k, uint64_t seed);

/* Prints the totals so far, headed `what` ("ok", "FAILED", "soak progress"),
 * with the wall time since the loop began. */
typedef void (*sim_driver_report_fn)(void *ctx, const char *what, int64_t wall_ms);

/* Runs d->seeds seeds from d->first, or with d->soak_s > 0 new seeds until
 * that many seconds of wall time have passed (reporting progress every 1000
 * seeds); stops after five failures; reports the totals.  Returns the exit
 * status: 0 when every seed held, 1 otherwise. */
int sim_driver_loop(const struct sim_driver *d, sim_driver_run_fn run, sim_driver_report_fn report,
                    void *ctx);

#endif
