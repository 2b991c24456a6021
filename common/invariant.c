/*
 * Always-on invariant checks (invariant.h).
 */
#include "invariant.h"

#include <stdlib.h>

#include "log.h"

static sl_check_hook_fn check_hook;

void sl_check_set_hook(sl_check_hook_fn fn)
{
    check_hook = fn;
}

void sl_check_fail(const char *file, int line, const char *what)
{
    LOG_ERROR("check", "%s:%d: invariant broken: %s", file, line, what);
    if (check_hook)
        check_hook(file, line, what);
    abort();
}
