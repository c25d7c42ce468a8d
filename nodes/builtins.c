/* builtins.c — registers the built-in transformers and learners. It lives
 * above transformers/ and learn/ (layers point down only): the core's
 * registry adds these lists exactly as it adds a plugin's, and names none. */
#include "ezc/builtins.h"
#include "../learn/learn_builtin.h"
#include "../transformers/transformers_builtin.h"

int ezc_registry_add_builtins(ezc_registry *r, ezc_error *err)
{
    int rc = ezc_registry_add(r, ezc_transformers_builtin(), "built-in", err);
    return rc ? rc : ezc_registry_add(r, ezc_learn_builtin(), "built-in (learn)", err);
}
