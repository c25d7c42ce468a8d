/* cmd_record.c — `ezc record`: keep a stream's wire messages in a file.
 *
 * A plain SUB socket, not ezc_sub: the frames are written exactly as they
 * arrived (ezc_sub would decode them into arrays). Each message still goes
 * through the wire decoder first, so a recording never holds a message an
 * ezc subscriber would refuse; refused ones are counted and skipped. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>
#include "cli.h"
#include "cli_curve.h"
#include "cli_names.h"
#include "ezc/recording.h"
#include "pubsub_internal.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ezc record ENDPOINT FILE [options]\n"
               "       ezc record --repair FILE\n"
               "Subscribes to ENDPOINT (connects) and writes every message to FILE as it\n"
               "arrived on the wire (topic, header and data frames, byte for byte, with\n"
               "checksums) with its receive time, then an index (docs/recording-format.md).\n"
               "Stops at Ctrl-C, --count, --duration or the end of the stream (the publisher's\n"
               "end-of-stream marker, docs/wire-format.md; not stored); the index is written\n"
               "then. Messages\n"
               "reach the file at least every 0.25 s, so a recorder that is killed loses\n"
               "little: readers read such a file up to its last complete message, and\n"
               "--repair writes its index. If the disk fills, the error names the file and\n"
               "the file keeps every message that reached it whole. Messages an ezc\n"
               "subscriber would refuse are skipped and counted.\n" CLI_NAME_ARG_HELP "\n"
               "  --topic T       topic prefix to subscribe to (default: all)\n"
               "  --count N       stop after N messages\n"
               "  --duration S    stop after S seconds\n"
               "  --force         replace FILE if it exists\n"
               "  --quiet         no summary line\n"
               "  --keep          keep recording after an end of stream (alias "
               "--ignore-eos)\n" CLI_NAME_HELP
               "  --repair FILE   write the index of a recording whose recorder died (kill,\n"
               "                  power loss): the incomplete message at its end is cut off\n"
               "                  (the bytes are reported); a finished file is left "
               "alone\n" CLI_CURVE_CLIENT_HELP
               "                   (the file holds the messages as received: decrypted)\n\n"
               "examples:\n"
               "  ezc record ipc:///tmp/raw raw.ezr --duration 60\n"
               "  ezc record emg emg.ezr --count 1000          # a stream name (ezc ls)\n"
               "  ezc record tcp://10.0.0.5:5560 emg.ezr --topic emg --count 1000\n"
               "  ezc record --repair raw.ezr                 # after a crash\n"
               "  ezc replay raw.ezr ipc:///tmp/replayed      # play it back\n");
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Receives one whole message into parts[0..2]; returns the frame count
 * (0 on timeout, -1 on a socket error). Extra frames are drained. */
static int recv_message(void *sock, zmq_msg_t parts[3], int timeout_ms)
{
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return 0;
    int n = 0, more = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            if (zmq_errno() == EINTR && n == 0)
                return 0;
            if (zmq_errno() == EINTR)
                continue;
            for (int i = 0; i < n && i < 3; i++)
                zmq_msg_close(&parts[i]);
            return -1;
        }
        more = zmq_msg_more(&m);
        if (n < 3) {
            zmq_msg_init(&parts[n]);
            zmq_msg_move(&parts[n], &m);
        }
        zmq_msg_close(&m);
        n++;
    }
    return n;
}

static int repair(const char *path, int quiet)
{
    ezc_recording_info info;
    ezc_error err;
    if (ezc_recording_repair(path, &info, &err)) {
        fprintf(stderr, "ezc record: %s\n", err.msg);
        return 1;
    }
    if (info.finished) {
        if (!quiet)
            fprintf(stderr, "ezc record: %s is complete (it has its index): nothing to repair\n",
                    path);
        return 0;
    }
    ezc_recording *r = ezc_recording_open(path, &err);
    if (!r) { /* cannot happen unless someone writes the file meanwhile */
        fprintf(stderr, "ezc record: after repair: %s\n", err.msg);
        return 1;
    }
    if (!quiet)
        fprintf(stderr,
                "ezc record: repaired %s: %zu messages, index written; cut off the last "
                "%llu bytes%s%s\n",
                path, ezc_recording_count(r), (unsigned long long)info.discarded,
                info.discarded ? " from " : "", info.reason);
    ezc_recording_close(&r);
    return 0;
}

int cmd_record(int argc, char **argv)
{
    static const struct option opts[] = {
        {"topic", 1, 0, 't'},     {"count", 1, 0, 'n'},      {"duration", 1, 0, 'd'},
        {"force", 0, 0, 'f'},     {"quiet", 0, 0, 'q'},      {"repair", 1, 0, 'R'},
        {"keep", 0, 0, 'k'},      {"ignore-eos", 0, 0, 'k'}, {"help", 0, 0, 'h'},
        CLI_CURVE_CLIENT_OPTIONS, CLI_NAME_OPTIONS,          {0, 0, 0, 0}};
    cli_curve cc = {0};
    const char *topic = "", *to_repair = NULL;
    long long count = 0;
    double duration = 0, wait_s = 0;
    int force = 0, quiet = 0, keep = 0, ended = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': topic = optarg; break;
        case 'n':
            if (cli_parse_long("record", "--count", optarg, 0, 1LL << 62, &count))
                return 2;
            break;
        case 'd':
            if (cli_parse_double("record", "--duration", optarg, &duration))
                return 2;
            break;
        case 'f': force = 1; break;
        case 'q': quiet = 1; break;
        case 'k': keep = 1; break;
        case 'R': to_repair = optarg; break;
        case 'h': help(stdout); return 0;
        default:
            if (cli_curve_take(&cc, c, optarg))
                break;
            if ((c = cli_name_take("record", c, optarg, &wait_s)) != 0) {
                if (c < 0)
                    return 2;
                break;
            }
            help(stderr);
            return 2;
        }
    }
    if (to_repair) {
        if (optind != argc) {
            fprintf(stderr, "ezc record: --repair FILE takes no ENDPOINT\n");
            return 2;
        }
        return repair(to_repair, quiet);
    }
    if (optind != argc - 2) {
        fprintf(stderr, "ezc record: expected ENDPOINT and FILE\n");
        help(stderr);
        return 2;
    }
    char resolved[512];
    const char *endpoint =
                   cli_stream_endpoint("record", argv[optind], wait_s, resolved, sizeof resolved),
               *path = argv[optind + 1];
    if (!endpoint)
        return 1;
    if (strncmp(endpoint, "tcp://", 6) && strncmp(endpoint, "ipc://", 6)) {
        fprintf(stderr, "ezc record: endpoint '%s' must start with tcp:// or ipc://\n", endpoint);
        return 2;
    }
    ezc_error err;
    if (cli_curve_apply("record", &cc, NULL, NULL))
        return 2;
    void *sock = ezc_zmq_socket_open(NULL, ZMQ_SUB);
    if (sock && cli_curve_client_socket("record", &cc, sock, endpoint)) {
        ezc_zmq_socket_close(sock, 1);
        return 1;
    }
    int hwm = 10000, zero = 0;
    if (!sock || zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof hwm) ||
        zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero) ||
        zmq_setsockopt(sock, ZMQ_SUBSCRIBE, topic, strlen(topic)) || zmq_connect(sock, endpoint)) {
        fprintf(stderr, "ezc record: cannot connect to '%s': %s\n", endpoint,
                zmq_strerror(zmq_errno()));
        if (sock)
            ezc_zmq_socket_close(sock, 1);
        return 1;
    }
    ezc_recording_writer *w = ezc_recording_writer_new(path, force, &err);
    if (!w) {
        fprintf(stderr, "ezc record: %s%s\n", err.msg,
                strstr(err.msg, "exists") ? " (give --force to replace it)" : "");
        ezc_zmq_socket_close(sock, 1);
        return 1;
    }
    cli_install_signals();
    int rc = 0;
    uint64_t refused = 0;
    char last_refusal[EZC_ERROR_MSG_MAX] = "";
    double start = mono_s(), flushed = start;
    while (!cli_stop && (!count || (long long)ezc_recording_writer_count(w) < count)) {
        int wait = 100;
        if (duration > 0) {
            double left = duration - (mono_s() - start);
            if (left <= 0)
                break;
            wait = left < 0.1 ? (int)(left * 1000) + 1 : 100;
        }
        /* Hand buffered records to the file when idle and every 0.25 s, so
         * that a recorder killed now loses at most that much. */
        double now = mono_s();
        if (now - flushed >= 0.25) {
            if (ezc_recording_writer_flush(w, &err)) {
                fprintf(stderr, "ezc record: %s\n", err.msg);
                rc = 1;
                break;
            }
            flushed = now;
        }
        zmq_msg_t parts[3];
        int n = recv_message(sock, parts, wait);
        if (n == 0) {
            if (ezc_recording_writer_flush(w, &err)) {
                fprintf(stderr, "ezc record: %s\n", err.msg);
                rc = 1;
                break;
            }
            flushed = mono_s();
            continue;
        }
        if (n < 0) {
            fprintf(stderr, "ezc record: receive from %s failed: %s\n", endpoint,
                    zmq_strerror(zmq_errno()));
            rc = 1;
            break;
        }
        int64_t recv_ns = ezc_clock_ns(CLOCK_REALTIME);
        if (n != 3) {
            refused++;
            snprintf(last_refusal, sizeof last_refusal, "%d frames (expected 3)", n);
        } else {
            /* Would an ezc subscriber take it? (The decoder checks the data length.) */
            size_t dlen = zmq_msg_size(&parts[2]);
            ezc_buffer *b = dlen ? ezc_buffer_wrap(zmq_msg_data(&parts[2]), dlen, ezc_device_cpu(),
                                                   NULL, NULL, &err)
                                 : NULL;
            ezc_array *a = NULL;
            int drc =
                ezc_wire_decode(zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), b, &a, &err);
            ezc_array_destroy(&a);
            ezc_buffer_unref(&b);
            if (drc == EZC_EEOS) { /* the end: not a message, not malformed */
                ended = !keep;
                if (!quiet)
                    fprintf(stderr, "ezc record: end of stream%s\n",
                            keep ? "; recording on (--keep)" : "");
            } else if (drc) {
                refused++;
                snprintf(last_refusal, sizeof last_refusal, "%s", err.msg);
            } else if (ezc_recording_writer_add(w, zmq_msg_data(&parts[0]), zmq_msg_size(&parts[0]),
                                                zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]),
                                                zmq_msg_data(&parts[2]), dlen, recv_ns, &err)) {
                fprintf(stderr, "ezc record: %s\n", err.msg);
                rc = 1;
            }
        }
        for (int i = 0; i < n && i < 3; i++)
            zmq_msg_close(&parts[i]);
        if (rc || ended)
            break;
    }
    uint64_t msgs = ezc_recording_writer_count(w), bytes = ezc_recording_writer_bytes(w);
    int closed = ezc_recording_writer_close(&w, &err);
    if (closed) { /* after a failed write it says how many messages the file keeps */
        fprintf(stderr, "ezc record: %s\n", err.msg);
        rc = 1;
    }
    ezc_zmq_socket_close(sock, 1);
    if (!quiet && !closed)
        fprintf(stderr, "ezc record: %llu messages, %.3f MB of data in %.1f s to %s\n",
                (unsigned long long)msgs, (double)bytes / 1e6, mono_s() - start, path);
    if (refused)
        fprintf(stderr, "ezc record: %llu malformed messages skipped; last: %s\n",
                (unsigned long long)refused, last_refusal);
    return rc;
}
