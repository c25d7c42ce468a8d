/* publish.c — the smallest ezc publisher: ten chunks of an 8-channel ramp.
 *   ./publish tcp://127.0.0.1:5560 */
#include <ezc/ezc.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    ezc_error err;
    ezc_pub *pub = ezc_pub_new(argc > 1 ? argv[1] : "tcp://127.0.0.1:5560", NULL, &err);
    if (!pub)
        return fprintf(stderr, "%s\n", err.msg), 1;
    int64_t shape[2] = {100, 8};
    const char *dims[2] = {"time", "ch"};
    for (int k = 0; k < 10; k++) {
        ezc_array *a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), &err);
        float *x = ezc_array_data(a);
        for (int i = 0; i < 800; i++)
            x[i] = (float)(k * 800 + i);
        ezc_array_set_linear_axis(a, 0, 1.0 / 1000, k * 0.1, "s");
        if (ezc_pub_send(pub, "ramp", a, &err))
            fprintf(stderr, "%s\n", err.msg);
        ezc_array_destroy(&a);
        usleep(100000);
    }
    ezc_pub_destroy(&pub);
    return 0;
}
