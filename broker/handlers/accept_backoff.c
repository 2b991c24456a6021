/*
 * Accept-error backoff (accept_backoff.h).
 */
#include "accept_backoff.h"

#include <event2/event.h>
#include <event2/util.h>
#include <string.h>

#include "log.h"

#define ACCEPT_BACKOFF_MIN_MS 100
#define ACCEPT_BACKOFF_MAX_MS 1000

static void on_pause_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct accept_backoff *ab = arg;
    ab->paused = false;
    ab->set_paused(ab->ctx, false);
}

int accept_backoff_init(struct accept_backoff *ab, struct event_base *base, const char *what,
                        void (*set_paused)(void *ctx, bool paused), void *ctx)
{
    ab->what = what;
    ab->set_paused = set_paused;
    ab->ctx = ctx;
    ab->timer = evtimer_new(base, on_pause_done, ab);
    return ab->timer ? 0 : -1;
}

void accept_backoff_free(struct accept_backoff *ab)
{
    if (ab->timer)
        event_free(ab->timer);
    ab->timer = NULL;
}

void accept_backoff_failed(struct accept_backoff *ab, int err)
{
    ab->errors++;
    if (ab->paused)
        return;
    ab->pause_ms = ab->pause_ms ? ab->pause_ms * 2 : ACCEPT_BACKOFF_MIN_MS;
    if (ab->pause_ms > ACCEPT_BACKOFF_MAX_MS)
        ab->pause_ms = ACCEPT_BACKOFF_MAX_MS;
    ab->paused = true;
    ab->set_paused(ab->ctx, true);
    struct timeval tv = {ab->pause_ms / 1000, (ab->pause_ms % 1000) * 1000};
    evtimer_add(ab->timer, &tv);
    LOG_WARN("broker", "%s: accept failed (%s, %ld time(s)); pausing accepts for %d ms", ab->what,
             evutil_socket_error_to_string(err), ab->errors, ab->pause_ms);
    ab->errors = 0;
}

void accept_backoff_succeeded(struct accept_backoff *ab)
{
    ab->pause_ms = 0;
}
