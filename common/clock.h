/*
 * Time sources.  Monotonic milliseconds for timeouts, wall-clock milliseconds
 * for timestamps that end up on disk or on the wire.
 */
#ifndef SLUICE_CLOCK_H
#define SLUICE_CLOCK_H

#include <stdint.h>

int64_t clock_mono_ms(void);
int64_t clock_mono_us(void);
int64_t clock_wall_ms(void);

#endif
