/* ezc/error.h — error codes and the error record every fallible call fills.
 *
 * Every function that can fail returns an int: 0 on success, a negative
 * EZC_E* code on failure. When the caller passes a non-NULL ezc_error, the
 * message names the thing and the place ("clip: min (5) > max (1)"). */
#ifndef EZC_ERROR_H
#define EZC_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    EZC_OK = 0,
    EZC_EINVAL = -1,     /* invalid argument or setting */
    EZC_ENOMEM = -2,     /* allocation failed */
    EZC_EDTYPE = -3,     /* dtype not supported by the operation */
    EZC_ESHAPE = -4,     /* shapes or dims do not fit */
    EZC_ENOTSUP = -5,    /* the backend lacks the operation */
    EZC_EDEVICE = -6,    /* no backend for the data's device */
    EZC_EPROTO = -7,     /* malformed wire frame */
    EZC_EIO = -8,        /* socket, file or system call failed */
    EZC_ETIMEOUT = -9,   /* nothing arrived in time */
    EZC_ENOTFOUND = -10, /* name not found (setting, axis, type, plugin) */
    EZC_EABI = -11,      /* plugin built for another ABI */
    EZC_ENUMERIC = -12,  /* numerical failure (singular matrix, no convergence) */
    EZC_EINTR = -13,     /* a wait was cut short: a stop was requested (ezc/interrupt.h) */
    EZC_EEOS = -14,      /* not a failure: the stream ended (an end-of-stream marker
                           arrived: ezc/sub.h, docs/wire-format.md) */
};

#define EZC_ERROR_MSG_MAX 512

typedef struct ezc_error {
    int code;
    char msg[EZC_ERROR_MSG_MAX];
} ezc_error;

/* Records code and a printf-style message in err (which may be NULL) and
 * returns code, so that `return ezc_error_set(err, EZC_EINVAL, ...)` reads
 * naturally. */
int ezc_error_set(ezc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an error already set (adds context on the way up). */
int ezc_error_prefix(ezc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears err to code 0 and an empty message. */
void ezc_error_clear(ezc_error *err);

/* A short static name for a code ("EZC_EPROTO: malformed frame"). */
const char *ezc_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif
