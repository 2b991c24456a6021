/*
 * The command-line driver shared by the simulators' mains (sim_driver.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_driver.h"

#define MAX_FAILURES 5

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sim_driver_init(struct sim_driver *d)
{
    *d = (struct sim_driver){.size = -1, .seeds = 100, .first = 1, .soak_s = 0, .chaos_ms = -1};
}

bool sim_driver_parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || v < 0)
        return false;
    *out = v;
    return true;
}

int sim_driver_arg(struct sim_driver *d, const char *size_flag, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    int64_t *dst = NULL;
    if (strcmp(a, "--verbose") == 0) {
        d->verbose = true;
        return 1;
    } else if (strcmp(a, size_flag) == 0) {
        dst = &d->size;
    } else if (strcmp(a, "--seeds") == 0) {
        dst = &d->seeds;
    } else if (strcmp(a, "--first-seed") == 0) {
        dst = &d->first;
    } else if (strcmp(a, "--soak-seconds") == 0) {
        dst = &d->soak_s;
    } else if (strcmp(a, "--chaos-ms") == 0) {
        dst = &d->chaos_ms;
    } else {
        return 0;
    }
    if (*i + 1 >= argc || !sim_driver_parse_i64(argv[*i + 1], dst))
        return -1;
    (*i)++;
    return 1;
}

bool sim_driver_env(struct sim_driver *d)
{
    const char *env = getenv("SLUICE_SIM_SEED");
    if (!env)
        return true;
    int64_t seed;
    if (!sim_driver_parse_i64(env, &seed))
        return false;
    d->first = seed;
    d->seeds = 1;
    d->soak_s = 0;
    const char *v = getenv("SLUICE_SIM_VERBOSE");
    if (v && strcmp(v, "0") != 0)
        d->verbose = true;
    return true;
}

int sim_driver_loop(const struct sim_driver *d, sim_driver_run_fn run, sim_driver_report_fn report,
                    void *ctx)
{
    int64_t t0 = wall_ms();
    int failures = 0;
    for (int64_t k = 0;; k++) {
        if (d->soak_s > 0) {
            if (wall_ms() - t0 >= d->soak_s * 1000)
                break;
        } else if (k >= d->seeds) {
            break;
        }
        if (run(ctx, k, (uint64_t)(d->first + k)) != 0) {
            failures++;
            fflush(stdout);
            if (failures >= MAX_FAILURES)
                break;
        }
        if (d->soak_s > 0 && (k + 1) % 1000 == 0) {
            report(ctx, "soak progress", wall_ms() - t0);
            fflush(stdout);
        }
    }
    report(ctx, failures ? "FAILED" : "ok", wall_ms() - t0);
    return failures ? 1 : 0;
}
