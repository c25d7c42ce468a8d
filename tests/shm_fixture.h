/* shm_fixture.h — a real shared-memory pool (ezc_pub on ipc://) with one
 * subscriber, and the pool mapped here a second time, read-write, for the
 * tests that make it lie (test_shm_hostile.c, test_shm_mutate.c). Header
 * only: each test is one program; the state is the test's own. */
#ifndef EZC_TEST_SHM_FIXTURE_H
#define EZC_TEST_SHM_FIXTURE_H

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ezc/ezc.h"
#include "shm.h"

#define FIXTURE_VALUES 16 /* values in a sample: v, v + 1, ... */

static char ep[160], path[128], pool_name[EZC_SHM_NAME];
static ezc_pub *pub;
static ezc_sub *sub;
static ezc_shm_ctl *ctl;    /* the pool's control segment, mapped again */
static unsigned char *seg0; /* ... and its first data segment */
static size_t seg0_size;

static ezc_array *sample(double v)
{
    const int64_t shape[1] = {FIXTURE_VALUES};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 1, shape, NULL, ezc_device_cpu(), NULL);
    double *d = ezc_array_data(a);
    for (int i = 0; i < FIXTURE_VALUES; i++)
        d[i] = v + i;
    return a;
}

static void send(double v)
{
    ezc_error err;
    ezc_array *a = sample(v);
    ck_assert_msg(ezc_pub_send(pub, "t", a, &err) == 0, "%s", err.msg);
    ezc_array_destroy(&a);
}

/* Whether a is the sample sent with value v, every value intact. */
static int intact(const ezc_array *a, double v)
{
    if (a->dtype != EZC_FLOAT64 || ezc_array_ndim(a) != 1 || ezc_array_size(a) != FIXTURE_VALUES)
        return 0;
    const double *d = ezc_array_data(a);
    for (int i = 0; i < FIXTURE_VALUES; i++)
        if (d[i] != v + i)
            return 0;
    return 1;
}

static uint64_t malformed(void)
{
    ezc_sub_stats st;
    ezc_sub_stats_get(sub, &st);
    return st.malformed;
}

/* The subscriber's own entry: active, not a SIDE entry (those it keeps in
 * the origins it maps, this very pool when a test names it, are ACTIVE too). */
static ezc_shm_reader *reader(void)
{
    for (int i = 0; i < EZC_SHM_READERS; i++)
        if (atomic_load(&ctl->reader[i].state) == EZC_SHM_ACTIVE &&
            !(ctl->reader[i].flags & EZC_SHM_READER_SIDE))
            return &ctl->reader[i];
    ck_abort_msg("no active reader");
    return NULL;
}

/* Publisher and subscriber on ipc:///tmp/ezc-shm-TAG-PID, a first sample
 * (-1) through the pool (it makes the first segment), then both segments
 * mapped here. */
static void shm_fixture_open(const char *tag)
{
    snprintf(path, sizeof path, "/tmp/ezc-shm-%s-%d", tag, (int)getpid());
    snprintf(ep, sizeof ep, "ipc://%s", path);
    ezc_error err;
    pub = ezc_pub_new(ep, NULL, &err);
    ck_assert_msg(pub != NULL, "%s", err.msg);
    sub = ezc_sub_new(ep, "", NULL, &err);
    ck_assert_msg(sub != NULL, "%s", err.msg);
    send(-1);
    ezc_array *a;
    ck_assert_msg(ezc_sub_recv(sub, &a, 5000, &err) == 0, "%s", err.msg);
    ck_assert(intact(a, -1));
    ezc_array_destroy(&a);
    ck_assert_str_eq(ezc_sub_path(sub), "shm");
    ck_assert_int_eq(ezc_shm_pool_name(path, pool_name, sizeof pool_name), 0);
    int fd = shm_open(pool_name, O_RDWR, 0);
    ck_assert_int_ge(fd, 0);
    ctl = mmap(NULL, sizeof *ctl, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ck_assert(ctl != MAP_FAILED);
    ck_assert_uint_eq(atomic_load(&ctl->nsegs), 1);
    fd = shm_open(ctl->seg[0].name, O_RDWR, 0);
    ck_assert_int_ge(fd, 0);
    seg0_size = ctl->seg[0].count * ctl->seg[0].slot_bytes;
    seg0 = mmap(NULL, seg0_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ck_assert(seg0 != MAP_FAILED);
}

static void shm_fixture_close(void)
{
    munmap(seg0, seg0_size);
    munmap(ctl, sizeof *ctl);
    ezc_sub_destroy(&sub);
    ezc_pub_destroy(&pub);
}

#endif
