/* log.c — the library's logging hook; stderr unless a program routes it. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include "ezc/log.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static ezc_log_handler handler;
static void *handler_ctx;
static ezc_log_level min_level = EZC_LOG_WARN;

void ezc_log_set_handler(ezc_log_handler fn, void *ctx)
{
    pthread_mutex_lock(&log_lock);
    handler = fn;
    handler_ctx = ctx;
    pthread_mutex_unlock(&log_lock);
}

void ezc_log_set_level(ezc_log_level level)
{
    min_level = level;
}

void ezc_log(ezc_log_level level, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level < min_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_lock);
    if (handler)
        handler(level, msg, handler_ctx);
    else
        fprintf(stderr, "ezc[%s]: %s\n", names[level], msg);
    pthread_mutex_unlock(&log_lock);
}

int ezc_log_first(unsigned *seen, int code)
{
    unsigned bit = 1u << ((unsigned)(code < 0 ? -code : code) & 31u);
    if (*seen & bit)
        return 0;
    *seen |= bit;
    return 1;
}
