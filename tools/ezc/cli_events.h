/* cli_events.h — where `ezc pub --events` takes its events from: labels
 * cycling at a rate (--events LABEL,LABEL,... --rate R: event k at k / R
 * s), or "TIME LABEL" lines from stdin (--events -). Messages are said on
 * stderr as `ezc pub: ...`. One thread. */
#ifndef EZC_CLI_EVENTS_H
#define EZC_CLI_EVENTS_H

#include <stddef.h>

#define EVENTS_LABELS_MAX 4096 /* labels in --events LABELS */
#define EVENTS_LINE_MAX 4096   /* bytes in one stdin line */

typedef struct cli_events {
    int on, from_stdin;
    char *text;          /* LABELS, split in place at the commas */
    const char **labels; /* into text */
    size_t nlabels;
    double rate; /* --rate */
    /* --events -: stdin read in steps, so that Ctrl-C is seen while waiting */
    char buf[EVENTS_LINE_MAX + 1];
    size_t len, drop; /* bytes held; bytes of the line handed out last */
    int eof;
    long long line; /* lines read */
} cli_events;

/* LABELS (comma-separated, none empty, at most EVENTS_LABELS_MAX) into
 * ev->labels: 0, or -1 after saying why. */
int cli_events_labels(cli_events *ev, const char *arg);
void cli_events_free(cli_events *ev);
/* The next event: from the labels (event k), or the next stdin line that
 * holds one. 1: *t and *label set (label valid until the next call); 0:
 * the input ended; EZC_EINTR on Ctrl-C; -1: a malformed line or a read
 * error, said. */
int cli_events_next(cli_events *ev, long long k, double *t, const char **label);

#endif
