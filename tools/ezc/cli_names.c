/* cli_names.c — stream names for the commands that connect (cli_names.h). */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "cli_names.h"

static ezc_stream_info resolved; /* the latest stream resolved by name (a CLI has one thread) */

int cli_name_take(const char *cmd, int c, const char *arg, double *wait_s)
{
    if (c != CLI_OPT_NAME_WAIT)
        return 0;
    if (cli_parse_double(cmd, "--wait", arg, wait_s))
        return -1;
    if (*wait_s < 0) {
        fprintf(stderr, "ezc %s: --wait must be a number of seconds >= 0\n", cmd);
        return -1;
    }
    return 1;
}

const char *cli_stream_endpoint(const char *cmd, const char *arg, double wait_s, char *buf,
                                size_t cap)
{
    if (ezc_names_is_endpoint(arg))
        return arg;
    ezc_stream_info si;
    ezc_error err;
    int ms = wait_s * 1000 > 2e9 ? -1 : (int)(wait_s * 1000);
    memset(&resolved, 0, sizeof resolved);
    if (ezc_names_wait(arg, ms, &si, &err)) {
        if (err.code != EZC_EINTR)
            fprintf(stderr, "ezc %s: %s\n", cmd, err.msg);
        return NULL;
    }
    resolved = si;
    snprintf(buf, cap, "%s", si.endpoint);
    return buf;
}

void cli_stream_clock(const char *cmd, ezc_sub *s)
{
    ezc_error err;
    if (ezc_sub_clock_track(s, &resolved, 1, &err))
        fprintf(stderr, "ezc %s: stamps stay on %s's clock: %s\n", cmd, resolved.host, err.msg);
}

void cli_stream_clock_line(ezc_sub *s, char *buf, size_t cap)
{
    ezc_clock_estimate e;
    char host[256];
    int rc = ezc_sub_clock(s, &e, host, sizeof host);
    if (rc == EZC_ENOTFOUND)
        snprintf(buf, cap, "%s", "");
    else if (rc)
        snprintf(buf, cap, "clock: %s not measured yet (%llu probes, none answered)", host,
                 (unsigned long long)e.sent);
    else
        snprintf(buf, cap, "clock: %s is %+.3f ms ahead (round trip %.3f ms, error <= %.3f ms)",
                 host, (double)e.offset_ns * 1e-6, (double)e.rtt_ns * 1e-6,
                 (double)e.rtt_ns * 0.5e-6);
}
