/*
 * Invariant checks that stay on in every build (DESIGN.md: a broken
 * invariant stops the node; it is never logged and ignored).  Unlike
 * assert(3), NDEBUG does not remove them.
 */
#ifndef SLUICE_SL_ASSERT_H
#define SLUICE_SL_ASSERT_H

/* Logs the failed condition with its place and aborts the process.  Never returns. */
_Noreturn void sl_assert_fail(const char *cond, const char *file, int line, const char *func);

/* Stops the node when `cond` is false. */
#define SL_ASSERT(cond) ((cond) ? (void)0 : sl_assert_fail(#cond, __FILE__, __LINE__, __func__))

#endif
