/* error.c — filling ezc_error records and naming codes. */
#include <stdio.h>
#include <string.h>
#include "ezc/error.h"

int ezc_error_set(ezc_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int ezc_error_prefix(ezc_error *err, const char *fmt, ...)
{
    if (!err)
        return 0;
    char prefix[EZC_ERROR_MSG_MAX], old[EZC_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is fine: the message is for people. */
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t m = strlen(old);
    if (m > sizeof err->msg - n - 3)
        m = sizeof err->msg - n - 3;
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    return err->code;
}

void ezc_error_clear(ezc_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *ezc_strerror(int code)
{
    switch (code) {
    case EZC_OK: return "ok";
    case EZC_EINVAL: return "EZC_EINVAL: invalid argument";
    case EZC_ENOMEM: return "EZC_ENOMEM: out of memory";
    case EZC_EDTYPE: return "EZC_EDTYPE: unsupported dtype";
    case EZC_ESHAPE: return "EZC_ESHAPE: shape mismatch";
    case EZC_ENOTSUP: return "EZC_ENOTSUP: operation not supported";
    case EZC_EDEVICE: return "EZC_EDEVICE: no backend for device";
    case EZC_EPROTO: return "EZC_EPROTO: malformed frame";
    case EZC_EIO: return "EZC_EIO: I/O error";
    case EZC_ETIMEOUT: return "EZC_ETIMEOUT: timed out";
    case EZC_ENOTFOUND: return "EZC_ENOTFOUND: not found";
    case EZC_EABI: return "EZC_EABI: ABI mismatch";
    case EZC_ENUMERIC: return "EZC_ENUMERIC: numerical failure";
    case EZC_EINTR: return "EZC_EINTR: interrupted (stop requested)";
    case EZC_EEOS: return "EZC_EEOS: end of stream";
    default: return "unknown error";
    }
}
