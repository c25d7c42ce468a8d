/* dash_view.h — the dashboard's decimator: what one plot shows of a stream.
 *
 * Pure computation (no sockets, no threads): chunks of [samples x channels]
 * float32/float64 go in with their time base; a frame of at most rows x
 * cols values comes out, whatever the stream's rate. Feeding costs
 * O(samples x channels); a frame costs O(rows x cols).
 *
 *   dash_view *v = dash_view_new(DASH_MODE_TRACES, 8, 800, 5.0, &err);
 *   dash_view_feed(v, data, EZC_FLOAT32, n, 8, 1, t0, 1.0 / fs);
 *   float *out = malloc(dash_view_frame_values(v) * sizeof *out);
 *   dash_view_frame(v, out, cap, &info);
 *   dash_view_destroy(&v);
 *
 * Columns (traces, heat map) are window_s / cols seconds wide and fixed on
 * the sample clock (column k holds the samples with floor((t - t_first) /
 * width) == k), so a frame does not jitter as chunks arrive: a column only
 * ever gains samples until it slides out of the window.
 *
 * Thread-safety: none; the caller serialises every call on one view. */
#ifndef EZC_DASH_VIEW_H
#define EZC_DASH_VIEW_H
#include <stddef.h>
#include <stdint.h>
#include "ezc/dtype.h"
#include "ezc/error.h"

typedef enum {
    DASH_MODE_AUTO = 0,
    DASH_MODE_TRACES,   /* min and max of each channel per time column */
    DASH_MODE_SPECTRUM, /* the newest message's bins, max per column */
    DASH_MODE_HEATMAP,  /* mean of each channel per time column */
    DASH_MODE_SCALARS   /* the newest sample of each channel */
} dash_mode;

#define DASH_VIEW_COLS_MAX 4096
/* Most float values one frame may hold (rows x cols x 2 for traces):
 * 16 MiB of float32; a view asking more is refused. */
#define DASH_VIEW_VALUES_MAX ((size_t)1 << 22)

/* "traces", "spectrum", ...; "auto" for DASH_MODE_AUTO. */
const char *dash_mode_name(dash_mode m);
/* The mode of a name, or -1 when unknown. */
int dash_mode_from_name(const char *s);
/* What `auto` shows (docs/dashboard.md): a time axis with a freq axis ->
 * heat map; a time axis with at most 64 channels -> traces (more -> heat
 * map); no time axis and a freq axis -> spectrum; otherwise scalars. */
dash_mode dash_mode_auto(int has_time, int has_freq, size_t channels);

typedef struct dash_view dash_view;

/* A view of `rows` channels (0 allowed: empty frames) in `cols` columns
 * (1..DASH_VIEW_COLS_MAX) over window_s seconds (> 0; traces and heat map
 * only). mode is not AUTO. NULL with err: EZC_EINVAL (a bad argument, or
 * a frame beyond DASH_VIEW_VALUES_MAX: "dash: 100000 channels x 800
 * columns is too many values for one plot"), EZC_ENOMEM. */
dash_view *dash_view_new(dash_mode mode, size_t rows, size_t cols, double window_s, ezc_error *err);
void dash_view_destroy(dash_view **v);

/* Feeds n samples of `rows` channels: value (i, c) is at element
 * i * stride_t + c * stride_c of data (dtype float32 or float64; anything
 * else: EZC_EINVAL). Sample i is at time t0 + i * dt seconds (traces, heat
 * map) or is bin i at frequency t0 + i * dt (spectrum: the chunk replaces
 * the previous one). A chunk whose time goes back before the window, or
 * jumps a whole window ahead, starts the view over. NaN samples are left
 * out of min/max. n == 0 changes nothing. 0 or EZC_EINVAL. */
int dash_view_feed(dash_view *v, const void *data, ezc_dtype dtype, size_t n, ptrdiff_t stride_t,
                   ptrdiff_t stride_c, double t0, double dt);

/* How often data was fed (n > 0): a frame is worth sending when this
 * changed since the last one. */
uint64_t dash_view_fed(const dash_view *v);

typedef struct dash_frame_info {
    dash_mode mode;
    size_t rows, cols; /* cols: spectrum: min(cols, bins of the newest chunk) */
    double x0;         /* traces, heat map: column 0's start, seconds before the newest
                          sample (negative); spectrum: the first column's frequency */
    double dx;         /* a column's width: seconds or Hz */
    size_t values;     /* floats written */
} dash_frame_info;

/* Floats the next frame needs at most (rows x cols x 2 for traces). */
size_t dash_view_frame_values(const dash_view *v);

/* Writes the frame (layout in docs/dashboard.md "Plot frames") into out
 * (cap floats). 0, or EZC_EINVAL when cap is too small. */
int dash_view_frame(const dash_view *v, float *out, size_t cap, dash_frame_info *info);

#endif
