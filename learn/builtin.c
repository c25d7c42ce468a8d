/* learn/builtin.c — the learning transformers this build ships.
 * Adding one: write learn/NAME.c exporting `const ezc_transformer_type
 * ezc_NAME_type`, then list it here. */
#include "learn_builtin.h"

extern const ezc_transformer_type ezc_kalman_type, ezc_lda_type, ezc_cca_type;
extern const ezc_transformer_type ezc_ssr_type, ezc_linear_regressor_type;
extern const ezc_transformer_type ezc_adaptive_linear_regressor_type, ezc_sgd_type;

static const ezc_transformer_type *const types[] = {
    &ezc_kalman_type,
    &ezc_lda_type,
    &ezc_cca_type,
    &ezc_ssr_type,
    &ezc_linear_regressor_type,
    &ezc_adaptive_linear_regressor_type,
    &ezc_sgd_type,
    NULL,
};
static const ezc_plugin_info info = {EZC_PLUGIN_ABI, "learn", types};

const ezc_plugin_info *ezc_learn_builtin(void)
{
    return &info;
}
