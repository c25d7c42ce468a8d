/* cmd_echo.c — `ezc echo`: print each message's header and a summary. */
#include <getopt.h>
#include <stdio.h>
#include <time.h>
#include "cli.h"
#include "cli_curve.h"
#include "cli_names.h"
#include "ezc/events.h"
#include "ezc/summary.h"

#define ECHO_EVENTS_MAX 16 /* events shown per message; then how many more */

/* An events message (ezc/events.h) as its events: time and label of each,
 * instead of min/max. Labels come from anywhere: bytes that are not
 * printable ASCII are shown as \xNN, so none can move the terminal. */
static void print_events(FILE *f, const char *topic, const ezc_array *a, int header_only)
{
    ezc_error err;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    ezc_summary_header(f, topic, a);
    if (!header_only && ezc_events_check(a, &err)) {
        fprintf(f, " malformed (%s)", err.msg);
    } else if (!header_only) {
        size_t n = ezc_events_count(a);
        fprintf(f, " events=%zu", n);
        for (size_t i = 0; i < n && i < ECHO_EVENTS_MAX; i++) {
            fprintf(f, "%s%.6f s '", i ? ", " : " [", ezc_events_time(a, i));
            for (const unsigned char *c = (const unsigned char *)ezc_events_label(a, i); *c; c++)
                if (*c >= 0x20 && *c < 0x7f && *c != '\\' && *c != '\'')
                    fputc(*c, f);
                else
                    fprintf(f, "\\x%02x", *c);
            fputc('\'', f);
        }
        if (n > ECHO_EVENTS_MAX)
            fprintf(f, ", ... %zu more", n - ECHO_EVENTS_MAX);
        if (n)
            fputc(']', f);
    }
    if (a->ts_ns)
        fprintf(f, " latency=%.0fus", ((double)now_ns - (double)a->ts_ns) / 1e3);
    fputc('\n', f);
    fflush(f);
}

static void help(FILE *f)
{
    fprintf(f, "usage: ezc echo ENDPOINT [options]\n"
               "Subscribes to ENDPOINT (connects) and prints one line per message:\n"
               "sequence, topic, key, dtype, shape, dims, device, time offset, min/max, "
               "latency.\n"
               "An events message (markers: `ezc pub --events`, docs/wire-format.md) shows\n"
               "its events instead of min/max: events=N [TIME s 'LABEL', ...] (at most 16;\n"
               "bytes of a label that are not printable ASCII as \\xNN).\n" CLI_NAME_ARG_HELP "\n"
               "  --topic T       topic prefix to subscribe to (default: all)\n"
               "  --count N       exit after N messages (default: until Ctrl-C)\n"
               "  --timeout S     exit with status 1 when nothing arrives for S seconds\n"
               "  --header-only   skip the min/max summary (or the events)\n"
               "  --keep          keep listening after an end of stream (alias "
               "--ignore-eos)\n" CLI_NAME_HELP CLI_CURVE_CLIENT_HELP "\n"
               "Loss: a sequence gap prints \"N messages missing before seq S ...; publisher\n"
               "silent T s\" on stderr; a publisher that restarted (same id, a new instance)\n"
               "prints \"publisher restarted ...: silent T s; N messages lost\" (exact when it\n"
               "went on numbering, as a named `ezc pub` does; \"unknown\" when it started over;\n"
               "T from its time stamps).\n"
               "End of stream: when the publisher ends its stream (`ezc pub --count N`, a\n"
               "finished `ezc replay` or graph; docs/wire-format.md) echo says so on stderr\n"
               "and exits 0, unless --keep.\n\n"
               "examples:\n"
               "  ezc echo ipc:///tmp/abs --count 10\n"
               "  ezc echo emg/envelope --count 3      # a stream name (ezc ls)\n"
               "  ezc echo tcp://127.0.0.1:5560 --topic emg\n");
}

int cmd_echo(int argc, char **argv)
{
    static const struct option opts[] = {{"topic", 1, 0, 't'},   {"count", 1, 0, 'n'},
                                         {"timeout", 1, 0, 'T'}, {"header-only", 0, 0, 'H'},
                                         {"keep", 0, 0, 'k'},    {"ignore-eos", 0, 0, 'k'},
                                         {"help", 0, 0, 'h'},    CLI_CURVE_CLIENT_OPTIONS,
                                         CLI_NAME_OPTIONS,       {0, 0, 0, 0}};
    cli_curve cc = {0};
    const char *topic = "";
    long long count = 0;
    double timeout = 0, wait_s = 0;
    int header_only = 0, keep = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': topic = optarg; break;
        case 'n':
            if (cli_parse_long("echo", "--count", optarg, 0, 1LL << 62, &count))
                return 2;
            break;
        case 'T':
            if (cli_parse_double("echo", "--timeout", optarg, &timeout))
                return 2;
            break;
        case 'H': header_only = 1; break;
        case 'k': keep = 1; break;
        case 'h': help(stdout); return 0;
        default:
            if (cli_curve_take(&cc, c, optarg))
                break;
            if ((c = cli_name_take("echo", c, optarg, &wait_s)) != 0) {
                if (c < 0)
                    return 2;
                break;
            }
            help(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "ezc echo: expected one ENDPOINT\n");
        help(stderr);
        return 2;
    }
    char resolved[512];
    const char *endpoint =
        cli_stream_endpoint("echo", argv[optind], wait_s, resolved, sizeof resolved);
    if (!endpoint)
        return 1;
    ezc_error err;
    ezc_sub_options so;
    ezc_sub_options_init(&so);
    if (cli_curve_apply("echo", &cc, NULL, &so))
        return 2;
    ezc_sub *s = ezc_sub_new(endpoint, topic, &so, &err);
    if (!s) {
        fprintf(stderr, "ezc echo: %s\n", err.msg);
        return 1;
    }
    if (endpoint == resolved)
        cli_stream_clock("echo", s);
    cli_install_signals();
    int rc = 0;
    long long seen = 0;
    double idle = 0;
    char t[256];
    ezc_sub_stats before;
    ezc_sub_stats_get(s, &before);
    while (!cli_stop && (count == 0 || seen < count)) {
        ezc_array *a = NULL;
        int r = ezc_sub_recv_topic(s, &a, t, sizeof t, 100, &err);
        if (r == EZC_ETIMEOUT) {
            idle += 0.1;
            if (timeout > 0 && idle >= timeout) {
                fprintf(stderr, "ezc echo: nothing received from %s for %g s\n", argv[optind],
                        timeout);
                rc = 1;
                break;
            }
            continue;
        }
        if (r == EZC_EINTR)
            break; /* Ctrl-C / SIGTERM */
        if (r == EZC_EEOS) {
            fprintf(stderr, "ezc echo: end of stream (topic '%s') after %lld messages%s\n", t, seen,
                    keep ? "; listening on (--keep)" : "");
            fflush(stderr);
            idle = 0;
            if (keep)
                continue;
            break;
        }
        if (r) {
            fprintf(stderr, "ezc echo: %s\n", err.msg);
            rc = 1;
            break;
        }
        idle = 0;
        /* A restart or an outage of the publisher: said when it shows. */
        ezc_sub_stats now;
        ezc_sub_stats_get(s, &now);
        if (now.restarts > before.restarts && now.restart_lost >= 0)
            fprintf(stderr,
                    "ezc echo: publisher restarted (topic '%s', seq %llu): silent "
                    "%.3f s; %lld messages lost (it went on with its numbering: exact)\n",
                    t, (unsigned long long)a->seq, (double)now.restart_silence_ns * 1e-9,
                    (long long)now.restart_lost);
        else if (now.restarts > before.restarts)
            fprintf(stderr,
                    "ezc echo: publisher restarted (topic '%s', seq %llu): silent "
                    "%.3f s; it numbered from the start again, so what it lost is "
                    "unknown (counted as 1 missing)\n",
                    t, (unsigned long long)a->seq, (double)now.restart_silence_ns * 1e-9);
        else if (now.gaps > before.gaps)
            fprintf(stderr,
                    "ezc echo: %llu messages missing before seq %llu (topic '%s'); "
                    "publisher silent %.3f s\n",
                    (unsigned long long)(now.gaps - before.gaps), (unsigned long long)a->seq, t,
                    (double)now.gap_silence_ns * 1e-9);
        before = now;
        if (ezc_events_is(a))
            print_events(stdout, t, a, header_only);
        else
            cli_print_summary(stdout, t, a, header_only);
        ezc_array_destroy(&a);
        seen++;
    }
    ezc_sub_stats st;
    ezc_sub_stats_get(s, &st);
    if (st.gaps || st.malformed)
        fprintf(stderr,
                "ezc echo: %llu messages, %llu missing (sequence gaps), %llu malformed%s%s\n",
                (unsigned long long)st.received, (unsigned long long)st.gaps,
                (unsigned long long)st.malformed, st.malformed ? "; last: " : "",
                st.malformed ? st.last_error : "");
    ezc_sub_destroy(&s);
    return rc;
}
