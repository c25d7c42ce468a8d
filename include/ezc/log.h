/* ezc/log.h — the library's one logging hook.
 *
 * Library code never prints by itself except through here; a program may
 * route messages elsewhere with ezc_log_set_handler. Thread-safe. */
#ifndef EZC_LOG_H
#define EZC_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { EZC_LOG_DEBUG, EZC_LOG_INFO, EZC_LOG_WARN, EZC_LOG_ERROR } ezc_log_level;

typedef void (*ezc_log_handler)(ezc_log_level level, const char *msg, void *ctx);

/* Default: WARN and above to stderr as "ezc[warn]: msg". NULL restores it. */
void ezc_log_set_handler(ezc_log_handler fn, void *ctx);
void ezc_log_set_level(ezc_log_level min_level);
void ezc_log(ezc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For "log the first of each kind, count the rest": 1 the first time
 * `code` (an EZC_E* error code, or any small kind number) is passed with
 * this *seen, 0 after. *seen starts at 0 and belongs to one thread. */
int ezc_log_first(unsigned *seen, int code);

#ifdef __cplusplus
}
#endif
#endif
