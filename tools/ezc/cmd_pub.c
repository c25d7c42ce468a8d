/* cmd_pub.c — `ezc pub`: publish a synthetic signal, or the samples of a
 * .npy file, paced in real time or as fast as the subscribers take it. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "cli_curve.h"
#include "cli_events.h"
#include "cli_pubseq.h"
#include "ezc/events.h"
#include "ezc/pacer.h"

static void help(FILE *f)
{
    fprintf(
        f,
        "usage: ezc pub ENDPOINT [options]\n"
        "       ezc pub --name NAME [ENDPOINT] [options]\n"
        "Publishes a synthetic [time, ch] signal on ENDPOINT (binds it), or the\n"
        "samples of a .npy file (first dim = time) in chunks, or events (--events).\n"
        "An ipc:// ENDPOINT that a live process serves is refused, naming its pid\n"
        "(docs/pubsub.md); the socket file is owner-only (0600).\n\n"
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
        "  --events LABELS  publish events (markers, docs/wire-format.md \"Events\") instead:\n"
        "                   one event per period of --rate, its label cycling through\n"
        "                   the comma-separated LABELS, event k at k / rate s on the\n"
        "                   stream clock (the clock of a signal's time axis, which a\n"
        "                   fresh `ezc pub` starts at 0 too); topic default 'events'\n"
        "  --events -       one event per stdin line \"TIME LABEL\" (TIME in seconds on\n"
        "                   the stream clock; the label is the rest of the line, trimmed;\n"
        "                   blank lines and lines starting with # are skipped), sent as\n"
        "                   it is read; end of input ends the stream. A malformed line\n"
        "                   stops it with exit status 1, naming the line\n"
        "  --rate HZ        events per second with --events LABELS (default 1)\n"
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
        "                   send, to within one. It keeps the number of its next message\n"
        "                   in the run folder (pubseq/ID), so a successor (kill -9\n"
        "                   included) never numbers below it, --fast too: subscribers\n"
        "                   report \"publisher restarted\", its silence and the exact loss\n"
        "                   (docs/pubsub.md, \"Restarts\")\n"
        "  --id N           the same with the id N itself (1 .. 2^63-1)\n"
        "  --stall-timeout MS  a subscriber whose queue stays full this long (it stopped\n"
        "                   reading) no longer holds the others up: it misses messages\n"
        "                   until it reads again; counted and logged once (default\n"
        "                   2000; 0 = wait for every subscriber, lossless)\n" CLI_CURVE_SERVER_HELP
        "\n"
        "End of stream: after the last message of --count N, of --npy FILE without\n"
        "--loop, or of --events - (end of input), it sends the end-of-stream marker\n"
        "(docs/wire-format.md), so `ezc echo`, `ezc record` and graphs downstream\n"
        "finish too.\n"
        "Ctrl-C / SIGTERM stop it within about 0.1 s, even while a subscriber that\n"
        "stopped reading holds it up (back-pressure); messages still queued get 1 s\n"
        "to leave, then it exits 0; an ipc:// socket file it bound is removed. A\n"
        "second signal forces the exit at once (status 130).\n\n"
        "examples:\n"
        "  ezc pub ipc:///tmp/raw --channels 8 --fs 1000\n"
        "  ezc pub tcp://0.0.0.0:5560 --signal noise --dtype float64 --fast --count 10000\n"
        "  ezc pub ipc:///tmp/raw --npy session.npy --fs 30000 --chunk 300 --loop\n"
        "  ezc pub ipc:///tmp/raw --name lab-emg   # restarted, its outage is a gap\n"
        "  ezc pub --name emg --channels 8          # then: ezc echo emg; ezc ls\n"
        "  ezc pub --name cues --events left,right --rate 0.25   # a cue every 4 s\n"
        "  printf '1.5 left\\n4.0 right\\n' | ezc pub ipc:///tmp/cues --events -\n");
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

/* Publishes ev's events, one message each: paced at --rate from LABELS (not
 * --fast), as read from stdin; then the end of stream when the events ran
 * out (stdin's end, --count). 0, or 1 after saying what failed. */
static int events_publish(ezc_pub *p, const char *topic, cli_events *ev, long long count, int fast,
                          long long id, cli_pubseq *sf, int first_wait, const char *who)
{
    ezc_error err;
    ezc_pacer pacer;
    ezc_pacer_init(&pacer, who, ev->rate, 1);
    int paced = !fast && !ev->from_stdin, rc = 0, ended = 0;
    long long k;
    for (k = 0; !cli_stop && (count == 0 || k < count); k++) {
        if (paced && ezc_pacer_wait(&pacer, k, NULL, NULL))
            break; /* Ctrl-C / SIGTERM */
        if (k == 0 && id)
            cli_pubseq_resume(p, topic, sf, paced, ev->rate, 1, first_wait < 0 ? 500 : first_wait);
        double t;
        const char *label;
        int r = cli_events_next(ev, k, &t, &label);
        if (r == 0)
            ended = 1;
        if (r != 1) {
            rc = r < 0 && r != EZC_EINTR;
            break;
        }
        ezc_array *a = ezc_events_new(1, &t, &label, &err);
        cli_pubseq_store(sf, ezc_pub_next_seq(p, topic) + 1); /* as the signal's loop */
        int bad = !a || ezc_array_set_key(a, "events", &err) || ezc_pub_send(p, topic, a, &err);
        cli_pubseq_store(sf, ezc_pub_next_seq(p, topic));
        if (bad) {
            if (!cli_stop) {
                fprintf(stderr, "ezc pub: %s\n", err.msg);
                rc = 1;
            }
            ezc_array_destroy(&a);
            break;
        }
        ezc_array_destroy(&a);
        if (k == 0) /* event k is due k / rate after the first left (--first-wait) */
            ezc_pacer_anchor(&pacer, 0);
    }
    if (!rc && !cli_stop && (ended || (count > 0 && k == count)) &&
        ezc_pub_send_eos(p, topic, &err) && !cli_stop) {
        fprintf(stderr, "ezc pub: %s\n", err.msg);
        rc = 1;
    }
    return rc;
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
                                         {"events", 1, 0, 'E'},     {"rate", 1, 0, 'R'},
                                         CLI_CURVE_SERVER_OPTIONS,  {0, 0, 0, 0}};
    cli_curve cc = {0};
    long long stall_ms = 2000;
    ezc_synth_options so;
    ezc_synth_options_init(&so);
    const char *topic = NULL, *npy = NULL, *name = NULL;
    static cli_events ev; /* large (a line buffer): not on the stack */
    memset(&ev, 0, sizeof ev);
    ev.rate = 1;
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
        case 'E':
            if (ev.on) {
                fprintf(stderr, "ezc pub: --events given twice\n");
                cli_events_free(&ev);
                return 2;
            }
            ev.on = 1;
            ev.from_stdin = !strcmp(optarg, "-");
            if (!ev.from_stdin && cli_events_labels(&ev, optarg)) {
                cli_events_free(&ev);
                return 2;
            }
            break;
        case 'R':
            if (cli_parse_double("pub", "--rate", optarg, &ev.rate))
                return 2;
            if (!(ev.rate > 0 && ev.rate <= 1e6)) {
                fprintf(stderr, "ezc pub: --rate %s: expected events per second in (0, 1e6]\n",
                        optarg);
                return 2;
            }
            break;
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
    if (ev.on && npy) {
        fprintf(stderr, "ezc pub: --events and --npy: give one of them\n");
        return 2;
    }
    if (!topic)
        topic = ev.on ? "events" : "raw";
    npy_source ns = {0};
    if (npy && npy_open(&ns, npy, loop, &err)) {
        fprintf(stderr, "ezc pub: --npy: %s\n", err.msg);
        return 2;
    }
    ezc_synth *syn = npy || ev.on ? NULL : ezc_synth_new(&so, &err);
    if (!npy && !ev.on && !syn) {
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
    cli_pubseq *sf = id ? cli_pubseq_open((uint64_t)id) : NULL;
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
    if (ev.on && !rc)
        rc = events_publish(p, topic, &ev, count, fast, id, sf, (int)first_wait, who);
    for (long long i = 0; !rc && !ev.on && !cli_stop && (count == 0 || i < count); i++) {
        if (!fast &&
            ezc_pacer_wait(&pacer, syn ? (int64_t)ezc_synth_samples(syn) : ns.sent, NULL, NULL))
            break; /* Ctrl-C / SIGTERM */
        if (i == 0 && id)
            cli_pubseq_resume(p, topic, sf, !fast, so.fs, so.chunk,
                              first_wait < 0 ? 500 : (int)first_wait);
        err.code = 0;
        ezc_array *a = syn ? ezc_synth_next(syn, &err) : npy_next(&ns, so.chunk, so.fs, &err);
        if (!a && !syn && !err.code)
            break; /* the file is done */
        /* the number is kept before it is taken: a kill in between skips it */
        cli_pubseq_store(sf, ezc_pub_next_seq(p, topic) + 1);
        int sent = a && ezc_pub_send(p, topic, a, &err) == 0;
        cli_pubseq_store(sf, ezc_pub_next_seq(p, topic));
        if (!sent) {
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
    if (!rc && !ev.on && !cli_stop && (count > 0 || (npy && !loop)) &&
        ezc_pub_send_eos(p, topic, &err) && !cli_stop) {
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
    cli_pubseq_close(&sf);
    ezc_synth_destroy(&syn);
    ezc_array_destroy(&ns.data);
    cli_events_free(&ev);
    return rc;
}
