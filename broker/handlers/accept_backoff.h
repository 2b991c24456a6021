/*
 * Backoff for a listening socket whose accept() fails (EMFILE at the
 * open-file limit, ENFILE, ENOBUFS).  The pending connection stays readable,
 * so retrying at once would spin the loop and flood the log; instead the
 * owner stops accepting for a pause that doubles from 100 ms up to 1 s, and
 * one line is logged per pause.  Used by the Kafka listeners (conn.c) and the
 * admin listener (admin_server.c).
 */
#ifndef SLUICE_BROKER_ACCEPT_BACKOFF_H
#define SLUICE_BROKER_ACCEPT_BACKOFF_H

#include <stdbool.h>

struct event;
struct event_base;

struct accept_backoff {
    struct event *timer; /* ends the current pause */
    int pause_ms;        /* the current pause; 0 after a successful accept */
    long errors;         /* failed accepts since the last log line */
    bool paused;
    const char *what; /* names the listener in log lines; owned by the caller */
    /* Called with true when accepting must stop, with false when it may resume. */
    void (*set_paused)(void *ctx, bool paused);
    void *ctx;
};

/* Prepares *ab (zeroed by the caller).  Returns 0 or -1 when the timer cannot be made. */
int accept_backoff_init(struct accept_backoff *ab, struct event_base *base, const char *what,
                        void (*set_paused)(void *ctx, bool paused), void *ctx);

/* Releases the timer; no callback runs afterwards. */
void accept_backoff_free(struct accept_backoff *ab);

/* accept() failed with errno-style `err`: starts a pause unless one is running. */
void accept_backoff_failed(struct accept_backoff *ab, int err);

/* accept() succeeded: the next failure starts again from the shortest pause. */
void accept_backoff_succeeded(struct accept_backoff *ab);

#endif
