/* graph_resume.h — the numbering a process group's publishers leave behind
 * for the child that replaces them after a crash (kill -9 included).
 *
 * One small file per group, mapped shared: for each publisher of the group
 * (keyed by its stable id) the seq its next message gets and, when it
 * sends what it made from an input, the distance between its output seq
 * and that input's seq. The dead child's last stores are in the page when
 * the kernel takes the process down, so its successor goes on numbering
 * where it stopped and skips the numbers of the inputs the restart lost:
 * downstream, the gap is what never came out (docs/pubsub.md, "Restarts").
 * The stores are relaxed atomics (plain moves): nothing waits on them. */
#ifndef EZC_GRAPH_RESUME_H
#define EZC_GRAPH_RESUME_H

#include <stdatomic.h>
#include <stdint.h>
#include "ezc/error.h"

typedef struct ezc_resume_slot {
    _Atomic uint64_t id;     /* the publisher's id; 0 = a free slot */
    _Atomic uint64_t next;   /* the seq its next message gets */
    _Atomic uint64_t offset; /* seq of the last message sent minus the seq of the input it
                                was made from (mod 2^64); valid when in_src != 0 */
    _Atomic uint64_t in_src; /* that input's publisher id; 0 = no input (a source) */
} ezc_resume_slot;

typedef struct ezc_graph_resume ezc_graph_resume;

/* Opens (creating it 0600 when missing) the file at path with room for at
 * least nslots publishers, and maps it. Caller owns the result; close with
 * ezc_graph_resume_close. EZC_EIO naming the path when it cannot be made,
 * EZC_EINVAL when it is not such a file. Not thread-safe: call before the
 * node threads start. */
ezc_graph_resume *ezc_graph_resume_open(const char *path, size_t nslots, ezc_error *err);

/* The slot of publisher id: the one a predecessor used (*found = 1), or a
 * free one now claimed for id (*found = 0). NULL when the file is full.
 * Not thread-safe (setup only); the slot's fields may then be stored by
 * one thread while others read them. */
ezc_resume_slot *ezc_graph_resume_slot(ezc_graph_resume *r, uint64_t id, int *found);

/* Unmaps; the file stays (the successor reads it). Sets *r NULL; NULL-safe. */
void ezc_graph_resume_close(ezc_graph_resume **r);

#endif
