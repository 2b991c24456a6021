/*
 * Invariant checks that stay on in every build (never compiled out by
 * NDEBUG): a broken invariant stops the process instead of being logged and
 * ignored.  Only for conditions the program itself guarantees; input from
 * the network or the disk is validated and refused, never SL_ASSERTed.
 * (Not named check.h: the unit-test library owns that header name.)
 */
#ifndef SLUICE_INVARIANT_H
#define SLUICE_INVARIANT_H

/*
 * Called before the process aborts on a failed check (for example the
 * simulator prints its seed).  One hook per process; NULL removes it.
 */
typedef void (*sl_check_hook_fn)(const char *file, int line, const char *what);
void sl_check_set_hook(sl_check_hook_fn fn);

/* Logs "file:line: invariant broken: what", runs the hook and aborts. */
_Noreturn void sl_check_fail(const char *file, int line, const char *what);

/* Aborts with file:line and the condition's text when cond is false. */
#define SL_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (__builtin_expect(!(cond), 0))                                                          \
            sl_check_fail(__FILE__, __LINE__, #cond);                                              \
    } while (0)

/* Like SL_ASSERT with a fixed description instead of the condition text. */
#define SL_ASSERT_MSG(cond, what)                                                                  \
    do {                                                                                           \
        if (__builtin_expect(!(cond), 0))                                                          \
            sl_check_fail(__FILE__, __LINE__, (what));                                             \
    } while (0)

#endif
