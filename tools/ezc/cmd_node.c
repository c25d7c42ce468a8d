/* cmd_node.c — `ezc node`: one transformer between two endpoints, with a
 * control socket (ezc/control.h) whose "set" is taken between two
 * messages by the loop's `between` hook. */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "cli_curve.h"
#include "ezc/control.h"
#include "ezc/interrupt.h"

/* Live settings of the one node: the control thread leaves a checked set
 * in pending; the loop takes it between two messages. */
typedef struct node_ctl {
    const ezc_transformer_type *type;
    const ezc_node_stats *st; /* the loop's counters: display values, read unlocked */
    pthread_mutex_t lock;
    ezc_settings *live, *pending;
    atomic_int has_pending, kept, rc;
    atomic_uint_fast64_t gen, applied;
    char msg[EZC_ERROR_MSG_MAX];
    unsigned reset_logged; /* the first re-creation is a warning, the rest info */
} node_ctl;

static void ctl_between(ezc_transformer *t, void *ctx)
{
    node_ctl *c = ctx;
    if (!atomic_load_explicit(&c->has_pending, memory_order_acquire))
        return;
    pthread_mutex_lock(&c->lock);
    ezc_settings *s = c->pending;
    c->pending = NULL;
    uint64_t gen = atomic_load(&c->gen);
    atomic_store(&c->has_pending, 0);
    pthread_mutex_unlock(&c->lock);
    ezc_error err;
    int kept = 0, rc = ezc_transformer_update(t, s, &kept, &err);
    pthread_mutex_lock(&c->lock);
    if (rc)
        memcpy(c->msg, err.msg, sizeof c->msg);
    else {
        ezc_settings_destroy(&c->live);
        c->live = s;
        s = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    ezc_settings_destroy(&s);
    if (rc)
        ezc_log(EZC_LOG_WARN, "node %s: new settings refused, the old ones stay: %s", t->type->name,
                err.msg);
    else
        ezc_log(kept || c->reset_logged++ ? EZC_LOG_INFO : EZC_LOG_WARN,
                "node %s: new settings taken (%s)", t->type->name,
                kept ? "state kept" : "re-created with them: its state reset; warned once");
    atomic_store(&c->kept, kept);
    atomic_store(&c->rc, rc);
    atomic_store_explicit(&c->applied, gen, memory_order_release);
}

static size_t ctl_count(void *ctx)
{
    (void)ctx;
    return 1;
}

static void ctl_stats(void *ctx, size_t i, ezc_graph_node_stats *out)
{
    node_ctl *c = ctx;
    (void)i;
    memset(out, 0, sizeof *out);
    out->name = c->type->name;
    out->running = !c->st->ended;
    out->ended = c->st->ended;
    out->messages = c->st->received;
    out->errors = c->st->errors;
    out->latency_p50_us = out->latency_p99_us = -1;
    struct timespec ts; /* the process's: the node is all it runs */
    out->cpu_s = clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
                     ? -1
                     : (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *ctl_type(void *ctx, size_t i)
{
    (void)i;
    return ((node_ctl *)ctx)->type->name;
}

static int ctl_set(void *ctx, const char *node, const char *const *names, const char *const *values,
                   size_t n, ezc_graph_set_result *res, ezc_error *err)
{
    node_ctl *c = ctx;
    if (strcmp(node, c->type->name))
        return ezc_error_set(err, EZC_ENOTFOUND, "no node '%s' here (this `ezc node` runs '%s')",
                             node, c->type->name);
    pthread_mutex_lock(&c->lock);
    ezc_settings *s = ezc_settings_copy(c->pending ? c->pending : c->live, err);
    pthread_mutex_unlock(&c->lock);
    int rc = s ? 0 : EZC_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++)
        rc = ezc_settings_set(s, names[i], values[i], NULL, err);
    ezc_transformer *trial = rc ? NULL : ezc_transformer_new(c->type, s, err);
    if (!rc && !trial)
        rc = err->code ? err->code : EZC_EINVAL;
    ezc_transformer_destroy(&trial);
    if (rc) {
        ezc_settings_destroy(&s);
        ezc_error_prefix(err, "node '%s'", node);
        return rc;
    }
    pthread_mutex_lock(&c->lock);
    ezc_settings_destroy(&c->pending);
    c->pending = s;
    uint64_t gen = atomic_load(&c->gen) + 1;
    atomic_store(&c->gen, gen);
    atomic_store_explicit(&c->has_pending, 1, memory_order_release);
    pthread_mutex_unlock(&c->lock);
    for (int waited = 0; waited < 50000; waited += 20) { /* up to 1 s */
        if (atomic_load_explicit(&c->applied, memory_order_acquire) >= gen) {
            res->applied = 1;
            res->kept = atomic_load(&c->kept);
            if (!atomic_load(&c->rc))
                return 0;
            pthread_mutex_lock(&c->lock);
            ezc_error_set(err, EZC_EINVAL, "node '%s': %s", node, c->msg);
            pthread_mutex_unlock(&c->lock);
            return EZC_EINVAL;
        }
        struct timespec ts = {0, 20000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void ctl_stop(void *ctx)
{
    (void)ctx;
    if (!cli_stop) {
        cli_stop = 1;
        ezc_interrupt();
    }
}

static const ezc_control_ops node_ops = {ctl_count, ctl_stats, ctl_set, ctl_stop, ctl_type};

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
               "  --name NAME      its name for ezc top/set/stop (default node-PID); `ezc set\n"
               "                   NAME/TYPE key=value` changes its settings while it runs\n"
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
    static const struct option opts[] = {{"in", 1, 0, 'i'},
                                         {"out", 1, 0, 'o'},
                                         {"set", 1, 0, 's'},
                                         {"plugin", 1, 0, 'p'},
                                         {"topic", 1, 0, 't'},
                                         {"count", 1, 0, 'n'},
                                         {"keep-empty", 0, 0, 'k'},
                                         {"help", 0, 0, 'h'},
                                         {"stall-timeout", 1, 0, 'S'},
                                         {"name", 1, 0, 'N'},
                                         CLI_CURVE_SERVER_OPTIONS,
                                         CLI_CURVE_CLIENT_OPTIONS,
                                         {0, 0, 0, 0}};
    cli_curve cc = {0};
    long long stall_ms = 2000;
    const char *in = NULL, *out = NULL, *topic = "", *name = NULL;
    char namebuf[EZC_CONTROL_NAME_MAX];
    node_ctl nc = {0};
    pthread_mutex_init(&nc.lock, NULL);
    ezc_control *ctl = NULL;
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
        case 'N':
            if (ezc_control_name_check(optarg, &err)) {
                fprintf(stderr, "ezc node: --name: %s\n", err.msg);
                goto done;
            }
            name = optarg;
            break;
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
    ezc_node_stats st = {0};
    nc.type = type;
    nc.st = &st;
    if (!(nc.live = ezc_settings_copy(t->settings, &err))) {
        fprintf(stderr, "ezc node: %s\n", err.msg);
        goto done;
    }
    if (!name) {
        snprintf(namebuf, sizeof namebuf, "node-%d", (int)getpid());
        name = namebuf;
    }
    if (!(ctl = ezc_control_new(name, &node_ops, &nc, NULL, 1, &err))) {
        fprintf(stderr, "ezc node: %s\n", err.msg);
        goto done;
    }
    cli_install_signals();
    ezc_node_options no = {.max_messages = (uint64_t)count,
                           .stop = &cli_stop,
                           .keep_empty = keep_empty,
                           .between = ctl_between,
                           .between_ctx = &nc};
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
    ezc_control_destroy(&ctl);
    ezc_settings_destroy(&nc.live);
    ezc_settings_destroy(&nc.pending);
    pthread_mutex_destroy(&nc.lock);
    ezc_pub_destroy(&pub);
    ezc_sub_destroy(&sub);
    ezc_transformer_destroy(&t);
    ezc_settings_destroy(&set);
    ezc_registry_destroy(&reg);
    return rc;
}
