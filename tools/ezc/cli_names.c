/* cli_names.c — stream names for the commands that connect (cli_names.h). */
#include <stdio.h>
#include "cli.h"
#include "cli_names.h"

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
    if (ezc_names_wait(arg, ms, &si, &err)) {
        if (err.code != EZC_EINTR)
            fprintf(stderr, "ezc %s: %s\n", cmd, err.msg);
        return NULL;
    }
    snprintf(buf, cap, "%s", si.endpoint);
    return buf;
}
