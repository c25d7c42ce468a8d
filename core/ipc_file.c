/* ipc_file.c — the socket files of ipc:// binds, removed by their binder.
 *
 * ZeroMQ does not remove the file of a closed ipc listener, so every
 * process that binds one removes it itself when done. The device and inode
 * noted at bind time make the removal safe: a file that another process has
 * since bound at the same path is a different inode and stays. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pubsub_internal.h"

void ezc_ipc_file_note(ezc_ipc_file *f, const char *requested, const char *endpoint)
{
    memset(f, 0, sizeof *f);
    /* Wildcards are ZeroMQ's own temporary files; "@name" is Linux's
     * abstract namespace, which has no file. */
    if (!requested || !endpoint || strncmp(requested, "ipc://", 6) || strchr(requested, '*') ||
        strncmp(endpoint, "ipc://", 6) || endpoint[6] == '@' || !endpoint[6])
        return;
    const char *path = endpoint + 6;
    char full[sizeof f->path];
    if (path[0] != '/') { /* relative to where we are now, not at exit */
        char cwd[sizeof f->path];
        if (!getcwd(cwd, sizeof cwd))
            return;
        int n = snprintf(full, sizeof full, "%s/%s", cwd, path);
        if (n < 0 || (size_t)n >= sizeof full)
            return;
        path = full;
    }
    struct stat sb;
    if (strlen(path) >= sizeof f->path || lstat(path, &sb) || !S_ISSOCK(sb.st_mode))
        return;
    strcpy(f->path, path);
    f->dev = (unsigned long long)sb.st_dev;
    f->ino = (unsigned long long)sb.st_ino;
}

void ezc_ipc_file_remove(ezc_ipc_file *f)
{
    struct stat sb;
    if (!f || !f->path[0])
        return;
    if (!lstat(f->path, &sb) && S_ISSOCK(sb.st_mode) && (unsigned long long)sb.st_dev == f->dev &&
        (unsigned long long)sb.st_ino == f->ino)
        unlink(f->path);
    f->path[0] = '\0';
}
