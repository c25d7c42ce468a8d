/* dash_main.c — `ezc-dash` (`ezc dash`): options, the token, the lws
 * context and its event loop (docs/dashboard.md).
 *
 * The service thread runs lws and a 10 ms timer that hands it the other
 * threads' results (dash_ws_tick); SIGINT/SIGTERM only set a flag, which
 * the loop sees within that timer's period, so a stop takes well under a
 * second whatever the connections are doing. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <libwebsockets.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dash.h"
#include "ezc/log.h"

#ifndef EZC_DASH_DATADIR
#define EZC_DASH_DATADIR ""
#endif
#ifndef EZC_DASH_SRCDIR
#define EZC_DASH_SRCDIR ""
#endif

#define TICK_US 10000

static volatile sig_atomic_t stop_requested;
static lws_sorted_usec_list_t tick_sul;
static dash_ctx dash;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void help(FILE *f)
{
    fprintf(f, "usage: ezc dash [options]      (also: ezc-dash [options])\n"
               "Serves a live dashboard of this host's running graphs and named streams:\n"
               "every graph's nodes with their figures, a live plot of any stream, node\n"
               "settings applied live, recordings started and stopped (docs/dashboard.md).\n"
               "Prints one line, `ezc dash: http://HOST:PORT/?token=TOKEN`, once it serves;\n"
               "open that URL. Ctrl-C (or SIGTERM) stops it and any recording it started.\n\n"
               "  --port N         TCP port (default 8765; 0: any free port, the URL says which)\n"
               "  --bind ADDR      address to listen on (default 127.0.0.1; 0.0.0.0 makes the\n"
               "                   page reachable from other machines: plain HTTP, trusted\n"
               "                   networks only)\n"
               "  --token-file F   keep the access token in F (read it if F exists, else write\n"
               "                   a new one, mode 0600); default: a new token each start\n"
               "  --www DIR        serve the page from DIR (index.html, app.js, style.css)\n"
               "  --quiet          print only the URL line\n"
               "  --help           this text\n\n"
               "examples:\n"
               "  ezc dash\n"
               "  ezc dash --port 0 --token-file ~/.config/ezc/dash.token\n"
               "  ezc run graph.yaml --dash\n");
}

static int hex_token(char out[33])
{
    unsigned char r[16];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    return 0;
}

static int is_hex32(const char *s)
{
    for (int i = 0; i < 32; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[32] == '\0';
}

/* The token kept in path, or a new one written there (0600). */
static int token_from_file(const char *path, char out[33])
{
    FILE *f = fopen(path, "r");
    if (f) {
        char buf[64] = "";
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        buf[strcspn(buf, " \r\n\t")] = '\0';
        if (!is_hex32(buf)) {
            fprintf(stderr, "ezc dash: %s: expected 32 hex digits (a token this command wrote)\n",
                    path);
            return -1;
        }
        memcpy(out, buf, 33);
        return 0;
    }
    if (hex_token(out))
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, out, 32) != 32 || write(fd, "\n", 1) != 1) {
        fprintf(stderr, "ezc dash: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static int has_index(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/index.html", dir);
    return dir[0] && access(p, R_OK) == 0;
}

/* --www, $EZC_DASH_WWW, the installed data folder, the source tree. */
static int find_www(const char *opt, char *out, size_t cap)
{
    const char *env = getenv("EZC_DASH_WWW");
    const char *tries[] = {opt, env && env[0] ? env : NULL, EZC_DASH_DATADIR, EZC_DASH_SRCDIR};
    if (opt && !has_index(opt)) {
        fprintf(stderr, "ezc dash: --www %s: no index.html there\n", opt);
        return -1;
    }
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
        if (tries[i] && has_index(tries[i])) {
            char real[PATH_MAX];
            snprintf(out, cap, "%s", realpath(tries[i], real) ? real : tries[i]);
            return 0;
        }
    fprintf(stderr,
            "ezc dash: the page's files (index.html) were not found in $EZC_DASH_WWW, %s or "
            "%s; give --www DIR\n",
            EZC_DASH_DATADIR, EZC_DASH_SRCDIR);
    return -1;
}

/* `ezc` beside this binary (an install), or in the build tree's tools/ezc. */
static void find_ezc(char *out, size_t cap)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    snprintf(out, cap, "ezc");
    if (n <= 0)
        return;
    self[n] = '\0';
    char *dir = dirname(self);
    char p[PATH_MAX + 32];
    static const char *const rel[] = {"ezc", "../ezc/ezc"};
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, rel[i]);
        if (access(p, X_OK) == 0 && strlen(p) < cap) {
            memcpy(out, p, strlen(p) + 1);
            return;
        }
    }
}

static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lws_context *wake_lws; /* NULL once the context goes */

void dash_wake(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&wake_lock);
    if (wake_lws)
        lws_cancel_service(wake_lws);
    pthread_mutex_unlock(&wake_lock);
}

/* A stop must take effect even if lws never returns to our loop (a peer
 * that vanished mid-send can hold lws 4.1 in its flush loop): after 1.5 s
 * the recorders get their SIGINT here and the process exits 0. */
static void *watchdog(void *arg)
{
    (void)arg;
    while (!stop_requested)
        usleep(50000);
    usleep(1500000);
    if (dash.record)
        dash_record_signal_all(dash.record);
    usleep(300000);
    fprintf(stderr, "ezc dash: the server did not stop in time; exiting\n");
    _exit(0);
    return NULL;
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    dash_ws_tick(&dash);
    lws_sul_schedule(dash.lws, 0, sul, on_tick, TICK_US);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", 1, 0, 'p'}, {"bind", 1, 0, 'b'},  {"token-file", 1, 0, 't'},
        {"www", 1, 0, 'w'},  {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    const char *bind = "127.0.0.1", *token_file = NULL, *www = NULL;
    long port = 8765;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'p':
            errno = 0;
            port = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || port < 0 || port > 65535) {
                fprintf(stderr, "ezc dash: --port: expected 0 to 65535, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'b': bind = optarg; break;
        case 't': token_file = optarg; break;
        case 'w': www = optarg; break;
        case 'q': dash.quiet = 1; break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "ezc dash: unexpected argument '%s'\n", argv[optind]);
        help(stderr);
        return 2;
    }
    if (strlen(bind) >= sizeof dash.host) {
        fprintf(stderr, "ezc dash: --bind: address too long\n");
        return 2;
    }
    snprintf(dash.host, sizeof dash.host, "%s", bind);
    if (token_file ? token_from_file(token_file, dash.token) : hex_token(dash.token)) {
        if (!token_file)
            fprintf(stderr, "ezc dash: getrandom: %s\n", strerror(errno));
        return 1;
    }
    if (find_www(www, dash.www, sizeof dash.www))
        return 1;
    char ezc[PATH_MAX];
    find_ezc(ezc, sizeof ezc);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);

    ezc_error err;
    int rc = 1;
    dash.record = dash_record_new(ezc, cwd);
    dash.streams = dash_streams_new(dash_wake, &dash, &err);
    if (!dash.record || !dash.streams) {
        fprintf(stderr, "ezc dash: out of memory\n");
        goto out;
    }
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.user = &dash;
    info.fd_limit_per_thread = 1024;
    info.timeout_secs = 10;
    info.timeout_secs_ah_idle = 10;
    info.max_http_header_data = 8192;
    dash.lws = lws_create_context(&info);
    if (!dash.lws) {
        fprintf(stderr, "ezc dash: cannot create the server (libwebsockets)\n");
        goto out;
    }
    pthread_mutex_lock(&wake_lock);
    wake_lws = dash.lws;
    pthread_mutex_unlock(&wake_lock);
    info.port = (int)port;
    info.iface = bind;
    info.protocols = dash_protocols;
    info.vhost_name = "ezc-dash";
    struct lws_vhost *vh = lws_create_vhost(dash.lws, &info);
    if (!vh) {
        fprintf(stderr,
                "ezc dash: cannot listen on %s:%ld (in use? another address: --bind, "
                "another port: --port)\n",
                bind, port);
        goto out;
    }
    dash.graphs = dash_graphs_new(dash_wake, &dash, &err);
    if (!dash.graphs) {
        fprintf(stderr, "ezc dash: %s\n", err.msg);
        goto out;
    }
    printf("ezc dash: http://%s:%d/?token=%s\n", bind, lws_get_vhost_listen_port(vh), dash.token);
    fflush(stdout);
    if (!dash.quiet)
        fprintf(stderr, "ezc dash: serving %s; Ctrl-C stops\n", dash.www);
    lws_sul_schedule(dash.lws, 0, &tick_sul, on_tick, TICK_US);
    pthread_t wd;
    if (pthread_create(&wd, NULL, watchdog, NULL) == 0)
        pthread_detach(wd);
    while (!stop_requested)
        if (lws_service(dash.lws, 0) < 0)
            break;
    rc = 0;
out:
    dash_graphs_destroy(&dash.graphs);
    pthread_mutex_lock(&wake_lock);
    wake_lws = NULL;
    pthread_mutex_unlock(&wake_lock);
    if (dash.lws)
        lws_context_destroy(dash.lws); /* closes every connection: plots go */
    dash.lws = NULL;
    dash_ws_stop_worker();
    dash_streams_destroy(&dash.streams);
    dash_record_destroy(&dash.record, 700);
    dash_ws_free_globals();
    return rc;
}
