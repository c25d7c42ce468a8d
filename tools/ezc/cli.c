/* cli.c — option parsing helpers, signal handling and the message summary. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "ezc/summary.h"

volatile sig_atomic_t cli_stop;
volatile sig_atomic_t cli_forced;
static volatile sig_atomic_t role;
static pid_t supervisor; /* CLI_SIGNALS_CHILD: the parent at install time */

static void say(const char *msg)
{
    ssize_t n = write(2, msg, strlen(msg));
    (void)n;
}

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    if (!cli_stop) {
        cli_stop = 1;
        ezc_interrupt();
    } else if (role == CLI_SIGNALS_CHILD && getppid() == supervisor) {
        /* the supervisor's follow-up, or a repeat the supervisor counts */
    } else if (role == CLI_SIGNALS_SUPERVISOR && !cli_forced) {
        cli_forced = 1;
    } else {
        say("ezc: second signal: forced exit, without cleanup (recordings may lack their "
            "index, ipc socket files may remain)\n");
        _exit(130);
    }
    errno = saved;
}

void cli_install_signals_as(int r)
{
    role = r;
    supervisor = getppid();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* One handler at a time: the first and second signal never interleave. */
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_install_signals(void)
{
    cli_install_signals_as(CLI_SIGNALS_DEFAULT);
}

int cli_parse_double(const char *cmd, const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v)) {
        fprintf(stderr, "ezc %s: %s '%s': expected a number\n", cmd, opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_long(const char *cmd, const char *opt, const char *text, long long min, long long max,
                   long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "ezc %s: %s '%s': expected an integer in [%lld, %lld]\n", cmd, opt, text,
                min, max);
        return -1;
    }
    *out = v;
    return 0;
}

void cli_print_summary(FILE *f, const char *topic, const ezc_array *a, int header_only)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    ezc_summary_header(f, topic, a);
    if (!header_only) {
        double mn, mx;
        if (ezc_summary_min_max(a, &mn, &mx) == 0)
            fprintf(f, " min=%.6g max=%.6g", mn, mx);
    }
    if (a->ts_ns)
        fprintf(f, " latency=%.0fus", ((double)now_ns - (double)a->ts_ns) / 1e3); /* any ts */
    fputc('\n', f);
    fflush(f);
}
