/*
 * The failure path of SL_ASSERT (sl_assert.h).
 */
#include "sl_assert.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"

void sl_assert_fail(const char *cond, const char *file, int line, const char *func)
{
    LOG_ERROR("assert", "invariant broken at %s:%d (%s): %s; stopping", file, line, func, cond);
    fflush(stderr);
    abort();
}
