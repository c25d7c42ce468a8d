/* cmd_stop.c — `ezc stop GRAPH`: a running graph stops as on Ctrl-C,
 * asked through its control socket (ezc/control.h). */
#include <getopt.h>
#include <stdio.h>
#include "cli.h"
#include "ezc/control.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ezc stop GRAPH [--timeout MS]\n"
               "Stops the running graph GRAPH (`ezc top` lists them) as Ctrl-C would: every\n"
               "node finishes cleanly, recordings get their index, `ezc run` exits 0. Returns\n"
               "once the graph has taken the request, not when it has exited.\n"
               "Exit status: 0 taken; 1 no such graph or no answer (docs/control.md).\n\n"
               "  --timeout MS     how long to wait for the graph's answer (default 2000)\n\n"
               "example:\n"
               "  ezc stop demo_abs\n");
}

int cmd_stop(int argc, char **argv)
{
    static const struct option opts[] = {{"timeout", 1, 0, 't'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    long long timeout = 2000;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (cli_parse_long("stop", "--timeout", optarg, 1, 600000, &timeout))
                return 2;
            break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "ezc stop: expected one GRAPH\n");
        help(stderr);
        return 2;
    }
    ezc_error err;
    if (ezc_control_stop(argv[optind], (int)timeout, &err)) {
        fprintf(stderr, "ezc stop: %s\n", err.msg);
        return 1;
    }
    return 0;
}
