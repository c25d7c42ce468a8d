/* bench_crc32c.c — CRC-32C throughput at 25.6 KB (a float32 100x64
 * message), 51.2 KB and 1 MiB, beside memcpy of the same bytes (cache-warm,
 * same run). The program re-executes itself once per path of ezc_crc32c
 * (EZC_CRC32C unset, "sse4.2", "software"), since the path is picked once
 * per process. Median of 9 samples of about 2 ms each.
 *
 *   meson test -C build --benchmark crc32c -v */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ezc/crc32c.h"
#include "bench_util.h"

#define SAMPLES 9

static volatile uint32_t sink;

/* ns per call of crc (1) or memcpy (0) over n bytes. */
static double time_ns(int crc, unsigned char *src, unsigned char *dst, size_t n)
{
    size_t reps = (size_t)(2e6 / (n / 16.0 + 50)) + 1; /* ~2 ms at 16 B/ns */
    double t[SAMPLES];
    for (int s = 0; s < SAMPLES; s++) {
        double t0 = bench_now();
        for (size_t r = 0; r < reps; r++) {
            if (crc) {
                sink += ezc_crc32c(0, src, n);
            } else {
                memcpy(dst, src, n);
                sink += dst[r % n];
            }
        }
        t[s] = (bench_now() - t0) * 1e9 / (double)reps;
    }
    return bench_median(t, SAMPLES);
}

static void child(void)
{
    static const size_t sizes[] = {25600, 51200, 1 << 20};
    unsigned char *src = malloc(1 << 20), *dst = malloc(1 << 20);
    for (size_t i = 0; i < 1 << 20; i++)
        src[i] = (unsigned char)(i * 2654435761u >> 24);
    printf("path %s\n", ezc_crc32c_path());
    for (size_t i = 0; i < 3; i++) {
        size_t n = sizes[i];
        double m = time_ns(0, src, dst, n), c = time_ns(1, src, dst, n);
        printf("  %8zu B   crc %9.1f ns %6.1f GB/s   memcpy %9.1f ns %6.1f GB/s   crc/memcpy "
               "%5.2f\n",
               n, c, (double)n / c, m, (double)n / m, c / m);
    }
    fflush(stdout);
    free(src);
    free(dst);
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        child();
        return 0;
    }
    static const char *const paths[] = {NULL, "sse4.2", "software"};
    for (int i = 0; i < 3; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            if (paths[i])
                setenv("EZC_CRC32C", paths[i], 1);
            else
                unsetenv("EZC_CRC32C");
            execl("/proc/self/exe", "bench_crc32c", "--child", (char *)NULL);
            _exit(127);
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
            bench_die("bench_crc32c", paths[i] ? paths[i] : "default", "child failed");
    }
    return 0;
}
