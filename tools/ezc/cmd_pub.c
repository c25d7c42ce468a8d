/* cmd_pub.c — `ezc pub`: publish a synthetic signal, or the samples of a
 * .npy file, paced in real time or as fast as the subscribers take it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "ezc/pacer.h"

static void help(FILE *f)
{
    fprintf(f,
        "usage: ezc pub ENDPOINT [options]\n"
        "Publishes a synthetic [time, ch] signal on ENDPOINT (binds it), or the\n"
        "samples of a .npy file (first dim = time) in chunks. An ipc:// ENDPOINT that\n"
        "a live process serves is refused, naming its pid (docs/pubsub.md); the\n"
        "socket file is owner-only (0600).\n\n"
        "  --signal KIND    sine (default), noise or counter\n"
        "  --fs HZ          sampling rate (default 1000)\n"
        "  --channels N     channels (default 8)\n"
        "  --chunk N        samples per message (default 100)\n"
        "  --dtype T        float32 (default), float64, int16, ...\n"
        "  --freq HZ        sine frequency of ch0; chN runs at (N+1) x HZ (default 10)\n"
        "  --amplitude A    sine amplitude / noise deviation (default 1)\n"
        "  --topic T        topic (default 'raw')\n"
        "  --count N        stop after N messages (default: until Ctrl-C)\n"
        "  --fast           as fast as possible instead of real-time pacing (paced, a\n"
        "                   rate the machine cannot deliver is warned about once on\n"
        "                   stderr, with the rate achieved)\n"
        "  --wait-subs N    wait for N subscribers before the first message (forever)\n"
        "  --first-wait MS  otherwise the first message waits up to MS after the bind\n"
        "                   for a first subscriber, so one that was already connecting\n"
        "                   gets seq 0 (default 500; 0 = send at once)\n"
        "  --npy FILE       publish FILE's samples instead (dtype and channels from the\n"
        "                   file; --fs gives its rate)\n"
        "  --loop           with --npy: start over at the end (time keeps counting)\n\n"
        "End of stream: after the last message of --count N, or of --npy FILE without\n"
        "--loop, it sends the end-of-stream marker (docs/wire-format.md), so `ezc echo`,\n"
        "`ezc record` and graphs downstream finish too.\n"
        "Ctrl-C / SIGTERM stop it within about 0.1 s, even while a subscriber that\n"
        "stopped reading holds it up (back-pressure); messages still queued get 1 s\n"
        "to leave, then it exits 0; an ipc:// socket file it bound is removed. A\n"
        "second signal forces the exit at once (status 130).\n\n"
        "examples:\n"
        "  ezc pub ipc:///tmp/raw --channels 8 --fs 1000\n"
        "  ezc pub tcp://0.0.0.0:5560 --signal noise --dtype float64 --fast --count 10000\n"
        "  ezc pub ipc:///tmp/raw --npy session.npy --fs 30000 --chunk 300 --loop\n");
}

/* The samples of a .npy file as [time, ch, ...] chunks. */
typedef struct npy_source {
    ezc_array *data; /* [time, ch, ...] */
    int64_t at, sent;  /* next row; rows published so far */
    int loop;
} npy_source;

static int npy_open(npy_source *ns, const char *path, int loop, ezc_error *err)
{
    memset(ns, 0, sizeof *ns);
    ns->loop = loop;
    ns->data = ezc_npy_load(path, err);
    if (!ns->data)
        return err->code;
    if (ezc_array_ndim(ns->data) == 0 || ns->data->shape[0] == 0) {
        ezc_array_destroy(&ns->data);
        return ezc_error_set(err, EZC_ESHAPE, "npy %s: no samples (need at least one dim of "
                             "length > 0; the first dim is time)", path);
    }
    if (ezc_array_ndim(ns->data) == 1) { /* one channel */
        ezc_array_expand_dims(ns->data, 1, "ch", NULL);
    }
    ezc_array_set_dim(ns->data, 0, "time", NULL);
    ezc_array_set_dim(ns->data, 1, "ch", NULL);
    return 0;
}

/* The next chunk (NULL at the end without --loop). */
static ezc_array *npy_next(npy_source *ns, int chunk, double fs, ezc_error *err)
{
    int64_t n = ns->data->shape[0];
    if (ns->at >= n) {
        if (!ns->loop)
            return NULL;
        ns->at = 0;
    }
    int64_t stop = ns->at + chunk < n ? ns->at + chunk : n;
    ezc_array *a = ezc_array_slice(ns->data, 0, ns->at, stop, err);
    if (a) {
        ezc_array_set_linear_axis(a, 0, 1.0 / fs, (double)ns->sent / fs, "s");
        ezc_array_set_key(a, "npy", NULL);
        ns->sent += stop - ns->at;
    }
    ns->at = stop;
    return a;
}

int cmd_pub(int argc, char **argv)
{
    static const struct option opts[] = {
        {"signal", 1, 0, 's'}, {"fs", 1, 0, 'f'},        {"channels", 1, 0, 'c'},
        {"chunk", 1, 0, 'k'},  {"dtype", 1, 0, 'd'},     {"freq", 1, 0, 'q'},
        {"amplitude", 1, 0, 'a'}, {"topic", 1, 0, 't'},  {"count", 1, 0, 'n'},
        {"fast", 0, 0, 'F'},   {"wait-subs", 1, 0, 'w'}, {"help", 0, 0, 'h'},
        {"npy", 1, 0, 'N'},    {"loop", 0, 0, 'L'},      {"first-wait", 1, 0, 'W'},
        {0, 0, 0, 0}};
    ezc_synth_options so;
    ezc_synth_options_init(&so);
    const char *topic = "raw", *npy = NULL;
    int loop = 0;
    long long count = 0, v, wait_subs = 0, first_wait = -1;
    int fast = 0, c;
    ezc_error err;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (ezc_synth_kind_parse(optarg, &so.kind, &err)) {
                fprintf(stderr, "ezc pub: --signal: %s\n", err.msg);
                return 2;
            }
            break;
        case 'f': if (cli_parse_double("pub", "--fs", optarg, &so.fs)) return 2; break;
        case 'c':
            if (cli_parse_long("pub", "--channels", optarg, 1, 65536, &v)) return 2;
            so.channels = (int)v;
            break;
        case 'k':
            if (cli_parse_long("pub", "--chunk", optarg, 1, 1 << 24, &v)) return 2;
            so.chunk = (int)v;
            break;
        case 'd':
            so.dtype = ezc_dtype_from_name(optarg, (size_t)-1);
            if (!so.dtype) {
                fprintf(stderr, "ezc pub: --dtype '%s': unknown dtype (float32, float64, int16, ...)\n", optarg);
                return 2;
            }
            break;
        case 'q': if (cli_parse_double("pub", "--freq", optarg, &so.freq)) return 2; break;
        case 'a': if (cli_parse_double("pub", "--amplitude", optarg, &so.amplitude)) return 2; break;
        case 't': topic = optarg; break;
        case 'n': if (cli_parse_long("pub", "--count", optarg, 0, 1LL << 62, &count)) return 2; break;
        case 'F': fast = 1; break;
        case 'w': if (cli_parse_long("pub", "--wait-subs", optarg, 0, 1000, &wait_subs)) return 2; break;
        case 'W':
            if (cli_parse_long("pub", "--first-wait", optarg, 0, 600000, &first_wait))
                return 2;
            break;
        case 'N': npy = optarg; break;
        case 'L': loop = 1; break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "ezc pub: expected one ENDPOINT\n");
        help(stderr);
        return 2;
    }
    npy_source ns = {0};
    if (npy && npy_open(&ns, npy, loop, &err)) {
        fprintf(stderr, "ezc pub: --npy: %s\n", err.msg);
        return 2;
    }
    ezc_synth *syn = npy ? NULL : ezc_synth_new(&so, &err);
    if (!npy && !syn) {
        fprintf(stderr, "ezc pub: %s\n", err.msg);
        return 2;
    }
    ezc_pub_options po;
    ezc_pub_options_init(&po);
    if (first_wait >= 0)
        po.first_wait_ms = (int)first_wait;
    ezc_pub *p = ezc_pub_new(argv[optind], &po, &err);
    if (!p) {
        fprintf(stderr, "ezc pub: %s\n", err.msg);
        ezc_synth_destroy(&syn);
        ezc_array_destroy(&ns.data);
        return 1;
    }
    cli_install_signals();
    int rc = 0;
    if (wait_subs > 0 && ezc_pub_wait_subscribers(p, (int)wait_subs, -1, &err)) {
        if (err.code != EZC_EINTR) {
            fprintf(stderr, "ezc pub: %s\n", err.msg);
            rc = 1;
        }
    }
    /* real-time pacing; a rate the machine cannot deliver is said once
     * (ezc/pacer.h), naming the endpoint */
    char who[80];
    snprintf(who, sizeof who, "pub %s", argv[optind]);
    ezc_pacer pacer;
    ezc_pacer_init(&pacer, who, so.fs, so.chunk);
    for (long long i = 0; !rc && !cli_stop && (count == 0 || i < count); i++) {
        if (!fast &&
            ezc_pacer_wait(&pacer, syn ? (int64_t)ezc_synth_samples(syn) : ns.sent, NULL, NULL))
            break; /* Ctrl-C / SIGTERM */
        err.code = 0;
        ezc_array *a = syn ? ezc_synth_next(syn, &err) : npy_next(&ns, so.chunk, so.fs, &err);
        if (!a && !syn && !err.code)
            break; /* the file is done */
        if (!a || ezc_pub_send(p, topic, a, &err)) {
            if (!cli_stop) { /* stopped while a subscriber held us up: exit 0 */
                fprintf(stderr, "ezc pub: %s\n", err.msg);
                rc = 1;
            }
        }
        ezc_array_destroy(&a);
        if (i == 0) /* real time starts when the first message leaves (it may wait for a
                       first subscriber: --first-wait), not before */
            ezc_pacer_anchor(&pacer, syn ? (int64_t)ezc_synth_samples(syn) : ns.sent);
    }
    /* A finite stream says it is over, so receivers finish too. */
    if (!rc && !cli_stop && (count > 0 || (npy && !loop)) &&
        ezc_pub_send_eos(p, topic, &err) && !cli_stop) {
        fprintf(stderr, "ezc pub: %s\n", err.msg);
        rc = 1;
    }
    ezc_pub_destroy(&p); /* removes an ipc:// socket file */
    ezc_synth_destroy(&syn);
    ezc_array_destroy(&ns.data);
    return rc;
}
