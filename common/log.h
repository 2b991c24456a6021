/*
 * Process-wide logging to stderr: one line per message with a UTC timestamp,
 * the level and the subsystem ("[broker]", "[storage]" ...).
 */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Messages below `level` are dropped.  Default: LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn" or "error"; returns -1 when unknown. */
int log_level_parse(const char *s);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_DEBUG(sub, ...)                                                                        \
    do {                                                                                           \
        if (log_get_level() <= LOG_LEVEL_DEBUG)                                                    \
            log_msg(LOG_LEVEL_DEBUG, sub, __VA_ARGS__);                                            \
    } while (0)
#define LOG_INFO(sub, ...)  log_msg(LOG_LEVEL_INFO, sub, __VA_ARGS__)
#define LOG_WARN(sub, ...)  log_msg(LOG_LEVEL_WARN, sub, __VA_ARGS__)
#define LOG_ERROR(sub, ...) log_msg(LOG_LEVEL_ERROR, sub, __VA_ARGS__)

#endif
