/* cmd_node.c — `ezc node`: one transformer between two endpoints. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "cli_curve.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ezc node TYPE --in ENDPOINT --out ENDPOINT [options]\n"
               "Runs transformer TYPE on every message from --in (connects) and publishes\n"
               "the results on --out (binds). Bad messages are logged once per kind,\n"
               "counted, and skipped; the node keeps running.\n\n"
               "  --in EP          input endpoint (a publisher)\n"
               "  --out EP         output endpoint to bind\n"
               "  --set NAME=VAL   a setting (repeatable); `ezc list TYPE` shows them\n"
               "  --plugin PATH    load transformer types from a plugin (repeatable)\n"
               "  --topic T        input topic prefix (default: all)\n"
               "  --count N        exit after N input messages\n"
               "  --keep-empty     also publish results with no elements (a window not yet\n"
               "                   full gives one); by default they stay in the node\n"
               "  --stall-timeout MS  a subscriber of --out whose queue stays full this long\n"
               "                   no longer holds the others up: it misses messages until\n"
               "                   it reads again; counted and logged once (default 2000;\n"
               "                   0 = wait for every subscriber, lossless)\n"
               "  --curve-server KEYFILE --curve-allow DIR  CURVE on a tcp:// --out (see\n"
               "                   `ezc pub --help`)\n"
               "  --curve-client KEYFILE --curve-server-pub PUBFILE  CURVE on a tcp:// --in\n"
               "                   (see `ezc echo --help`)\n\n"
               "End of stream: when the input's publisher ends its stream (docs/wire-format.md),\n"
               "the node sends the end-of-stream marker on --out and exits 0.\n"
               "Ctrl-C / SIGTERM stop it within about 0.1 s, even while a subscriber that\n"
               "stopped reading holds it up; messages still queued get 1 s to leave, then\n"
               "it exits 0; the ipc:// socket file of --out is removed. A second signal\n"
               "forces the exit at once (status 130).\n\n"
               "examples:\n"
               "  ezc node abs --in ipc:///tmp/raw --out ipc:///tmp/abs\n"
               "  ezc node clip --set min=-0.5 --set max=0.5 --in tcp://127.0.0.1:5560 --out "
               "tcp://0.0.0.0:5561\n");
}

int cmd_node(int argc, char **argv)
{
    static const struct option opts[] = {
        {"in", 1, 0, 'i'},         {"out", 1, 0, 'o'},       {"set", 1, 0, 's'},
        {"plugin", 1, 0, 'p'},     {"topic", 1, 0, 't'},     {"count", 1, 0, 'n'},
        {"keep-empty", 0, 0, 'k'}, {"help", 0, 0, 'h'},      {"stall-timeout", 1, 0, 'S'},
        CLI_CURVE_SERVER_OPTIONS,  CLI_CURVE_CLIENT_OPTIONS, {0, 0, 0, 0}};
    cli_curve cc = {0};
    long long stall_ms = 2000;
    const char *in = NULL, *out = NULL, *topic = "";
    long long count = 0;
    int c, rc = 2, keep_empty = 0;
    ezc_error err;
    ezc_registry *reg = ezc_registry_new(&err);
    ezc_settings *set = ezc_settings_new(&err);
    ezc_transformer *t = NULL;
    ezc_sub *sub = NULL;
    ezc_pub *pub = NULL;
    if (!reg || !set || ezc_registry_add_builtins(reg, &err)) {
        fprintf(stderr, "ezc node: %s\n", err.msg);
        goto done;
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 't': topic = optarg; break;
        case 'n':
            if (cli_parse_long("node", "--count", optarg, 0, 1LL << 62, &count))
                goto done;
            break;
        case 's': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                fprintf(stderr, "ezc node: --set '%s': expected NAME=VALUE\n", optarg);
                goto done;
            }
            *eq = '\0';
            if (ezc_settings_set(set, optarg, eq + 1, "--set", &err)) {
                fprintf(stderr, "ezc node: %s\n", err.msg);
                goto done;
            }
            break;
        }
        case 'p':
            if (ezc_registry_load_plugin(reg, optarg, &err)) {
                fprintf(stderr, "ezc node: %s\n", err.msg);
                goto done;
            }
            break;
        case 'k': keep_empty = 1; break;
        case 'S':
            if (cli_parse_long("node", "--stall-timeout", optarg, 0, 3600000, &stall_ms))
                goto done;
            break;
        case 'h':
            help(stdout);
            rc = 0;
            goto done;
        default:
            if (cli_curve_take(&cc, c, optarg))
                break;
            help(stderr);
            goto done;
        }
    }
    if (optind != argc - 1 || !in || !out) {
        fprintf(stderr, "ezc node: expected TYPE, --in and --out\n");
        help(stderr);
        goto done;
    }
    const ezc_transformer_type *type = ezc_registry_find(reg, argv[optind], &err);
    if (!type || !(t = ezc_transformer_new(type, set, &err))) {
        fprintf(stderr, "ezc node: %s\n", err.msg);
        goto done;
    }
    ezc_pub_options po;
    ezc_sub_options so;
    ezc_pub_options_init(&po);
    ezc_sub_options_init(&so);
    po.stall_timeout_ms = (int)stall_ms; /* its subscribers are outside: none halts all */
    if (cli_curve_apply("node", &cc, &po, &so))
        goto done;
    rc = 1;
    if (!(sub = ezc_sub_new(in, topic, &so, &err)) || !(pub = ezc_pub_new(out, &po, &err))) {
        fprintf(stderr, "ezc node: %s\n", err.msg);
        goto done;
    }
    cli_install_signals();
    ezc_node_options no = {
        .max_messages = (uint64_t)count, .stop = &cli_stop, .keep_empty = keep_empty};
    ezc_node_stats st;
    int nrc = ezc_transformer_node_run(t, sub, pub, &no, &st, &err);
    if (nrc && !(nrc == EZC_EINTR && cli_stop)) { /* a signal's stop is a clean one */
        fprintf(stderr, "ezc node: %s\n", err.msg);
        goto done;
    }
    if (st.errors)
        fprintf(stderr, "ezc node %s: %llu messages in, %llu out, %llu refused (last: %s)\n",
                type->name, (unsigned long long)st.received, (unsigned long long)st.published,
                (unsigned long long)st.errors, st.last_error);
    rc = 0;
done:
    ezc_pub_destroy(&pub);
    ezc_sub_destroy(&sub);
    ezc_transformer_destroy(&t);
    ezc_settings_destroy(&set);
    ezc_registry_destroy(&reg);
    return rc;
}
