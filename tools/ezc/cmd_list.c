/* cmd_list.c — `ezc list`: transformer and node types, or one type's schema. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "ezc/graph.h"

static void help(FILE *f)
{
    fprintf(f, "usage: ezc list [TYPE] [--plugin PATH]...\n"
               "Without TYPE: every transformer type with its summary and origin, then\n"
               "the built-in sources and sinks of graph files.\n"
               "With TYPE: its settings (name, type, default, doc) and ports.\n\n"
               "examples:\n"
               "  ezc list\n"
               "  ezc list clip\n"
               "  ezc list sine\n"
               "  ezc list --plugin ./build/examples/plugin/libezc-example-plugin.so\n");
}

int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {{"plugin", 1, 0, 'p'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    ezc_error err;
    int c, rc = 2;
    ezc_registry *reg = ezc_registry_new(&err);
    if (!reg || ezc_registry_add_builtins(reg, &err)) {
        fprintf(stderr, "ezc list: %s\n", err.msg);
        goto done;
    }
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'p') {
            if (ezc_registry_load_plugin(reg, optarg, &err)) {
                fprintf(stderr, "ezc list: %s\n", err.msg);
                goto done;
            }
        } else if (c == 'h') {
            help(stdout);
            rc = 0;
            goto done;
        } else {
            help(stderr);
            goto done;
        }
    }
    if (optind == argc) {
        for (size_t i = 0; i < ezc_registry_count(reg); i++) {
            const char *src;
            const ezc_transformer_type *t = ezc_registry_at(reg, i, &src);
            printf("%-20s %-50s [%s]\n", t->name, t->summary, src);
        }
        for (const ezc_node_kind *const *k = ezc_node_kinds(); *k; k++)
            printf("%-20s %-50s [graph node]\n", (*k)->name, (*k)->summary);
        rc = 0;
        goto done;
    }
    const ezc_node_kind *kind = ezc_node_kind_find(argv[optind]);
    const ezc_transformer_type *t = kind ? NULL : ezc_registry_find(reg, argv[optind], &err);
    if (!t && !kind) {
        fprintf(stderr, "ezc list: %s\n", err.msg);
        goto done;
    }
    const ezc_setting_spec *schema = t ? t->settings : kind->settings;
    printf("%s — %s\n\nsettings:\n", t ? t->name : kind->name, t ? t->summary : kind->summary);
    if (!schema || !schema[0].name)
        printf("  (none)\n");
    for (const ezc_setting_spec *s = schema; s && s->name; s++)
        printf("  %-16s %-8s default %-10s %s%s%s\n", s->name, ezc_setting_type_name(s->type),
               s->def ? s->def : (s->required ? "(required)" : "(absent)"), s->doc,
               s->choices ? " choices: " : "", s->choices ? s->choices : "");
    if (kind) { /* a graph source or sink: one port, by role */
        printf("\nports:\n  %s\n", kind->role == EZC_ROLE_SOURCE ? "out (output)" : "in (input)");
        rc = 0;
        goto done;
    }
    printf("\ninput ports:\n");
    if (!t->inputs)
        printf("  in\n");
    for (const ezc_port_spec *p = t->inputs; p && p->name; p++)
        printf("  %-16s %s\n", p->name, p->doc ? p->doc : "");
    rc = 0;
done:
    ezc_registry_destroy(&reg);
    return rc;
}
