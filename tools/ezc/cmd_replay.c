/* cmd_replay.c — `ezc replay`: publish a recording's messages again.
 *
 * The recorded frames go out verbatim (same topic, header bytes — src, seq
 * and ts included — and data) on an XPUB socket set up like an ezc
 * publisher's (back-pressure, no silent drop), at the recorded pace
 * (receive-time differences, scaled by --rate) or as fast as taken. The
 * whole file is checked before the first message leaves. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "cli.h"
#include "ezc/recording.h"
#include "ipc_endpoint.h"
#include "pubsub_internal.h"

#define LINGER_MS 2000
#define MAX_END_TOPICS 256 /* topics that get an end-of-stream marker */

static void help(FILE *f)
{
    fprintf(f, "usage: ezc replay FILE ENDPOINT [options]\n"
               "Checks the recording FILE (every record's checksums, data included; an error\n"
               "names the message and the byte offset of a corrupt part), binds ENDPOINT,\n"
               "waits for a subscriber, and publishes every message byte for byte as recorded\n"
               "(topic, header with its original src/seq/ts, data) at the recorded pace. A\n"
               "file whose recorder was killed (no index) is replayed up to its last complete\n"
               "message, saying how many bytes at the end were left out and why\n"
               "(`ezc record --repair FILE` adds the index). Files of format version 1 are\n"
               "played without data verification (they carry no data checksum). A progress\n"
               "bar is drawn on stderr when it is a terminal. At the end (not with --loop) each\n"
               "topic gets an end-of-stream marker (docs/wire-format.md), numbered after its\n"
               "last message, so `ezc echo`, `ezc record` and graphs downstream finish too.\n\n"
               "  --fast          as fast as the subscribers take them (back-pressure)\n"
               "  --rate X        X times the recorded pace (2: twice as fast)\n"
               "  --loop          start over at the end, until Ctrl-C\n"
               "  --wait N        subscribers to wait for before the first message (default 1;\n"
               "                  0: start at once, messages before a subscription are lost)\n"
               "  --quiet         no progress bar, no summary\n\n"
               "examples:\n"
               "  ezc replay raw.ezr ipc:///tmp/raw\n"
               "  ezc replay raw.ezr tcp://0.0.0.0:5560 --rate 4 --loop\n"
               "  ezc replay raw.ezr ipc:///tmp/raw --fast --wait 2\n");
}

static int64_t mono_ns(void)
{
    return ezc_clock_ns(CLOCK_MONOTONIC);
}

/* Reads pending subscription messages; returns how many were subscriptions. */
static int drain(void *sock)
{
    unsigned char buf[256];
    int subs = 0, n;
    while ((n = zmq_recv(sock, buf, sizeof buf, ZMQ_DONTWAIT)) >= 0)
        subs += n >= 1 && buf[0] == 1;
    return subs;
}

/* Sends one frame, retrying while the queue is full (back-pressure) until
 * Ctrl-C. 0, 1 (stopped) or -1 (socket error). */
static int send_frame(void *sock, const void *p, size_t n, int flags)
{
    while (zmq_send(sock, p, n, flags) < 0) {
        if (zmq_errno() != EAGAIN && zmq_errno() != EINTR)
            return -1;
        if (cli_stop)
            return 1;
    }
    return 0;
}

/* The recording's streams end as an ezc publisher ends them: one marker per
 * topic after everything, with the src of the topic's last message and the
 * seq after it, so a subscriber counts no gap. 0, 1 (stopped) or -1. */
static int send_ends(void *sock, const ezc_recording *r, size_t n)
{
    ezc_error err;
    ezc_wire_encoder *enc = ezc_wire_encoder_new(&err);
    if (!enc)
        return -1;
    const char *topics[MAX_END_TOPICS];
    size_t lens[MAX_END_TOPICS], nt = 0;
    int rc = 0;
    for (size_t i = n; i-- > 0 && nt < MAX_END_TOPICS && !rc;) {
        ezc_recording_msg m;
        if (ezc_recording_get(r, i, &m))
            continue;
        size_t k = 0;
        while (k < nt && !(lens[k] == m.topic_len && !memcmp(topics[k], m.topic, m.topic_len)))
            k++;
        if (k < nt)
            continue; /* a later message of this topic was found already */
        topics[nt] = m.topic;
        lens[nt++] = m.topic_len;
        ezc_wire_stamp st = {0, 0, ezc_clock_ns(CLOCK_REALTIME), 0};
        ezc_buffer *b = m.data_len ? ezc_buffer_wrap((void *)m.data, m.data_len, ezc_device_cpu(),
                                                     NULL, NULL, &err)
                                   : NULL;
        ezc_array *a = NULL;
        if ((b || !m.data_len) && !ezc_wire_decode(m.header, m.header_len, b, &a, &err)) {
            st.src = a->src;
            st.seq = a->seq + 1;
        }
        ezc_array_destroy(&a);
        ezc_buffer_unref(&b);
        const void *hdr;
        size_t hlen;
        if (ezc_wire_encode_eos(enc, &st, &hdr, &hlen, &err)) {
            rc = -1;
            break;
        }
        rc = send_frame(sock, m.topic, m.topic_len, ZMQ_SNDMORE);
        if (!rc)
            rc = send_frame(sock, hdr, hlen, ZMQ_SNDMORE);
        if (!rc)
            rc = send_frame(sock, "", 0, 0);
    }
    ezc_wire_encoder_destroy(&enc);
    return rc;
}

static void progress(size_t i, size_t n, long long loop, int looping, double t, double total)
{
    int width = 30, done = n ? (int)((double)i * width / (double)n) : width;
    char bar[64];
    for (int k = 0; k < width; k++)
        bar[k] = k < done ? '#' : '.';
    bar[width] = '\0';
    if (looping)
        fprintf(stderr, "\r[%s] %3.0f%% %zu/%zu msgs  loop %lld  %.1f s ", bar,
                n ? 100.0 * (double)i / (double)n : 100.0, i, n, loop + 1, t);
    else
        fprintf(stderr, "\r[%s] %3.0f%% %zu/%zu msgs  %.1f/%.1f s ", bar,
                n ? 100.0 * (double)i / (double)n : 100.0, i, n, t, total);
    fflush(stderr);
}

int cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        {"fast", 0, 0, 'F'},  {"rate", 1, 0, 'r'}, {"loop", 0, 0, 'l'}, {"wait", 1, 0, 'w'},
        {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    double rate = 1;
    long long wait_subs = 1;
    int fast = 0, loop = 0, quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'F': fast = 1; break;
        case 'r':
            if (cli_parse_double("replay", "--rate", optarg, &rate))
                return 2;
            if (rate <= 0) {
                fprintf(stderr, "ezc replay: --rate '%s': expected a number > 0\n", optarg);
                return 2;
            }
            break;
        case 'l': loop = 1; break;
        case 'w':
            if (cli_parse_long("replay", "--wait", optarg, 0, 1000000, &wait_subs))
                return 2;
            break;
        case 'q': quiet = 1; break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    if (optind != argc - 2) {
        fprintf(stderr, "ezc replay: expected FILE and ENDPOINT\n");
        help(stderr);
        return 2;
    }
    const char *path = argv[optind], *endpoint = argv[optind + 1];
    if (strncmp(endpoint, "tcp://", 6) && strncmp(endpoint, "ipc://", 6)) {
        fprintf(stderr, "ezc replay: endpoint '%s' must start with tcp:// or ipc://\n", endpoint);
        return 2;
    }
    ezc_error err;
    ezc_recording *r = ezc_recording_open(path, &err);
    if (!r) {
        fprintf(stderr, "ezc replay: %s\n", err.msg);
        return 1;
    }
    size_t n = ezc_recording_count(r);
    const ezc_recording_info *info = ezc_recording_info_of(r);
    if (!info->finished)
        fprintf(stderr,
                "ezc replay: recording %s is unfinished (no index footer: its recorder did not "
                "close it): read %zu complete messages; discarded the last %llu bytes%s%s "
                "(`ezc record --repair %s` writes the index)\n",
                path, n, (unsigned long long)info->discarded, info->discarded ? " from " : "",
                info->reason, path);
    if (!info->data_verified)
        fprintf(stderr,
                "ezc replay: recording %s: format version %u: its data bytes carry no checksum "
                "and are not verified\n",
                path, info->version);
    ezc_ipc_claim *claim; /* a live ipc endpoint is not taken over */
    if (ezc_ipc_claim_take(endpoint, &claim, &err)) {
        fprintf(stderr, "ezc replay: cannot bind: %s\n", err.msg);
        ezc_recording_close(&r);
        return 1;
    }
    ezc_zmq_note_linger(LINGER_MS);
    void *sock = ezc_zmq_socket_open(NULL, ZMQ_XPUB);
    int hwm = 1000, one = 1, linger = LINGER_MS, tmo = 100;
    if (!sock || zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(sock, ZMQ_XPUB_NODROP, &one, sizeof one) ||
        zmq_setsockopt(sock, ZMQ_XPUB_VERBOSE, &one, sizeof one) ||
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) ||
        zmq_setsockopt(sock, ZMQ_SNDTIMEO, &tmo, sizeof tmo) || zmq_bind(sock, endpoint)) {
        fprintf(stderr, "ezc replay: cannot bind '%s': %s\n", endpoint, zmq_strerror(zmq_errno()));
        if (sock)
            ezc_zmq_socket_close(sock, 1);
        ezc_ipc_claim_release(&claim);
        ezc_recording_close(&r);
        return 1;
    }
    if (ezc_ipc_claim_bound(claim, &err))
        fprintf(stderr, "ezc replay: %s\n", err.msg); /* still serves, only less private */
    char bound[512];
    size_t blen = sizeof bound;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, bound, &blen))
        snprintf(bound, sizeof bound, "%s", endpoint);
    bound[sizeof bound - 1] = '\0';
    ezc_ipc_file ipc_file; /* removed at the end, as a publisher's is */
    ezc_ipc_file_note(&ipc_file, endpoint, bound);
    cli_install_signals();
    int tty = !quiet && isatty(2), rc = 0;
    long long subs = 0;
    while (!cli_stop && subs < wait_subs) {
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        zmq_poll(&item, 1, 100);
        subs += drain(sock);
    }
    ezc_recording_msg first, last;
    ezc_recording_get(r, 0, &first);
    ezc_recording_get(r, n ? n - 1 : 0, &last);
    /* A loop lasts the recorded span plus one mean interval. */
    int64_t span = n > 1 ? last.recv_ns - first.recv_ns : 0;
    int64_t period = n > 1 ? span + span / (int64_t)(n - 1) : 0;
    int64_t t0 = mono_ns(), last_draw = 0;
    uint64_t sent = 0, bytes = 0;
    long long l;
    for (l = 0; !cli_stop && !rc && n && (l == 0 || loop); l++) {
        for (size_t i = 0; i < n && !cli_stop; i++) {
            ezc_recording_msg m;
            ezc_recording_get(r, i, &m);
            if (!fast) {
                int64_t due =
                    t0 + (int64_t)((double)(l * period + m.recv_ns - first.recv_ns) / rate);
                struct timespec ts = {(time_t)(due / 1000000000), (long)(due % 1000000000)};
                while (!cli_stop &&
                       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                    ;
                if (cli_stop)
                    break;
            }
            int s = send_frame(sock, m.topic, m.topic_len, ZMQ_SNDMORE);
            /* Once the first frame is queued the rest go at once (whole messages). */
            if (!s)
                s = send_frame(sock, m.header, m.header_len, ZMQ_SNDMORE);
            if (!s)
                s = send_frame(sock, m.data, m.data_len, 0);
            if (s < 0) {
                fprintf(stderr, "%sezc replay: send on %s failed: %s\n", tty ? "\n" : "", endpoint,
                        zmq_strerror(zmq_errno()));
                rc = 1;
            }
            if (s)
                break;
            sent++;
            bytes += m.data_len;
            if ((sent & 15) == 0)
                drain(sock);
            int64_t now = mono_ns();
            if (tty && (now - last_draw > 100000000 || i == n - 1)) {
                progress(i + 1, n, l, loop, (double)(now - t0) * 1e-9, (double)span / rate * 1e-9);
                last_draw = now;
            }
        }
    }
    if (!rc && !cli_stop && n) { /* played to the end (a loop ends only when stopped) */
        int s = send_ends(sock, r, n);
        if (s < 0) {
            fprintf(stderr, "%sezc replay: cannot send the end of stream on %s: %s\n",
                    tty ? "\n" : "", endpoint, zmq_strerror(zmq_errno()));
            rc = 1;
        }
    }
    if (tty)
        fputc('\n', stderr);
    if (!quiet)
        fprintf(stderr, "ezc replay: %llu messages, %.3f MB of data in %.2f s from %s%s\n",
                (unsigned long long)sent, (double)bytes / 1e6, (double)(mono_ns() - t0) * 1e-9,
                path, cli_stop ? " (stopped)" : "");
    /* held until slow subscribers have read the end (core/ipc_drain.c) */
    ezc_ipc_drain *drain = strncmp(bound, "ipc://", 6) == 0 ? ezc_ipc_drain_begin(bound + 6) : NULL;
    ezc_zmq_socket_close(sock, 1);
    ezc_ipc_drain_finish(&drain, LINGER_MS);
    ezc_ipc_file_remove(&ipc_file);
    ezc_ipc_claim_release(&claim);
    ezc_recording_close(&r);
    return rc;
}
