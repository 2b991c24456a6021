/*
 * Descriptions of internal error codes (err.h).
 */
#include "err.h"

const char *sl_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define SL_ERR_CASE(name, value, text)                                                             \
    case name:                                                                                     \
        return text;
        SL_ERRORS(SL_ERR_CASE)
#undef SL_ERR_CASE
    }
    return "unknown error";
}
