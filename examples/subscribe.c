/* subscribe.c — the smallest ezc subscriber: print what arrives for 5 s.
 *   ./subscribe tcp://127.0.0.1:5560 */
#include <ezc/ezc.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    ezc_error err;
    ezc_sub *sub = ezc_sub_new(argc > 1 ? argv[1] : "tcp://127.0.0.1:5560", "", NULL, &err);
    if (!sub)
        return fprintf(stderr, "%s\n", err.msg), 1;
    ezc_array *a;
    while (ezc_sub_recv(sub, &a, 5000, &err) == 0) {
        printf("seq %llu: %lld x %lld %s, first value %g\n", (unsigned long long)a->seq,
               (long long)a->shape[0], (long long)a->shape[1], ezc_dtype_name(a->dtype),
               (double)((float *)ezc_array_data(a))[0]);
        ezc_array_destroy(&a);
    }
    ezc_sub_destroy(&sub);
    return 0;
}
