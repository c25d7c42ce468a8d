/* cli_names.h — a stream name where a command takes an ENDPOINT to connect
 * to (docs/pubsub.md, "Names and discovery"): anything that is not tcp://,
 * ipc:// or inproc:// is looked up in this host's registry (ezc/names.h). */
#ifndef EZC_CLI_NAMES_H
#define EZC_CLI_NAMES_H

#include <stddef.h>
#include "ezc/names.h"
#include "ezc/sub.h"

enum { CLI_OPT_NAME_WAIT = 0x4400 };

/* --wait S, for the commands that connect */
#define CLI_NAME_OPTIONS                                                                           \
    {                                                                                              \
        "wait", 1, 0, CLI_OPT_NAME_WAIT                                                            \
    }
#define CLI_NAME_HELP                                                                              \
    "  --wait S        ENDPOINT is a stream name not registered yet: wait up to S\n"               \
    "                  seconds for its publisher (default: fail at once)\n"
#define CLI_NAME_ARG_HELP                                                                          \
    "ENDPOINT may be a stream name (`ezc pub --name NAME`, a graph's GRAPH/NODE; `ezc\n"           \
    "ls` lists them): anything that is not tcp://, ipc:// or inproc:// is one.\n"

/* Takes --wait's argument when c is CLI_OPT_NAME_WAIT: 1 when taken (and
 * *wait_s set), -1 when the number is bad (printed), 0 for another option. */
int cli_name_take(const char *cmd, int c, const char *arg, double *wait_s);

/* arg as an endpoint: itself when it is one; otherwise the endpoint of the
 * stream of that name, waiting up to wait_s seconds (0 = not at all) for it,
 * written into buf. NULL after printing "ezc CMD: no stream named 'X' (did
 * you mean: ...)" or why. The stream's entry is kept for cli_stream_clock. */
const char *cli_stream_endpoint(const char *cmd, const char *arg, double wait_s, char *buf,
                                size_t cap);

/* When the stream cli_stream_endpoint resolved is another host's, s
 * measures that host's clock and delivers stamps on this host's
 * (ezc_sub_clock_track); a failure is printed and the stamps stay as sent. */
void cli_stream_clock(const char *cmd, ezc_sub *s);

/* "clock: HOST is +X ms ahead (round trip R ms, error <= R/2 ms)" for a
 * subscriber measuring another host's clock, into buf; "" otherwise. */
void cli_stream_clock_line(ezc_sub *s, char *buf, size_t cap);

#endif
