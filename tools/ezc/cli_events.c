/* cli_events.c — the events `ezc pub --events` sends (cli_events.h). */
#include "cli_events.h"
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

/* LABELS -> ev->labels: at least one, none empty. */
int cli_events_labels(cli_events *ev, const char *arg)
{
    ev->text = strdup(arg);
    ev->labels = calloc(EVENTS_LABELS_MAX, sizeof *ev->labels);
    if (!ev->text || !ev->labels) {
        fprintf(stderr, "ezc pub: --events: out of memory\n");
        return -1;
    }
    for (char *p = ev->text, *comma;; p = comma + 1) {
        comma = strchr(p, ',');
        if (comma)
            *comma = 0;
        char *l = trim(p);
        if (!*l) {
            fprintf(stderr,
                    "ezc pub: --events '%s': label %zu is empty (expected LABEL,LABEL,... "
                    "or - for stdin)\n",
                    arg, ev->nlabels + 1);
            return -1;
        }
        if (ev->nlabels == EVENTS_LABELS_MAX) {
            fprintf(stderr, "ezc pub: --events: more than %d labels\n", EVENTS_LABELS_MAX);
            return -1;
        }
        ev->labels[ev->nlabels++] = l;
        if (!comma)
            return 0;
    }
}

void cli_events_free(cli_events *ev)
{
    free(ev->text);
    free(ev->labels);
}

/* The next stdin line, NUL-terminated without its newline: 1; 0 at the end
 * of input; EZC_EINTR on Ctrl-C; -1 (said on stderr) for a line longer
 * than EVENTS_LINE_MAX or a read error. */
static int read_line(cli_events *ev, char **line)
{
    if (ev->drop) {
        memmove(ev->buf, ev->buf + ev->drop, ev->len - ev->drop);
        ev->len -= ev->drop;
        ev->drop = 0;
    }
    for (;;) {
        char *nl = memchr(ev->buf, '\n', ev->len);
        if (nl || (ev->eof && ev->len)) {
            size_t n = nl ? (size_t)(nl - ev->buf) : ev->len;
            ev->buf[n] = 0; /* n <= EVENTS_LINE_MAX: buf has room */
            ev->drop = nl ? n + 1 : n;
            ev->line++;
            *line = ev->buf;
            return 1;
        }
        if (ev->eof)
            return 0;
        if (ev->len == EVENTS_LINE_MAX) {
            fprintf(stderr, "ezc pub: stdin line %lld: longer than %d bytes\n", ev->line + 1,
                    EVENTS_LINE_MAX);
            return -1;
        }
        if (cli_stop)
            return EZC_EINTR;
        struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
        int pr = poll(&pfd, 1, 100);
        if (pr < 0 && errno != EINTR) {
            fprintf(stderr, "ezc pub: stdin: %s\n", strerror(errno));
            return -1;
        }
        if (pr <= 0)
            continue;
        ssize_t k = read(STDIN_FILENO, ev->buf + ev->len, EVENTS_LINE_MAX - ev->len);
        if (k < 0 && errno != EINTR && errno != EAGAIN) {
            fprintf(stderr, "ezc pub: stdin: %s\n", strerror(errno));
            return -1;
        }
        if (k == 0)
            ev->eof = 1;
        else if (k > 0)
            ev->len += (size_t)k;
    }
}

/* The next event: from LABELS (event k), or the next stdin line that holds
 * one. 1: *t and *label set (label valid until the next call); 0: the
 * input ended; EZC_EINTR; -1: a malformed line or a read error, said. */
int cli_events_next(cli_events *ev, long long k, double *t, const char **label)
{
    if (!ev->from_stdin) {
        *t = (double)k / ev->rate;
        *label = ev->labels[(size_t)k % ev->nlabels];
        return 1;
    }
    for (;;) {
        char *line;
        int r = read_line(ev, &line);
        if (r != 1)
            return r;
        char *p = trim(line), *end;
        if (!*p || *p == '#')
            continue;
        errno = 0;
        *t = strtod(p, &end);
        char *rest = trim(end);
        if (end == p || errno == ERANGE || !isfinite(*t) || (*end != ' ' && *end != '\t') ||
            !*rest) {
            fprintf(stderr,
                    "ezc pub: stdin line %lld: '%.60s': expected \"TIME LABEL\" (TIME a finite "
                    "number of seconds, then a label)\n",
                    ev->line, p);
            return -1;
        }
        *label = rest;
        return 1;
    }
}
