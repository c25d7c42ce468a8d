/* ezc/rundir.h — the per-user folder where running ezc processes leave
 * what others need to find them (stream names, graphs' control sockets).
 *
 * $EZC_RUN_DIR when set; else $XDG_RUNTIME_DIR/ezc when XDG_RUNTIME_DIR is
 * set; else /tmp/ezc-UID. The folder (and any sub-folder asked for) is
 * created mode 0700 and must be owned by this user and not writable by
 * anyone else: otherwise it is refused, since another user could plant
 * entries there. Nothing in it outlives its owner in meaning: entries are
 * kept true by locks their owner holds (see the users of this folder).
 *
 * Thread-safe (no state). */
#ifndef EZC_RUNDIR_H
#define EZC_RUNDIR_H

#include <stddef.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the folder's path (with `sub`, e.g. "graphs", appended when not
 * NULL) into buf and makes sure it exists as described above. 0, or
 * EZC_EIO naming the folder and why (not ours, open to others, cannot be
 * created), EZC_EINVAL when it does not fit in cap. */
int ezc_run_dir(const char *sub, char *buf, size_t cap, ezc_error *err);

#ifdef __cplusplus
}
#endif
#endif
