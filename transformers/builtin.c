/* transformers/builtin.c — the list of built-in signal transformers.
 * Adding a transformer: write transformers/NAME.c exporting
 * `const ezc_transformer_type ezc_NAME_type`, then list it here. */
#include "transformers_builtin.h"

extern const ezc_transformer_type ezc_abs_type, ezc_clip_type, ezc_log_type, ezc_to_device_type;
extern const ezc_transformer_type ezc_scale_type, ezc_invert_type, ezc_pow_type, ezc_add_type,
    ezc_difference_type, ezc_linear_type, ezc_diff_type, ezc_transpose_type, ezc_slicer_type,
    ezc_aggregate_type, ezc_ranged_aggregate_type, ezc_coordinate_spaces_type, ezc_affine_type,
    ezc_common_rereference_type, ezc_add_streams_type, ezc_difference_streams_type,
    ezc_bandpower_type;
extern const ezc_transformer_type ezc_butterworth_type, ezc_filter_type, ezc_downsample_type,
    ezc_decimate_type, ezc_ewma_type, ezc_adaptive_standard_scaler_type;
extern const ezc_transformer_type ezc_cheby_type, ezc_firfilter_type, ezc_kaiser_type,
    ezc_fir_pmc_type, ezc_butterworthzerophase_type;
extern const ezc_transformer_type ezc_fir_hilbert_type, ezc_filterbank_type,
    ezc_filterbankdesign_type, ezc_combfilter_type, ezc_resample_type;
extern const ezc_transformer_type ezc_concat_type, ezc_align_type, ezc_merge_type,
    ezc_adaptive_lattice_notch_type, ezc_adaptive_lnc_type, ezc_signalinjector_type;
extern const ezc_transformer_type ezc_window_type, ezc_spectrum_type, ezc_spectrogram_type;
extern const ezc_transformer_type ezc_activation_type, ezc_quantize_type, ezc_digitize_type,
    ezc_denormalize_type, ezc_flatten_type, ezc_extract_axis_type, ezc_detrend_type,
    ezc_gaussiansmoothing_type, ezc_singlebandpow_type, ezc_binned_aggregate_type,
    ezc_rollingscaler_type;
extern const ezc_transformer_type ezc_sampler_type;
extern const ezc_transformer_type ezc_fbcca_type, ezc_resampleconcat_type;
extern const ezc_transformer_type ezc_cwt_type;

static const ezc_transformer_type *const types[] = {
    &ezc_abs_type,
    &ezc_clip_type,
    &ezc_log_type,
    &ezc_to_device_type,
    &ezc_scale_type,
    &ezc_invert_type,
    &ezc_pow_type,
    &ezc_add_type,
    &ezc_difference_type,
    &ezc_linear_type,
    &ezc_diff_type,
    &ezc_transpose_type,
    &ezc_slicer_type,
    &ezc_aggregate_type,
    &ezc_ranged_aggregate_type,
    &ezc_coordinate_spaces_type,
    &ezc_affine_type,
    &ezc_common_rereference_type,
    &ezc_add_streams_type,
    &ezc_difference_streams_type,
    &ezc_concat_type,
    &ezc_align_type,
    &ezc_merge_type,
    &ezc_sampler_type,
    &ezc_adaptive_lattice_notch_type,
    &ezc_adaptive_lnc_type,
    &ezc_signalinjector_type,
    &ezc_bandpower_type,
    &ezc_butterworth_type,
    &ezc_filter_type,
    &ezc_downsample_type,
    &ezc_decimate_type,
    &ezc_cheby_type,
    &ezc_firfilter_type,
    &ezc_kaiser_type,
    &ezc_fir_pmc_type,
    &ezc_fir_hilbert_type,
    &ezc_filterbank_type,
    &ezc_filterbankdesign_type,
    &ezc_combfilter_type,
    &ezc_resample_type,
    &ezc_butterworthzerophase_type,
    &ezc_ewma_type,
    &ezc_adaptive_standard_scaler_type,
    &ezc_window_type,
    &ezc_spectrum_type,
    &ezc_spectrogram_type,
    &ezc_activation_type,
    &ezc_quantize_type,
    &ezc_digitize_type,
    &ezc_denormalize_type,
    &ezc_flatten_type,
    &ezc_extract_axis_type,
    &ezc_detrend_type,
    &ezc_gaussiansmoothing_type,
    &ezc_singlebandpow_type,
    &ezc_binned_aggregate_type,
    &ezc_rollingscaler_type,
    &ezc_fbcca_type,
    &ezc_resampleconcat_type,
    &ezc_cwt_type,
    NULL,
};
static const ezc_plugin_info info = {EZC_PLUGIN_ABI, "transformers", types};

const ezc_plugin_info *ezc_transformers_builtin(void)
{
    return &info;
}
