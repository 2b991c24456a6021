/*
 * The generic schema-driven round trip of test_roundtrip.c (encode ->
 * decode -> re-encode, truncations, random corruption), run over the
 * CONTROLLER listener's API table (api_controller.h) instead of the client
 * listener's: every entry, every advertised version, request and response.
 * The walker is included, not copied, with its three table accessors mapped
 * to the controller table's.
 */
#include "api_controller.h"

#define proto_api_count       proto_api_controller_count
#define proto_api_at          proto_api_controller_at
#define proto_api_is_flexible proto_api_controller_is_flexible
#define main                  roundtrip_controller_table_main
int roundtrip_controller_table_main(void);

#include "test_roundtrip.c"

#undef main

int main(void)
{
    return roundtrip_controller_table_main();
}
