/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
 * Kafka record batch v2 (KIP-98) and of our own on-disk files.
 *
 * crc32c() uses the SSE4.2 CRC32 instruction when the CPU has it (checked
 * at run time) and a slicing-by-8 table otherwise.  Both give identical
 * results; the two paths are exported separately so tests can compare them.
 */
#ifndef SLUICE_CRC32C_H
#define SLUICE_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Returns the CRC-32C of `len` bytes at `data`, continuing from `crc` (pass 0
 * to start; standard init and final xor are applied inside, so
 * crc32c(crc32c(0, a, n), b, m) equals the CRC of a followed by b).
 * crc32c(0, "123456789", 9) == 0xE3069283.  Thread-safe, no allocation.
 */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/* The portable slicing-by-8 path, same contract as crc32c(). */
uint32_t crc32c_sw(uint32_t crc, const void *data, size_t len);

/* True when this CPU supports the SSE4.2 path. */
bool crc32c_hw_available(void);

/*
 * The SSE4.2 path, same contract as crc32c().  Must only be called when
 * crc32c_hw_available() is true (otherwise it falls back to crc32c_sw()).
 */
uint32_t crc32c_hw(uint32_t crc, const void *data, size_t len);

#endif
