/* test_shm_hostile.c — a shared-memory pool that lies: the subscriber refuses
 * what does not add up (counted as malformed, the first logged), never
 * crashes or reads outside its mappings, and takes the next honest message.
 * The pool is a real one (ezc_pub on ipc://) mapped here a second time and
 * corrupted between sends, structure by structure: ring entries, slot
 * states and heads, segment descriptors, and the wire header in a slot. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "ezc/ezc.h"
#include "shm.h"

static char ep[160], path[128];
static ezc_pub *pub;
static ezc_sub *sub;
static ezc_shm_ctl *ctl;
static unsigned char *seg0;
static size_t seg0_size;

static ezc_array *sample(double v)
{
    const int64_t shape[1] = {16};
    ezc_array *a = ezc_array_new(EZC_FLOAT64, 1, shape, NULL, ezc_device_cpu(), NULL);
    double *d = ezc_array_data(a);
    for (int i = 0; i < 16; i++)
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

/* The next message must be the honest one sent with value v. */
static void recv_value(double v)
{
    ezc_error err;
    ezc_array *a;
    ck_assert_msg(ezc_sub_recv(sub, &a, 5000, &err) == 0, "%s", err.msg);
    ck_assert_double_eq(((const double *)ezc_array_data(a))[0], v);
    ck_assert(!ezc_array_is_writable(a));
    ezc_array_destroy(&a);
}

static uint64_t malformed(void)
{
    ezc_sub_stats st;
    ezc_sub_stats_get(sub, &st);
    return st.malformed;
}

/* The active reader entry (the subscriber's). */
static ezc_shm_reader *reader(void)
{
    for (int i = 0; i < EZC_SHM_READERS; i++)
        if (atomic_load(&ctl->reader[i].state) == EZC_SHM_ACTIVE)
            return &ctl->reader[i];
    ck_abort_msg("no active reader");
    return NULL;
}

static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/ezc-shm-hostile-%d", (int)getpid());
    snprintf(ep, sizeof ep, "ipc://%s", path);
    ezc_error err;
    pub = ezc_pub_new(ep, NULL, &err);
    ck_assert_msg(pub != NULL, "%s", err.msg);
    sub = ezc_sub_new(ep, "", NULL, &err);
    ck_assert_msg(sub != NULL, "%s", err.msg);
    send(0); /* makes the first segment */
    recv_value(0);
    ck_assert_str_eq(ezc_sub_path(sub), "shm");
    char name[EZC_SHM_NAME];
    ck_assert_int_eq(ezc_shm_pool_name(path, name, sizeof name), 0);
    int fd = shm_open(name, O_RDWR, 0);
    ck_assert_int_ge(fd, 0);
    ctl = mmap(NULL, sizeof *ctl, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ck_assert(ctl != MAP_FAILED);
    fd = shm_open(ctl->seg[0].name, O_RDWR, 0);
    ck_assert_int_ge(fd, 0);
    seg0_size = ctl->seg[0].count * ctl->seg[0].slot_bytes;
    seg0 = mmap(NULL, seg0_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    ck_assert(seg0 != MAP_FAILED);
}

static void teardown(void)
{
    munmap(seg0, seg0_size);
    munmap(ctl, sizeof *ctl);
    ezc_sub_destroy(&sub);
    ezc_pub_destroy(&pub);
}

/* Puts a forged entry on the subscriber's ring, as if the publisher had. */
static void forge_entry(uint32_t slot, uint64_t gen)
{
    ezc_shm_reader *r = reader();
    uint64_t tail = atomic_load(&r->tail);
    r->ring[tail & (EZC_SHM_RING - 1)] = (ezc_shm_entry){slot, 0, gen};
    atomic_store(&r->tail, tail + 1);
}

START_TEST(t_entry_out_of_range)
{
    uint64_t m = malformed();
    forge_entry(EZC_SHM_SLOTS + 7, 1);
    forge_entry(0xffffffffu, 1);
    send(1);
    recv_value(1);
    ck_assert_uint_eq(malformed(), m + 2);
}
END_TEST

START_TEST(t_entry_wrong_generation)
{
    uint64_t m = malformed();
    uint64_t before = atomic_load(&ctl->slot_state[3]); /* an unused slot: send takes slot 0 */
    forge_entry(3, 123456789); /* slot 3 exists, not under that generation */
    send(2);
    recv_value(2);
    ck_assert_uint_eq(malformed(), m + 1);
    /* Refusing it handed back no reference the publisher never took. */
    ck_assert_uint_eq(atomic_load(&ctl->slot_state[3]), before);
}
END_TEST

START_TEST(t_slot_head_lies)
{
    /* A message queued honestly whose head page is then overwritten: each
     * length in turn claims more than the slot holds. */
    for (int field = 0; field < 3; field++) {
        uint64_t m = malformed();
        ezc_shm_reader *r = reader();
        send(10 + field);
        uint64_t tail = atomic_load(&r->tail);
        uint32_t slot = r->ring[(tail - 1) & (EZC_SHM_RING - 1)].slot;
        ezc_shm_slot_head *h = (ezc_shm_slot_head *)(seg0 + slot * ctl->seg[0].slot_bytes);
        if (field == 0)
            h->topic_len = 0xfffffff0u;
        else if (field == 1)
            h->hdr_len = EZC_SHM_HEAD;
        else
            h->data_len = UINT64_MAX - 3;
        send(20 + field);
        recv_value(20 + field);
        ck_assert_uint_eq(malformed(), m + 1);
    }
}
END_TEST

START_TEST(t_wire_header_garbage)
{
    uint64_t m = malformed();
    ezc_shm_reader *r = reader();
    send(30);
    uint64_t tail = atomic_load(&r->tail);
    uint32_t slot = r->ring[(tail - 1) & (EZC_SHM_RING - 1)].slot;
    unsigned char *at = seg0 + slot * ctl->seg[0].slot_bytes;
    ezc_shm_slot_head h;
    memcpy(&h, at, sizeof h);
    memset(at + sizeof h + h.topic_len, 0xc1, h.hdr_len); /* 0xc1: never valid msgpack */
    send(31);
    recv_value(31);
    ck_assert_uint_eq(malformed(), m + 1);
}
END_TEST

START_TEST(t_segment_descriptor_lies)
{
    /* A second segment described with more slots than its file holds: the
     * subscriber refuses to map it; messages in the first still arrive. */
    uint64_t m = malformed();
    uint32_t k = atomic_load(&ctl->nsegs);
    ck_assert_uint_eq(k, 1);
    snprintf(ctl->seg[1].name, sizeof ctl->seg[1].name, "%s", ctl->seg[0].name);
    ctl->seg[1].slot_bytes = ctl->seg[0].slot_bytes;
    ctl->seg[1].first = ctl->seg[0].count;
    ctl->seg[1].count = EZC_SHM_SLOTS - ctl->seg[0].count; /* far past the file's size */
    atomic_store(&ctl->nsegs, 2);
    forge_entry(ctl->seg[0].count, 1);
    ck_assert_uint_ge(malformed(), m);
    ezc_array *a;
    ezc_error err;
    ck_assert_int_eq(ezc_sub_recv(sub, &a, 200, &err), EZC_ETIMEOUT);
    ck_assert_uint_eq(malformed(), m + 1);
    atomic_store(&ctl->nsegs, 1); /* honest again for teardown */
    memset(&ctl->seg[1], 0, sizeof ctl->seg[1]);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("shm_hostile");
    TCase *tc = tcase_create("pool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, t_entry_out_of_range);
    tcase_add_test(tc, t_entry_wrong_generation);
    tcase_add_test(tc, t_slot_head_lies);
    tcase_add_test(tc, t_wire_header_garbage);
    tcase_add_test(tc, t_segment_descriptor_lies);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
