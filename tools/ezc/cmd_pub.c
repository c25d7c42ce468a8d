/* cmd_pub.c — `ezc pub`: publish a synthetic signal, or the samples of a
 * .npy file, paced in real time or as fast as the subscribers take it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "cli_curve.h"
#include "ezc/pacer.h"

static void help(FILE *f)
{
    fprintf(
        f,
        "usage: ezc pub ENDPOINT [options]\n"
        "       ezc pub --name NAME [ENDPOINT] [options]\n"
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
        "  --loop           with --npy: start over at the end (time keeps counting)\n"
        "  --name NAME      name the stream: it is registered on this host while it runs\n"
        "                   (`ezc ls` lists it; `ezc echo NAME`, `hz`, `record` and graphs\n"
        "                   connect by the name; a second live publisher of NAME is\n"
        "                   refused, naming its pid); without ENDPOINT it binds a private\n"
        "                   ipc:// one in the run folder, the same one for the same NAME\n"
        "                   (docs/pubsub.md, \"Names and discovery\"). Its publisher id\n"
        "                   (src) is derived from NAME,\n"
        "                   so a restarted `ezc pub --name NAME` is the same stream to\n"
        "                   subscribers, and (paced, not --fast) its seq is the message\n"
        "                   period's index on the wall clock (time / (chunk / fs)): an\n"
        "                   outage shows downstream as a gap of the messages it did not\n"
        "                   send, to within one (docs/pubsub.md, \"Restarts\")\n"
        "  --id N           the same with the id N itself (1 .. 2^63-1)\n"
        "  --stall-timeout MS  a subscriber whose queue stays full this long (it stopped\n"
        "                   reading) no longer holds the others up: it misses messages\n"
        "                   until it reads again; counted and logged once (default\n"
        "                   2000; 0 = wait for every subscriber, lossless)\n" CLI_CURVE_SERVER_HELP
        "\n"
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
        "  ezc pub ipc:///tmp/raw --npy session.npy --fs 30000 --chunk 300 --loop\n"
        "  ezc pub ipc:///tmp/raw --name lab-emg   # restarted, its outage is a gap\n"
        "  ezc pub --name emg --channels 8          # then: ezc echo emg; ezc ls\n");
}

/* The samples of a .npy file as [time, ch, ...] chunks. */
typedef struct npy_source {
    ezc_array *data;  /* [time, ch, ...] */
    int64_t at, sent; /* next row; rows published so far */
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
        return ezc_error_set(err, EZC_ESHAPE,
                             "npy %s: no samples (need at least one dim of "
                             "length > 0; the first dim is time)",
                             path);
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

/* A named real-time stream numbers its messages by the wall clock: seq =
 * the index of the message period now, so a restarted process (same id)
 * goes on where a never-stopped one would be, and subscribers count the
 * outage as the gap of the messages not sent. The first subscriber is
 * waited for first (as the first send would), so the number is taken when
 * the first message really leaves. */
static void number_by_clock(ezc_pub *p, const char *topic, double fs, int chunk, int wait_ms)
{
    if (wait_ms > 0)
        ezc_pub_wait_subscribers(p, 1, wait_ms, NULL); /* none came: send anyway */
    double period_ns = (double)chunk / fs * 1e9;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double t_ns = (double)now.tv_sec * 1e9 + (double)now.tv_nsec;
    if (period_ns >= 1 && t_ns / period_ns < 9e18)
        ezc_pub_set_next_seq(p, topic, (uint64_t)(t_ns / period_ns), NULL);
}

int cmd_pub(int argc, char **argv)
{
    static const struct option opts[] = {{"signal", 1, 0, 's'},     {"fs", 1, 0, 'f'},
                                         {"channels", 1, 0, 'c'},   {"chunk", 1, 0, 'k'},
                                         {"dtype", 1, 0, 'd'},      {"freq", 1, 0, 'q'},
                                         {"amplitude", 1, 0, 'a'},  {"topic", 1, 0, 't'},
                                         {"count", 1, 0, 'n'},      {"fast", 0, 0, 'F'},
                                         {"wait-subs", 1, 0, 'w'},  {"help", 0, 0, 'h'},
                                         {"npy", 1, 0, 'N'},        {"loop", 0, 0, 'L'},
                                         {"first-wait", 1, 0, 'W'}, {"name", 1, 0, 'M'},
                                         {"id", 1, 0, 'I'},         {"stall-timeout", 1, 0, 'S'},
                                         CLI_CURVE_SERVER_OPTIONS,  {0, 0, 0, 0}};
    cli_curve cc = {0};
    long long stall_ms = 2000;
    ezc_synth_options so;
    ezc_synth_options_init(&so);
    const char *topic = "raw", *npy = NULL, *name = NULL;
    int loop = 0;
    long long count = 0, v, wait_subs = 0, first_wait = -1, id = 0;
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
        case 'f':
            if (cli_parse_double("pub", "--fs", optarg, &so.fs))
                return 2;
            break;
        case 'c':
            if (cli_parse_long("pub", "--channels", optarg, 1, 65536, &v))
                return 2;
            so.channels = (int)v;
            break;
        case 'k':
            if (cli_parse_long("pub", "--chunk", optarg, 1, 1 << 24, &v))
                return 2;
            so.chunk = (int)v;
            break;
        case 'd':
            so.dtype = ezc_dtype_from_name(optarg, (size_t)-1);
            if (!so.dtype) {
                fprintf(stderr,
                        "ezc pub: --dtype '%s': unknown dtype (float32, float64, int16, ...)\n",
                        optarg);
                return 2;
            }
            break;
        case 'q':
            if (cli_parse_double("pub", "--freq", optarg, &so.freq))
                return 2;
            break;
        case 'a':
            if (cli_parse_double("pub", "--amplitude", optarg, &so.amplitude))
                return 2;
            break;
        case 't': topic = optarg; break;
        case 'n':
            if (cli_parse_long("pub", "--count", optarg, 0, 1LL << 62, &count))
                return 2;
            break;
        case 'F': fast = 1; break;
        case 'w':
            if (cli_parse_long("pub", "--wait-subs", optarg, 0, 1000, &wait_subs))
                return 2;
            break;
        case 'W':
            if (cli_parse_long("pub", "--first-wait", optarg, 0, 600000, &first_wait))
                return 2;
            break;
        case 'N': npy = optarg; break;
        case 'L': loop = 1; break;
        case 'M':
            if (ezc_names_check(optarg, &err)) {
                fprintf(stderr, "ezc pub: --name: %s\n", err.msg);
                return 2;
            }
            name = optarg;
            id = (long long)ezc_names_stream_id(optarg); /* the same in every run */
            break;
        case 'I':
            if (cli_parse_long("pub", "--id", optarg, 1, 0x7fffffffffffffffLL, &id))
                return 2;
            break;
        case 'S':
            if (cli_parse_long("pub", "--stall-timeout", optarg, 0, 3600000, &stall_ms))
                return 2;
            break;
        case 'h': help(stdout); return 0;
        default:
            if (cli_curve_take(&cc, c, optarg))
                break;
            help(stderr);
            return 2;
        }
    }
    if (optind != argc - 1 && !(name && optind == argc)) {
        fprintf(stderr, "ezc pub: expected one ENDPOINT (or --name NAME)\n");
        help(stderr);
        return 2;
    }
    const char *endpoint = optind < argc ? argv[optind] : NULL;
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
    po.id = (uint64_t)id;
    po.name = name;
    po.stall_timeout_ms = (int)stall_ms; /* facing the outside: one reader cannot halt all */
    if (cli_curve_apply("pub", &cc, &po, NULL)) {
        ezc_synth_destroy(&syn);
        ezc_array_destroy(&ns.data);
        return 2;
    }
    ezc_pub *p = ezc_pub_new(endpoint, &po, &err);
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
    snprintf(who, sizeof who, "pub %s", endpoint ? endpoint : name);
    ezc_pacer pacer;
    ezc_pacer_init(&pacer, who, so.fs, so.chunk);
    for (long long i = 0; !rc && !cli_stop && (count == 0 || i < count); i++) {
        if (!fast &&
            ezc_pacer_wait(&pacer, syn ? (int64_t)ezc_synth_samples(syn) : ns.sent, NULL, NULL))
            break; /* Ctrl-C / SIGTERM */
        if (i == 0 && id && !fast)
            number_by_clock(p, topic, so.fs, so.chunk, first_wait < 0 ? 500 : (int)first_wait);
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
    if (!rc && !cli_stop && (count > 0 || (npy && !loop)) && ezc_pub_send_eos(p, topic, &err) &&
        !cli_stop) {
        fprintf(stderr, "ezc pub: %s\n", err.msg);
        rc = 1;
    }
    ezc_pub_stats ps;
    ezc_pub_stats_get(p, &ps);
    if (ps.stalls)
        fprintf(stderr,
                "ezc pub: %llu stall(s): a subscriber's queue stayed full for %lld ms; "
                "messages went on past full queues at %llu send(s)\n",
                (unsigned long long)ps.stalls, stall_ms, (unsigned long long)ps.overflows);
    if (ps.refused)
        fprintf(stderr, "ezc pub: %llu CURVE handshake(s) refused (key not allowed)\n",
                (unsigned long long)ps.refused);
    ezc_pub_destroy(&p); /* removes an ipc:// socket file */
    ezc_synth_destroy(&syn);
    ezc_array_destroy(&ns.data);
    return rc;
}
