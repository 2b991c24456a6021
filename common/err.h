/*
 * Internal error codes: functions return 0 on success or one of these
 * negative values.  Kafka wire error codes (int16) are a separate space that
 * lives in protocol/, broker/ and controller/ and is never mixed with these.
 */
#ifndef SLUICE_ERR_H
#define SLUICE_ERR_H

#define SL_ERRORS(X)                                                                               \
    X(SL_EIO, -1, "input/output error")                                                            \
    X(SL_ECORRUPT, -2, "corrupt data")                                                             \
    X(SL_EINVAL, -3, "invalid argument")                                                           \
    X(SL_ENOTFOUND, -4, "not found")                                                               \
    X(SL_EEXISTS, -5, "already exists")                                                            \
    X(SL_ERANGE, -6, "out of range")                                                               \
    X(SL_ETOOLARGE, -7, "too large")                                                               \
    X(SL_EAGAIN, -8, "try again")                                                                  \
    X(SL_EUNSUPPORTED, -9, "unsupported")                                                          \
    X(SL_ESTATE, -10, "invalid state")                                                             \
    X(SL_ETIMEOUT, -11, "timed out")                                                               \
    X(SL_ECLOSED, -12, "closed")

enum sl_err {
#define SL_ERR_ENUM(name, value, text) name = value,
    SL_ERRORS(SL_ERR_ENUM)
#undef SL_ERR_ENUM
};

/* A static description of an internal error code (or "success" for 0). */
const char *sl_strerror(int err);

#endif
