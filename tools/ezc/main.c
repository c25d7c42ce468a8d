/* main.c — the `ezc` command: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "cli_graph.h"

int cmd_dash(int argc, char **argv); /* cmd_dash.c */

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"pub", cmd_pub, "publish a synthetic signal (sine, noise, counter) or a .npy file"},
    {"echo", cmd_echo, "print each message's header and a summary"},
    {"hz", cmd_hz, "rate, bandwidth, gaps and latency of a stream"},
    {"node", cmd_node, "run one transformer between an input and an output endpoint"},
    {"ls", cmd_ls, "list the named streams and running graphs of this host"},
    {"list", cmd_list, "list transformer and graph node types, or show one type's settings"},
    {"validate", cmd_validate, "check a graph file; every error with its line"},
    {"graph", cmd_graph, "draw a graph file (Graphviz dot or Mermaid)"},
    {"record", cmd_record, "write a stream's messages to a file, as received"},
    {"replay", cmd_replay, "publish a recording again, at its pace or as fast as taken"},
    {"keygen", cmd_keygen, "make a CURVE key pair (NAME.key, NAME.pub) for secure tcp://"},
    {"run", cmd_run, "run a graph file: nodes as threads, process groups as children"},
    {"top", cmd_top, "figures of every node of the running graphs, once a second"},
    {"set", cmd_set, "change a running node's settings: ezc set GRAPH/NODE key=value"},
    {"stop", cmd_stop, "stop a running graph cleanly"},
    {"dash", cmd_dash, "serve a live dashboard of the graphs and streams (browser)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: ezc COMMAND [options]   (ezc COMMAND --help for each)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexample, a live demo in three terminals:\n"
               "  ezc pub ipc:///tmp/raw --channels 8 --fs 1000\n"
               "  ezc node abs --in ipc:///tmp/raw --out ipc:///tmp/abs\n"
               "  ezc echo ipc:///tmp/abs --count 10\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ezc %s\n", EZC_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ezc: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
