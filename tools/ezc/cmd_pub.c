/* cmd_pub.c — `ezc pub`: publish a synthetic signal, paced in real time or
 * as fast as the subscribers take it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli.h"

static void help(FILE *f)
{
    fprintf(f,
        "usage: ezc pub ENDPOINT [options]\n"
        "Publishes a synthetic [time, ch] signal on ENDPOINT (binds it).\n\n"
        "  --signal KIND    sine (default), noise or counter\n"
        "  --fs HZ          sampling rate (default 1000)\n"
        "  --channels N     channels (default 8)\n"
        "  --chunk N        samples per message (default 100)\n"
        "  --dtype T        float32 (default), float64, int16, ...\n"
        "  --freq HZ        sine frequency of ch0; chN runs at (N+1) x HZ (default 10)\n"
        "  --amplitude A    sine amplitude / noise deviation (default 1)\n"
        "  --topic T        topic (default 'raw')\n"
        "  --count N        stop after N messages (default: until Ctrl-C)\n"
        "  --fast           as fast as possible instead of real-time pacing\n"
        "  --wait-subs N    wait for N subscribers before the first message\n\n"
        "examples:\n"
        "  ezc pub ipc:///tmp/raw --channels 8 --fs 1000\n"
        "  ezc pub tcp://0.0.0.0:5560 --signal noise --dtype float64 --fast --count 10000\n");
}

int cmd_pub(int argc, char **argv)
{
    static const struct option opts[] = {
        {"signal", 1, 0, 's'}, {"fs", 1, 0, 'f'},        {"channels", 1, 0, 'c'},
        {"chunk", 1, 0, 'k'},  {"dtype", 1, 0, 'd'},     {"freq", 1, 0, 'q'},
        {"amplitude", 1, 0, 'a'}, {"topic", 1, 0, 't'},  {"count", 1, 0, 'n'},
        {"fast", 0, 0, 'F'},   {"wait-subs", 1, 0, 'w'}, {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    ezc_synth_options so;
    ezc_synth_options_init(&so);
    const char *topic = "raw";
    long long count = 0, v, wait_subs = 0;
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
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "ezc pub: expected one ENDPOINT\n");
        help(stderr);
        return 2;
    }
    ezc_synth *syn = ezc_synth_new(&so, &err);
    if (!syn) {
        fprintf(stderr, "ezc pub: %s\n", err.msg);
        return 2;
    }
    ezc_pub *p = ezc_pub_new(argv[optind], NULL, &err);
    if (!p) {
        fprintf(stderr, "ezc pub: %s\n", err.msg);
        ezc_synth_destroy(&syn);
        return 1;
    }
    cli_install_signals();
    int rc = 0;
    if (wait_subs > 0 && ezc_pub_wait_subscribers(p, (int)wait_subs, -1, &err)) {
        fprintf(stderr, "ezc pub: %s\n", err.msg);
        rc = 1;
    }
    struct timespec start, next;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long long i = 0; !rc && !cli_stop && (count == 0 || i < count); i++) {
        if (!fast) {
            double t = (double)ezc_synth_samples(syn) / so.fs;
            next = start;
            next.tv_sec += (time_t)t;
            next.tv_nsec += (long)((t - (double)(time_t)t) * 1e9);
            if (next.tv_nsec >= 1000000000L) {
                next.tv_sec++;
                next.tv_nsec -= 1000000000L;
            }
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) && !cli_stop)
                ;
        }
        ezc_array *a = ezc_synth_next(syn, &err);
        if (!a || ezc_pub_send(p, topic, a, &err)) {
            if (!cli_stop) {
                fprintf(stderr, "ezc pub: %s\n", err.msg);
                rc = 1;
            }
        }
        ezc_array_destroy(&a);
    }
    ezc_pub_destroy(&p);
    ezc_synth_destroy(&syn);
    return rc;
}
