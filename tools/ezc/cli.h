/* cli.h — what the ezc subcommands share: option helpers and the summary
 * line printed for a message. */
#ifndef EZC_CLI_H
#define EZC_CLI_H

#include <signal.h>
#include <stdio.h>
#include "ezc/ezc.h"

/* Stopping on SIGINT/SIGTERM. The first signal sets cli_stop and calls
 * ezc_interrupt() (ezc/interrupt.h), so that waits in ezc end and the
 * command cleans up (recordings closed with their index, ipc socket files
 * removed) and exits 0. What a second signal does depends on the role:
 *   CLI_SIGNALS_DEFAULT     says "forced exit" on stderr and _exit(130)s,
 *                           without cleanup: the user insisted.
 *   CLI_SIGNALS_SUPERVISOR  sets cli_forced; the supervisor kills its
 *                           children and exits non-zero itself (a third
 *                           signal _exit(130)s at once).
 *   CLI_SIGNALS_CHILD       ignored while the supervisor (the parent at
 *                           install time) lives: a Ctrl-C reaches the whole
 *                           process group, then the supervisor's SIGTERM
 *                           follows, and only the supervisor counts the
 *                           user's repeats; as DEFAULT once orphaned.
 * Handlers are async-signal-safe (flags, write, _exit). */
enum { CLI_SIGNALS_DEFAULT, CLI_SIGNALS_SUPERVISOR, CLI_SIGNALS_CHILD };
extern volatile sig_atomic_t cli_stop;
extern volatile sig_atomic_t cli_forced;
void cli_install_signals(void); /* CLI_SIGNALS_DEFAULT */
void cli_install_signals_as(int role);

/* Parses a decimal number into *out; prints "ezc CMD: --opt 'x': expected
 * a number" and returns -1 when it is not one. */
int cli_parse_double(const char *cmd, const char *opt, const char *text, double *out);
int cli_parse_long(const char *cmd, const char *opt, const char *text, long long min, long long max,
                   long long *out);

/* "seq=12 topic=raw dtype=float32 shape=[100, 8] dims=[time, ch] ..." */
void cli_print_summary(FILE *f, const char *topic, const ezc_array *a, int header_only);

int cmd_pub(int argc, char **argv);
int cmd_echo(int argc, char **argv);
int cmd_hz(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_ls(int argc, char **argv);

#endif
