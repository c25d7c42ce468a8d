/* graph_resume.c — the shared file in which a process group's publishers
 * keep their numbering for a restarted successor (graph_resume.h).
 * A header (magic, slot count) and an array of slots; a file from another
 * program or a different layout is refused, never reinterpreted. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "graph_resume.h"

#define RESUME_MAGIC 0x316d757365727a65ull /* the bytes "ezresum1" */

typedef struct {
    uint64_t magic;
    uint64_t nslots;
} resume_header;

struct ezc_graph_resume {
    void *map;
    size_t len, nslots;
    ezc_resume_slot *slots;
};

ezc_graph_resume *ezc_graph_resume_open(const char *path, size_t nslots, ezc_error *err)
{
    if (nslots == 0)
        nslots = 1;
    if (nslots > 65536) {
        ezc_error_set(err, EZC_EINVAL, "resume file %s: %zu publishers is too many", path, nslots);
        return NULL;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        ezc_error_set(err, EZC_EIO, "resume file %s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    size_t want = sizeof(resume_header) + nslots * sizeof(ezc_resume_slot);
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid()) {
        close(fd);
        ezc_error_set(err, EZC_EINVAL, "resume file %s: not a regular file of ours", path);
        return NULL;
    }
    size_t have = (size_t)sb.st_size;
    if (have && have != want) { /* a predecessor of the same graph made it this size */
        close(fd);
        ezc_error_set(err, EZC_EINVAL, "resume file %s: %zu bytes, expected %zu", path, have, want);
        return NULL;
    }
    if (!have && ftruncate(fd, (off_t)want)) {
        ezc_error_set(err, EZC_EIO, "resume file %s: cannot size it: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    void *map = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        ezc_error_set(err, EZC_EIO, "resume file %s: cannot map it: %s", path, strerror(errno));
        return NULL;
    }
    resume_header *h = map;
    if (!have) {
        h->nslots = nslots;
        h->magic = RESUME_MAGIC;
    } else if (h->magic != RESUME_MAGIC || h->nslots != nslots) {
        munmap(map, want);
        ezc_error_set(err, EZC_EINVAL, "resume file %s: not an ezc resume file for this graph",
                      path);
        return NULL;
    }
    ezc_graph_resume *r = calloc(1, sizeof *r);
    if (!r) {
        munmap(map, want);
        ezc_error_set(err, EZC_ENOMEM, "resume file %s: out of memory", path);
        return NULL;
    }
    r->map = map;
    r->len = want;
    r->nslots = nslots;
    r->slots = (ezc_resume_slot *)(h + 1);
    return r;
}

ezc_resume_slot *ezc_graph_resume_slot(ezc_graph_resume *r, uint64_t id, int *found)
{
    *found = 0;
    if (!r || !id)
        return NULL;
    ezc_resume_slot *free_slot = NULL;
    for (size_t i = 0; i < r->nslots; i++) {
        uint64_t have = atomic_load_explicit(&r->slots[i].id, memory_order_relaxed);
        if (have == id) {
            *found = 1;
            return &r->slots[i];
        }
        if (!have && !free_slot)
            free_slot = &r->slots[i];
    }
    if (free_slot)
        atomic_store_explicit(&free_slot->id, id, memory_order_relaxed);
    return free_slot;
}

void ezc_graph_resume_close(ezc_graph_resume **rp)
{
    if (!rp || !*rp)
        return;
    munmap((*rp)->map, (*rp)->len);
    free(*rp);
    *rp = NULL;
}
