/* test_graph_resume.c — the file in which a process group's publishers keep
 * their numbering for a restarted successor (nodes/graph_resume.h): slots
 * found again by id after a reopen (what the successor sees, stores
 * included, after the first process let go without closing), claimed
 * fresh otherwise, and files that are not ours refused, never read. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check_run.h"
#include "../nodes/graph_resume.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/ezc-test-resume.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(t_successor_finds_the_numbering)
{
    char path[128];
    snprintf(path, sizeof path, "%s/resume-a", dir);
    /* The first process stores, then dies by SIGKILL without closing. */
    pid_t pid = fork();
    if (pid == 0) {
        ezc_error err = {0, ""};
        ezc_graph_resume *r = ezc_graph_resume_open(path, 4, &err);
        int found = 1;
        ezc_resume_slot *s = r ? ezc_graph_resume_slot(r, 111, &found) : NULL;
        if (!s || found)
            _exit(1);
        atomic_store_explicit(&s->next, 42, memory_order_relaxed);
        atomic_store_explicit(&s->offset, (uint64_t)-7, memory_order_relaxed);
        atomic_store_explicit(&s->in_src, 999, memory_order_relaxed);
        if (!ezc_graph_resume_slot(r, 222, &found) || found)
            _exit(1);
        raise(SIGKILL);
    }
    int ws;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
    ezc_error err = {0, ""};
    ezc_graph_resume *r = ezc_graph_resume_open(path, 4, &err);
    ck_assert_msg(r != NULL, "%s", err.msg);
    int found = 0;
    ezc_resume_slot *s = ezc_graph_resume_slot(r, 111, &found);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(found, 1);
    ck_assert_uint_eq(atomic_load(&s->next), 42);
    ck_assert_uint_eq(atomic_load(&s->offset), (uint64_t)-7);
    ck_assert_uint_eq(atomic_load(&s->in_src), 999);
    ck_assert_ptr_nonnull(ezc_graph_resume_slot(r, 222, &found));
    ck_assert_int_eq(found, 1);
    /* Two more fit, then the file is full; id 0 is no publisher. */
    ck_assert_ptr_nonnull(ezc_graph_resume_slot(r, 333, &found));
    ck_assert_int_eq(found, 0);
    ck_assert_ptr_nonnull(ezc_graph_resume_slot(r, 444, &found));
    ck_assert_ptr_null(ezc_graph_resume_slot(r, 555, &found));
    ck_assert_ptr_null(ezc_graph_resume_slot(r, 0, &found));
    ezc_graph_resume_close(&r);
    ck_assert_ptr_null(r);
    ezc_graph_resume_close(&r); /* NULL-safe */
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
}
END_TEST

START_TEST(t_foreign_files_refused)
{
    char path[128], link[160];
    ezc_error err = {0, ""};
    /* Made for another slot count (another graph): refused, not reinterpreted. */
    snprintf(path, sizeof path, "%s/resume-b", dir);
    ezc_graph_resume *r = ezc_graph_resume_open(path, 4, &err);
    ck_assert_ptr_nonnull(r);
    ezc_graph_resume_close(&r);
    ck_assert_ptr_null(ezc_graph_resume_open(path, 5, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, path));
    /* The right size but not our magic. */
    snprintf(path, sizeof path, "%s/resume-c", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < 16 + 4 * 32; i++)
        fputc('x', f);
    fclose(f);
    ck_assert_ptr_null(ezc_graph_resume_open(path, 4, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
    /* A symlink is not followed; a folder is no file. */
    snprintf(link, sizeof link, "%s/resume-link", dir);
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_ptr_null(ezc_graph_resume_open(link, 4, &err));
    ck_assert_int_eq(err.code, EZC_EIO);
    ck_assert_ptr_null(ezc_graph_resume_open(dir, 4, &err));
    ck_assert_int_ne(err.code, 0);
    ck_assert_ptr_null(ezc_graph_resume_open(path, 1 << 20, &err));
    ck_assert_int_eq(err.code, EZC_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("graph_resume");
    TCase *tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, t_successor_finds_the_numbering);
    tcase_add_test(tc, t_foreign_files_refused);
    suite_add_tcase(s, tc);
    return ezc_check_run(s);
}
