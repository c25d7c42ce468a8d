/* cli_pubseq.h — the numbering of a named `ezc pub` stream across its
 * restarts (docs/pubsub.md, "Restarts"): the seq its next message gets is
 * kept in a small file of the run folder (pubseq/ID, 0600), mapped shared
 * and stored before each send, so a process killed at any instruction
 * leaves it for the one that replaces it, which never numbers below it;
 * paced streams number by the wall clock. What a restart lost is then an
 * exact gap downstream. One process, one thread. */
#ifndef EZC_CLI_PUBSEQ_H
#define EZC_CLI_PUBSEQ_H

#include <stdint.h>
#include "ezc/pub.h"

typedef struct cli_pubseq cli_pubseq;

/* The numbering file of publisher id, made when missing; NULL (said on
 * stderr: a restart will number afresh) when it cannot be had. */
cli_pubseq *cli_pubseq_open(uint64_t id);
/* Sets topic's next seq to the index of the message period now (period =
 * chunk / fs), after waiting up to wait_ms for a first subscriber (as the
 * first send would), so the number is taken when the message leaves. */
void cli_pubseq_by_clock(ezc_pub *p, const char *topic, double fs, int chunk, int wait_ms);
/* The first message's number: by the clock when by_clock; never below what
 * the file keeps (sf may be NULL). */
void cli_pubseq_resume(ezc_pub *p, const char *topic, cli_pubseq *sf, int by_clock, double fs,
                       int chunk, int wait_ms);
/* Keeps next in the file (sf may be NULL). */
void cli_pubseq_store(cli_pubseq *sf, uint64_t next);
void cli_pubseq_close(cli_pubseq **sf);

#endif
