/* tf_test.h — what the transformer and learner suites share (tests only).
 *
 * - references: named arrays written by a generator script in tests/ref/
 *   (numpy/scipy/scikit-learn) as STEM.bin + STEM.txt, loaded by name;
 * - comparisons with a stated tolerance that report the first bad element;
 * - devices: every backend that answers here (cpu, cuda:0 on a GPU box), so
 *   one test body runs on each (tcase_add_loop_test over tc_ndevs());
 * - transformers built from "name=value; name=[1, 2]" strings, run whole or
 *   in chunks along an axis (the chunk-invariance property). */
#ifndef EZC_TF_TEST_H
#define EZC_TF_TEST_H

#include <check.h>
#include "ezc/ezc.h"

/* ---- references ---- */
/* Loads $EZC_SOURCE_DIR/tests/ref/STEM.{bin,txt}; exits 2 when missing. */
void tc_refs_load(const char *stem);
/* A new CPU array holding reference `name` (printf format); aborts the test
 * when absent. Dims are "dim0".. unless given with tc_dims. */
ezc_array *tc_ref(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Renames a's dims: tc_dims(a, "time", "ch") (as many as a has). */
ezc_array *tc_dims(ezc_array *a, ...);

/* ---- values ---- */
/* Element i of a (host) as a double; complex: part 0 real, 1 imaginary. */
double tc_get(const ezc_array *a, size_t i, int part);
/* Asserts got ~ want element by element: same shape, and per element
 * |g - w| <= atol + rtol * |w| (NaN must match NaN, inf the same inf).
 * Both on the host; dtypes may differ (values compared as doubles). `what`
 * names the check in the failure message. */
void tc_assert_close(const ezc_array *got, const ezc_array *want, double rtol, double atol,
                     const char *what);
/* The float tolerance for a dtype: 1e-12 (float64, complex128), 1e-5 else. */
double tc_tol(ezc_dtype t);
/* The largest |element| of a host array (real part; 0 when empty). */
double tc_max_abs(const ezc_array *a);
/* got ~ want within tol * max|want| per element: a tolerance relative to
 * the signal's scale, for outputs whose small values carry no precision. */
void tc_assert_scaled(const ezc_array *got, const ezc_array *want, double tol, const char *what);
/* a converted to dtype t on the host (consumes a; a itself when already t). */
ezc_array *tc_as_dtype(ezc_array *a, ezc_dtype t);

/* ---- devices ---- */
/* Probes the backends once: cpu, then cuda:0 when a GPU answers. */
void tc_devices_init(void);
int tc_ndevs(void);
DLDevice tc_dev(int i);
/* a moved to device d (consumes a). */
ezc_array *tc_to(ezc_array *a, DLDevice d);
/* a brought to the host (consumes a). */
ezc_array *tc_host(ezc_array *a);
/* Runs the suite (no fork when a GPU is in use: CUDA cannot live in a
 * forked child); returns the process exit status. */
int tc_run_suite(Suite *s);

/* ---- transformers ---- */
/* type with settings "a=1; b=[1, 2]; c=text" (NULL or "" for defaults);
 * aborts the test with the error when it is refused. */
ezc_transformer *tc_make(const ezc_transformer_type *type, const char *settings);
/* Expects type+settings to be refused with `code`; returns the message
 * (static storage) for the caller to check. */
const char *tc_make_fails(const ezc_transformer_type *type, const char *settings, int code);
/* One message through t on port 0 (consumes in); aborts on error; the
 * output may be NULL (no output for this message). */
ezc_array *tc_apply(ezc_transformer *t, ezc_array *in);
/* Expects processing to fail with `code`; returns the message. */
const char *tc_apply_fails(ezc_transformer *t, ezc_array *in, int code);
/* The same on input port `port` (a learner's `train`, a second stream). */
ezc_array *tc_apply_port(ezc_transformer *t, int port, ezc_array *in);
const char *tc_apply_port_fails(ezc_transformer *t, int port, ezc_array *in, int code);
/* in split along `axis` into chunks of the given lengths (which sum to its
 * length; zero allowed), each processed in turn, the outputs joined along
 * the output dim named out_dim (NULL: the same dim name as axis). Returns
 * the joined output on the host (NULL when no chunk gave one). */
ezc_array *tc_apply_chunks(ezc_transformer *t, const ezc_array *in, int axis, const int64_t *lens,
                           size_t n, const char *out_dim);
/* n random chunk lengths summing to total, with 0 and 1 among them when
 * total allows; seeded, so failures reproduce. Returns the count. */
size_t tc_random_chunks(int64_t total, unsigned seed, int64_t *lens, size_t max);

/* Reference `name` as a [time, ch] stream sampled at fs from t0 seconds,
 * of dtype t, on dev. */
ezc_array *tc_stream_of(const char *name, double fs, double t0, ezc_dtype t, DLDevice dev);
/* Chunk invariance: reference `xname` (as tc_stream_of at fs, float64, on
 * dev) through type+settings whole, then in three seeded random chunkings
 * along time; the joined outputs equal the whole run within 1e-13 (relative
 * and absolute), and a linear time axis keeps its gain and offset. */
void tc_check_chunks(const ezc_transformer_type *type, const char *settings, const char *xname,
                     double fs, DLDevice dev);

/* The steady path allocates nothing: x (not consumed) through t on port 0
 * twelve times, a clone each time; from the third run on no buffer may be
 * made (ezc_buffer_new_count). The outputs are dropped. */
void tc_check_steady(ezc_transformer *t, const ezc_array *x);

/* Two streams through a two-port transformer: a (port 0) and b (port 1),
 * on the host, cut into random chunks (tc_random_chunks seeded by seeds[0]
 * and seeds[1]), sent to dev interleaved at random (seeds[0]), then an empty
 * chunk on port 0 to read out what a drop report held back. A chunk may
 * only be refused with EZC_EINVAL "dropped N samples of port 'P0' and M of
 * port 'P1'" (ports[] names them): N and M are summed in drops[]. Asserts
 * that there is output and that its linear time axis runs on from one
 * output to the next; returns the outputs joined along dim 0 (the caller
 * owns it). */
ezc_array *tc_run_two_ports(ezc_transformer *t, const ezc_array *a, const ezc_array *b,
                            DLDevice dev, const unsigned seeds[2], const char *const ports[2],
                            uint64_t drops[2]);

/* FILE in this run's scratch folder (made by tc_run_suite before the tests
 * run, removed with what is in it after). Two results may be held at once. */
const char *tc_tmp_path(const char *file);

/* Reference `name` as a [time, ch] stream at fs from t0 seconds, its
 * channels labelled by one letter each of `labels` (at most 8 channels), on
 * the host. */
ezc_array *tc_labelled(const char *name, double fs, double t0, const char *labels);

/* [n, 2] float64 [time, ch] at fs from t0 seconds, values v0, v0 + 1, ...
 * in C order: a stream whose every sample says where it came from. */
ezc_array *tc_ramp(int64_t n, double t0, double v0, double fs);

/* A new host array with values from `v` (converted to dtype). */
ezc_array *tc_array(ezc_dtype t, int ndim, const int64_t *shape, const double *v);

#endif
