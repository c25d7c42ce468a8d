/* test_shm_hostile.c — a shared-memory pool that lies: the subscriber refuses
 * what does not add up (counted as malformed, the first logged), never
 * crashes or reads outside its mappings, and takes the next honest message.
 * The pool is a real one (ezc_pub on ipc://) mapped here a second time and
 * corrupted between sends, structure by structure: ring entries, slot
 * states and heads, segment descriptors, the wire header in a slot, and
 * heads that claim their data was forwarded from another pool. */
#include <check.h>
#include <string.h>
#include "check_run.h"
#include "shm_fixture.h"

/* The next message must be the honest one sent with value v. */
static void recv_value(double v)
{
    ezc_error err;
    ezc_array *a;
    ck_assert_msg(ezc_sub_recv(sub, &a, 5000, &err) == 0, "%s", err.msg);
    ck_assert(intact(a, v));
    ezc_array_destroy(&a);
}

static void setup(void)
{
    shm_fixture_open("hostile");
}

static void teardown(void)
{
    shm_fixture_close();
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

/* The head of the message just queued (its slot in *slot). */
static ezc_shm_slot_head *last_head(uint32_t *slot)
{
    ezc_shm_reader *r = reader();
    uint64_t tail = atomic_load(&r->tail);
    *slot = r->ring[(tail - 1) & (EZC_SHM_RING - 1)].slot;
    return (ezc_shm_slot_head *)(seg0 + *slot * ctl->seg[0].slot_bytes);
}

/* Sends v and makes its head a forward of its own slot (as a forwarder's
 * head names the origin's): honest once the pool names itself as origin 1. */
static ezc_shm_slot_head *send_self_forward(double v, uint32_t *slot)
{
    send(v);
    ezc_shm_slot_head *h = last_head(slot);
    h->origin = 1;
    h->origin_slot = *slot;
    h->origin_gen = h->gen;
    return h;
}

START_TEST(t_forwarded_head_lies)
{
    uint32_t slot;
    ezc_shm_slot_head *h;
    /* An origin the pool never named: the reader has no side entry there. */
    uint64_t m = malformed();
    send_self_forward(40, &slot);
    send(41);
    recv_value(41);
    ck_assert_uint_eq(malformed(), m + 1);
    /* Past the table. */
    send(42);
    h = last_head(&slot);
    h->origin = EZC_SHM_ORIGINS + 1;
    send(43);
    recv_value(43);
    ck_assert_uint_eq(malformed(), m + 2);
    /* The pool names itself as origin 1: the reader attaches a side entry
     * to it at its next take, and forwarded heads are checked there. */
    memcpy(ctl->origin[0].name, pool_name, sizeof pool_name);
    atomic_store(&ctl->origin[0].gen, 1);
    atomic_store(&ctl->origin[0].state, 1);
    atomic_store(&ctl->norigins, 1);
    send(44);
    recv_value(44);
    uint64_t free_state = atomic_load(&ctl->slot_state[7]); /* never used: refs 0 */
    struct {
        uint32_t slot;
        uint64_t gen, len;
    } lie[] = {
        {5000, 1, 128},                    /* past the slots */
        {0xffffffffu, 1, 128},             /* far past */
        {7, EZC_SHM_GEN(free_state), 128}, /* a slot nobody holds */
        {0, 999, 128},                     /* a held slot, not that generation */
        {0, 0, 1},                         /* generation 0: filled in below */
    };
    for (size_t i = 0; i < sizeof lie / sizeof lie[0]; i++) {
        send(50 + (double)i);
        h = last_head(&slot);
        h->origin = 1;
        h->origin_slot = lie[i].slot == 0 ? slot : lie[i].slot;
        h->origin_gen = lie[i].gen ? lie[i].gen : h->gen;
        /* the last: its own slot, honestly, but more bytes than a slot holds */
        h->data_len = lie[i].len == 1 ? ctl->seg[0].slot_bytes : lie[i].len;
        send(60 + (double)i);
        recv_value(60 + (double)i);
        ck_assert_uint_eq(malformed(), m + 3 + i);
    }
    ck_assert_uint_eq(atomic_load(&ctl->slot_state[7]), free_state); /* nothing taken */
    /* And an honest forward through the side entry: the head names its own
     * slot, as a forwarder's head would name the origin's. It arrives, and
     * every reference (the head's, the side entry's) comes back. */
    send_self_forward(70, &slot);
    recv_value(70);
    ck_assert_uint_eq(malformed(), m + 7);
    ck_assert_uint_eq(EZC_SHM_REFS(atomic_load(&ctl->slot_state[slot])), 0);
    for (int i = 0; i < EZC_SHM_READERS; i++)
        ck_assert_uint_eq(atomic_load(&ctl->reader[i].holds[slot]), 0);
    atomic_store(&ctl->norigins, 0);
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
    tcase_add_test(tc, t_forwarded_head_lies);
    suite_add_tcase(su, tc);
    return ezc_check_run(su);
}
