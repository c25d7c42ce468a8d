/* rundir.c — the per-user run folder (ezc/rundir.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ezc/rundir.h"

/* Creates path (one level) 0700 when missing, then checks it is a folder of
 * ours that nobody else may write into. */
static int ensure(const char *path, ezc_error *err)
{
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return ezc_error_set(err, EZC_EIO, "run folder %s: cannot create: %s", path,
                             strerror(errno));
    struct stat st;
    if (lstat(path, &st) != 0)
        return ezc_error_set(err, EZC_EIO, "run folder %s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ezc_error_set(err, EZC_EIO, "run folder %s: not a folder", path);
    if (st.st_uid != geteuid())
        return ezc_error_set(err, EZC_EIO, "run folder %s: owned by uid %u, not by us (%u)", path,
                             (unsigned)st.st_uid, (unsigned)geteuid());
    if (st.st_mode & 022)
        return ezc_error_set(err, EZC_EIO,
                             "run folder %s: others may write into it (mode %03o): refused", path,
                             (unsigned)(st.st_mode & 0777));
    return 0;
}

int ezc_run_dir(const char *sub, char *buf, size_t cap, ezc_error *err)
{
    const char *env = getenv("EZC_RUN_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
    int n;
    if (env && *env)
        n = snprintf(buf, cap, "%s", env);
    else if (xdg && *xdg)
        n = snprintf(buf, cap, "%s/ezc", xdg);
    else
        n = snprintf(buf, cap, "/tmp/ezc-%u", (unsigned)geteuid());
    if (n < 0 || (size_t)n >= cap)
        return ezc_error_set(err, EZC_EINVAL, "run folder: the path does not fit %zu bytes", cap);
    int rc = ensure(buf, err);
    if (rc || !sub)
        return rc;
    size_t len = (size_t)n;
    n = snprintf(buf + len, cap - len, "/%s", sub);
    if (n < 0 || (size_t)n >= cap - len)
        return ezc_error_set(err, EZC_EINVAL, "run folder: the path does not fit %zu bytes", cap);
    return ensure(buf, err);
}
