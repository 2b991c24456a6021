/*
 * Arming the faultfs shim (faultfs.c) from a C test that runs with it in
 * LD_PRELOAD: faultfs_ctl_init points SLUICE_FAULTFS at a control file of
 * this process, faultfs_arm writes one rule ("write .index ENOSPC") and
 * faultfs_clear removes it.  faultfs_loaded tells whether the shim is there.
 */
#ifndef SLUICE_TESTS_FAULTFS_CTL_H
#define SLUICE_TESTS_FAULTFS_CTL_H

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char faultfs_ctl_path[64];

static inline void faultfs_ctl_init(void)
{
    snprintf(faultfs_ctl_path, sizeof faultfs_ctl_path, "/tmp/sluice-faultfs-%d.ctl",
             (int)getpid());
    setenv("SLUICE_FAULTFS", faultfs_ctl_path, 1);
    unlink(faultfs_ctl_path);
}

static inline void faultfs_arm(const char *rule)
{
    FILE *f = fopen(faultfs_ctl_path, "w");
    if (f == NULL) {
        perror(faultfs_ctl_path);
        abort();
    }
    fprintf(f, "%s\n", rule);
    fclose(f);
}

static inline void faultfs_clear(void)
{
    unlink(faultfs_ctl_path);
}

/* True when the shim is preloaded (it defines faultfs's marker symbol). */
static inline bool faultfs_loaded(void)
{
    return dlsym(RTLD_DEFAULT, "sluice_faultfs_marker") != NULL;
}

#endif
