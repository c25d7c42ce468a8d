/* cmd_set.c — `ezc set GRAPH/NODE key=value ...`: a running node's
 * settings changed through its graph's control socket (ezc/control.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "ezc/control.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ezc set GRAPH/NODE KEY=VALUE... [--timeout MS]\n"
               "Changes settings of node NODE of the running graph GRAPH (`ezc top` lists\n"
               "them); the others stay. The new set is checked first as `ezc validate`\n"
               "checks a file, with its messages; a refused one changes nothing.\n"
               "The node takes it between two messages, never inside one: a transformer\n"
               "that can keeps its state (butterworth: a new cutoff, the same delay line),\n"
               "any other is made again with the new settings, its state reset (logged by\n"
               "the graph). Sources and sinks take what can change without a restart and\n"
               "refuse the rest, naming the setting (docs/control.md has the table):\n"
               "  sine noise counter  freq amplitude seed\n"
               "  synth_mi            freq amplitude erd jitter noise seed\n"
               "  subscribe           endpoint stream topic (moves to that publisher)\n"
               "  print               every values\n"
               "  publish             lossy keep_empty (not endpoint, topic)\n"
               "  record              path (a new file, the old one closed whole) topic\n"
               "A list value is written as in a graph file: taps=[1, 2, 3]; an empty one\n"
               "as KEY= (subscribe: stream=emg/env endpoint=).\n"
               "Exit status: 0 taken (or accepted, for an idle node: taken with its next\n"
               "message); 1 refused, no such graph or node, or no answer; 2 usage.\n\n"
               "  --timeout MS     how long to wait for the graph's answer (default 3000)\n\n"
               "examples:\n"
               "  ezc set demo/bw cutoff=40\n"
               "  ezc set demo/bw cuton=8 cutoff=30 order=4\n"
               "  ezc set demo/rec path=/data/run2.ezr\n");
}

int cmd_set(int argc, char **argv)
{
    static const struct option opts[] = {{"timeout", 1, 0, 't'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    long long timeout = 3000;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (cli_parse_long("set", "--timeout", optarg, 1, 600000, &timeout))
                return 2;
            break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "ezc set: expected GRAPH/NODE and at least one KEY=VALUE\n");
        help(stderr);
        return 2;
    }
    char target[256];
    snprintf(target, sizeof target, "%s", argv[optind]);
    char *slash = strchr(target, '/');
    if (!slash || slash == target || !slash[1]) {
        fprintf(stderr, "ezc set: '%s': expected GRAPH/NODE\n", argv[optind]);
        return 2;
    }
    *slash = '\0';
    for (int i = optind + 1; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            fprintf(stderr, "ezc set: '%s': expected KEY=VALUE\n", argv[i]);
            return 2;
        }
    }
    ezc_error err;
    char info[128];
    if (ezc_control_set(target, slash + 1, (const char *const *)argv + optind + 1,
                        (size_t)(argc - optind - 1), (int)timeout, info, sizeof info, &err)) {
        fprintf(stderr, "ezc set: %s\n", err.msg);
        return 1;
    }
    printf("%s/%s: %s\n", target, slash + 1, info);
    return 0;
}
