/* tf_cases.c — every built-in transformer with typical settings, and the
 * typical message they get: the table the whole-set suites (tf_steady,
 * tf_hostile) loop over. A new transformer adds one row here. */
#include <check.h>
#include "tf_cases.h"

/* [time, ch] float32 at 1 kHz, channel labels, values in (0.1, 1.1). */
ezc_array *tc_typical_input(int64_t nt, int64_t nch)
{
    ezc_error err = {0};
    int64_t shape[2] = {nt, nch};
    const char *dims[2] = {"time", "ch"};
    ezc_array *a = ezc_array_new(EZC_FLOAT32, 2, shape, dims, ezc_device_cpu(), &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    float *v = ezc_array_data(a);
    for (int64_t i = 0; i < nt * nch; i++)
        v[i] = 0.1f + (float)((i * 7919) % 1000) / 1000.0f;
    ezc_array_set_linear_axis(a, 0, 1e-3, 0, "s");
    const char *labels[8] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    ck_assert_int_eq(ezc_array_set_coord_labels(a, 1, labels, (size_t)nch, "", &err), 0);
    return a;
}

const tc_case tc_typical[] = {
    {"abs", "", 8},
    {"clip", "min=0.2; max=0.9", 8},
    {"log", "clip_zero=true", 8},
    {"scale", "scale=2", 8},
    {"invert", "", 8},
    {"pow", "exponent=3", 8},
    {"add", "value=1", 8},
    {"difference", "value=1; subtrahend=false", 8},
    {"linear", "scale=[1, 2, 3, 4, 5, 6, 7, 8]; offset=1; axis=ch", 8},
    {"diff", "scale_by_fs=true", 8},
    {"transpose", "axes=[ch, time]", 8},
    {"slicer", "selection=1:5", 8},
    {"slicer", "selection=0:50; axis=time", 8},
    {"aggregate", "axis=time; operation=median", 8},
    {"aggregate", "axis=ch; operation=trapezoid", 8},
    {"ranged_aggregate", "axis=time; bands=[[-1e9, 1e9], [0, 1e9]]; operation=max", 8},
    {"coordinate_spaces", "", 2},
    {"coordinate_spaces", "mode=pol2cart", 2},
    {"affine", "weights=[[1, 0], [0, 1], [1, 1], [0, 0], [2, 1], [1, 2], [0, 3], [3, 0]]; axis=ch",
     8},
    {"affine", "weights=[[1, 0], [0, 1], [1, 1], [0, 0], [2, 1], [1, 2], [0, 3], [3, 0], [5, 5]]",
     8},
    {"common_rereference", "", 8},
    {"common_rereference", "mode=median; clusters=[0, 0, 0, 0, 1, 1, 1, 1]", 8},
    {"butterworth", "order=4; cuton=10; cutoff=100", 8},
    {"filter", "b=[0.2, 0.3]; a=[1, -0.5]", 8},
    {"downsample", "factor=3", 8},
    {"decimate", "factor=2", 8},
    {"cheby", "order=4; ripple_tol=0.5; Wn=[10, 100]; btype=bandpass", 8},
    {"firfilter", "order=31; cutoff=100", 8},
    {"kaiser", "cutoff=[50, 150]; ripple=40; width=40; pass_zero=bandpass", 8},
    {"fir_pmc", "order=30; cuton=50; cutoff=150; transition=40", 8},
    {"fir_hilbert", "order=30; f_lo=20; trans_lo=20", 8},
    {"combfilter", "fundamental_freq=50; num_harmonics=4", 8},
    {"resample", "resample_rate=300", 8},
    {"filterbank", "kernels=[[0.5, 0.5, 0], [1, -1, 0.5]]; n_kernels=2", 8},
    {"filterbankdesign",
     "cutoff=[50, 100, 200]; n_cutoffs=[1, 2]; ripple=40; width=40; "
     "pass_zero=[true, bandpass]",
     8},
    {"butterworthzerophase", "order=2; cuton=50; cutoff=200; max_pad_duration=0.02", 8},
    {"ewma", "time_constant=0.05", 8},
    {"adaptive_standard_scaler", "time_constant=0.05", 8},
    {"window", "window_dur=0.032; window_shift=0.016", 8},
    {"spectrum", "", 8},
    {"spectrum", "transform=rel_db; window=hamming", 8},
    {"spectrogram", "window_dur=0.032; window_shift=0.016", 8},
    {"bandpower", "window_dur=0.032; window_shift=0.016; bands=[[50, 200], [200, 400]]", 8},
    {"to_device", "device=cpu", 8},
    {"activation", "function=log_expit", 8},
    {"activation", "function=logit", 8},
    {"quantize", "max_val=1; bits=12", 8},
    {"digitize", "min_val=0; max_val=1; dtype=int64", 8},
    {"denormalize", "distribution=normal; seed=3", 8},
    {"flatten", "preserve_axis=ch; output_axis=x", 8},
    {"extract_axis", "axis=time; reference=time", 8},
    {"detrend", "time_constant=0.05", 8},
    {"detrend", "type=linear", 8},
    {"gaussiansmoothing", "sigma=0.003", 8},
    {"singlebandpow", "cuton=20; cutoff=80; bin_duration=0.016", 8},
    {"binned_aggregate", "bin_duration=0.0125; operations=[min, max, argmax]", 8},
    {"binned_aggregate", "bin_duration=0.007; operation=trapezoid; axis=time", 8},
    {"rollingscaler", "update_with_signal=true; k_samples=30; min_samples=10", 8},
    {"concat", "", 8},
    {"merge", "", 8},
    {"align", "", 8},
    {"adaptive_lattice_notch", "init_notch_freq=50", 8},
    {"adaptive_lattice_notch", "output=freq", 8},
    {"adaptive_lnc", "num_harmonics=2", 8},
    {"adaptive_lnc", "freq_time_constant=0", 8},
    {"signalinjector", "frequency=50; amplitude=0.5; mixing_seed=1", 8},
    {"fbcca", "freqs=[10, 12, 15]; harmonics=2", 8},
    {"resampleconcat", "", 8},
    {"cwt", "wavelet=cmor1.5-1.0; frequencies=[40, 100]", 8},
    {"cwt", "wavelet=morl; scales=[4, 9]", 8},
    {"cwt", "wavelet=mexh; frequencies=[50, 120]; min_phase=homomorphic", 8},
    {"cwt", "wavelet=fbsp2-1.0-0.5; frequencies=[60, 120]", 8},
    {"filterbank", "kernels=[0.2, 0.5, 0.2, 0.1, 0.3, 0.3]; n_kernels=2; min_phase=hilbert", 8},
    {"singlebandpow", "cuton=20; cutoff=80; mode=square_law; lowpass_cutoff=10; factor=4", 8},
};
const size_t tc_ntypical = sizeof tc_typical / sizeof *tc_typical;
