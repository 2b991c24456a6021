/*
 * The generic schema-driven round trip of test_roundtrip.c (encode ->
 * decode -> re-encode, truncations, random corruption), run over the
 * CONTROLLER listener's API table (api_controller.h) instead of the client
 * listener's: every entry, every advertised version, request and response.
 * The walker is included, not copied, with ROUNDTRIP_APIS naming the
 * controller table.
 */
#include "api_controller.h"

#define ROUNDTRIP_APIS (&proto_controller_apis)
#define main           roundtrip_controller_table_main
int roundtrip_controller_table_main(void);

#include "test_roundtrip.c"

#undef main

int main(void)
{
    return roundtrip_controller_table_main();
}
