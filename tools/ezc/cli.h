/* cli.h — what the ezc subcommands share: option helpers and the summary
 * line printed for a message. */
#ifndef EZC_CLI_H
#define EZC_CLI_H

#include <signal.h>
#include <stdio.h>
#include "ezc/ezc.h"

extern volatile sig_atomic_t cli_stop;
/* SIGINT/SIGTERM set cli_stop; a second one exits at once. */
void cli_install_signals(void);

/* Parses a decimal number into *out; prints "ezc CMD: --opt 'x': expected
 * a number" and returns -1 when it is not one. */
int cli_parse_double(const char *cmd, const char *opt, const char *text, double *out);
int cli_parse_long(const char *cmd, const char *opt, const char *text, long long min,
                   long long max, long long *out);

/* "seq=12 topic=raw dtype=float32 shape=[100, 8] dims=[time, ch] ..." */
void cli_print_summary(FILE *f, const char *topic, const ezc_array *a, int header_only);

int cmd_pub(int argc, char **argv);
int cmd_echo(int argc, char **argv);
int cmd_hz(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);

#endif
