/* test_graph.c — graph files: the model parsed from YAML with each element's
 * line, and every validation error reported with its line and what was
 * expected. Each case writes a small YAML file into a temporary folder.
 * EZC_TEST_PLUGIN names the example plugin (for plugins: paths). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check_run.h"
#include "ezc/ezc.h"
#include "ezc/graph.h"
#include "../learn/model_file.h"

static char tmpdir[64];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ezc-graph-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Writes text to tmpdir/name, loads and checks it. */
static ezc_graph *load(const char *name, const char *text, size_t *nerr)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ezc_error err;
    ezc_graph *g = ezc_graph_load(path, &err);
    ck_assert_msg(g != NULL, "%s", err.msg);
    ezc_registry *r = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(r, &err), 0);
    *nerr = ezc_graph_check(g, r);
    ezc_registry_destroy(&r); /* the graph keeps no pointer into plugins it loaded... */
    return g;
}

/* ...except node types: tests that need them loaded keep the registry. */
static ezc_graph *load_keep(const char *name, const char *text, size_t *nerr, ezc_registry **r)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ezc_error err;
    ezc_graph *g = ezc_graph_load(path, &err);
    ck_assert_ptr_nonnull(g);
    *r = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(*r, &err), 0);
    *nerr = ezc_graph_check(g, *r);
    return g;
}

static void dump(const ezc_graph *g)
{
    for (size_t i = 0; i < g->nerrors; i++)
        fprintf(stderr, "  %d: %s\n", g->errors[i].line, g->errors[i].msg);
}

/* Asserts an error at line whose message holds every given substring. */
#define ck_assert_error(g, line, ...) ck_assert_error_(g, line, __VA_ARGS__, NULL)
static void ck_assert_error_(const ezc_graph *g, int line, ...)
{
    for (size_t i = 0; i < g->nerrors; i++) {
        if (g->errors[i].line != line)
            continue;
        va_list ap;
        va_start(ap, line);
        int all = 1;
        for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
            all &= strstr(g->errors[i].msg, s) != NULL;
        va_end(ap);
        if (all)
            return;
    }
    dump(g);
    ck_abort_msg("no matching error at line %d", line);
}

START_TEST(t_parse_model)
{
    size_t nerr;
    ezc_graph *g =
        load("full.yaml",
             "description: everything\n"                                           /* 1 */
             "nodes:\n"                                                            /* 2 */
             "  src:\n"                                                            /* 3 */
             "    type: sine\n"                                                    /* 4 */
             "    settings:\n"                                                     /* 5 */
             "      fs: 2000\n"                                                    /* 6 */
             "      channels: 2\n"                                                 /* 7 */
             "    process: acq\n"                                                  /* 8 */
             "    restart: on-failure\n"                                           /* 9 */
             "  clip:\n"                                                           /* 10 */
             "    type: clip\n"                                                    /* 11 */
             "    settings: {min: -0.5, max: 0.5}\n"                               /* 12 */
             "    device: cpu\n"                                                   /* 13 */
             "  out: {type: publish, settings: {endpoint: 'ipc:///tmp/x'}}\n"      /* 14 */
             "edges:\n"                                                            /* 15 */
             "  - src -> clip.in\n"                                                /* 16 */
             "  - {from: clip.out, to: out, queue: drop_oldest, queue_size: 4}\n"  /* 17 */
             "outputs:\n"                                                          /* 18 */
             "  env: {node: clip, endpoint: 'tcp://*:5560', queue: drop_newest}\n" /* 19 */
             "inputs:\n"                                                           /* 20 */
             "  ext: {node: out, endpoint: 'tcp://localhost:5555', topic: emg}\n"  /* 21 */
             "hosts:\n"                                                            /* 22 */
             "  lab: 10.0.0.2\n",                                                  /* 23 */
             &nerr);
    if (nerr)
        dump(g);
    ck_assert_uint_eq(nerr, 0);
    ck_assert_uint_eq(g->nnodes, 3);
    ezc_graph_node *n = &g->nodes[0];
    ck_assert_str_eq(n->name, "src");
    ck_assert_int_eq(n->line, 3);
    ck_assert_str_eq(n->type, "sine");
    ck_assert_int_eq(n->type_line, 4);
    ck_assert_int_eq(n->role, EZC_ROLE_SOURCE);
    ck_assert_uint_eq(n->nsettings, 2);
    ck_assert_str_eq(n->settings[1].name, "channels");
    ck_assert_str_eq(n->settings[1].text, "2");
    ck_assert_int_eq(n->settings[1].line, 7);
    ck_assert_str_eq(ezc_graph_node_group(n), "acq");
    ck_assert_int_eq(n->restart, EZC_RESTART_ON_FAILURE);
    ck_assert_int_eq(n->restart_line, 9);
    n = &g->nodes[1];
    ck_assert_int_eq(n->role, EZC_ROLE_TRANSFORMER);
    ck_assert_ptr_nonnull(n->ttype);
    ck_assert_str_eq(n->device, "cpu");
    ck_assert_int_eq(n->dev.device_type, kDLCPU);
    ck_assert_str_eq(ezc_graph_node_group(n), "main");
    ck_assert_int_eq(n->restart, EZC_RESTART_NEVER);
    ck_assert_int_eq(n->settings[0].line, 12);
    ck_assert_int_eq(g->nodes[2].role, EZC_ROLE_SINK);
    ck_assert_uint_eq(g->nedges, 2);
    ck_assert_int_eq(g->edges[0].from, 0);
    ck_assert_int_eq(g->edges[0].to, 1);
    ck_assert_str_eq(g->edges[0].to_port, "in");
    ck_assert_int_eq(g->edges[0].line, 16);
    ck_assert_int_eq(g->edges[0].queue, EZC_QUEUE_BLOCK);
    ck_assert_int_eq(g->edges[1].queue, EZC_QUEUE_DROP_OLDEST);
    ck_assert_int_eq(g->edges[1].queue_size, 4);
    ck_assert_str_eq(g->edges[1].from_port, "out");
    ck_assert_int_eq(g->edges[1].line, 17);
    ck_assert_uint_eq(g->noutputs, 1);
    ck_assert_str_eq(g->outputs[0].name, "env");
    ck_assert_int_eq(g->outputs[0].node, 1);
    ck_assert_str_eq(g->outputs[0].endpoint, "tcp://*:5560");
    ck_assert_int_eq(g->outputs[0].queue, EZC_QUEUE_DROP_NEWEST);
    ck_assert_int_eq(g->outputs[0].line, 19);
    ck_assert_uint_eq(g->ninputs, 1);
    ck_assert_int_eq(g->inputs[0].node, 2);
    ck_assert_int_eq(g->inputs[0].port_index, 0);
    ck_assert_str_eq(g->inputs[0].topic, "emg");
    ck_assert_uint_eq(g->nhosts, 1);
    ck_assert_str_eq(g->hosts[0].address, "10.0.0.2");
    ck_assert_int_eq(g->hosts[0].line, 23);
    /* Settings carry FILE:LINE for messages at run time. */
    ezc_error err;
    ezc_settings *s = ezc_graph_node_settings(g, &g->nodes[1], &err);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(ezc_settings_validate(s, g->nodes[1].ttype->settings, "clip", &err), 0);
    double v;
    ck_assert_int_eq(ezc_settings_get_float(s, "max", &v), 0);
    ck_assert_double_eq(v, 0.5);
    ezc_settings_destroy(&s);
    ezc_graph_destroy(&g);
    ck_assert_ptr_null(g);
}
END_TEST

START_TEST(t_unknown_keys)
{
    size_t nerr;
    ezc_graph *g = load("keys.yaml",
                        "nodes:\n"                                          /* 1 */
                        "  a:\n"                                            /* 2 */
                        "    type: counter\n"                               /* 3 */
                        "    colour: red\n"                                 /* 4 */
                        "  b: {type: print}\n"                              /* 5 */
                        "edge:\n"                                           /* 6 */
                        "  - a -> b\n"                                      /* 7 */
                        "edges: [a -> b]\n"                                 /* 8 */
                        "outputs:\n"                                        /* 9 */
                        "  o: {node: a, endpoint: 'tcp://*:1', port: x}\n", /* 10 */
                        &nerr);
    ck_assert_error(g, 4, "node 'a'", "unknown key 'colour'", "expected type, settings, device");
    ck_assert_error(g, 6, "unknown top-level key 'edge'", "expected nodes, edges");
    ck_assert_error(g, 10, "output 'o'", "unknown key 'port'");
    ck_assert_uint_eq(nerr, 3);
    ezc_graph_destroy(&g);
}
END_TEST

START_TEST(t_unknown_type)
{
    size_t nerr;
    ezc_graph *g = load("type.yaml",
                        "nodes:\n"
                        "  a: {type: counter}\n"
                        "  b:\n"
                        "    type: abss\n" /* 4 */
                        "  c:\n"           /* 5 */
                        "    settings: {}\n"
                        "edges: [a -> b, a -> c]\n",
                        &nerr);
    ck_assert_error(g, 4, "node 'b'", "unknown transformer type 'abss'", "did you mean 'abs'",
                    "sources: sine, noise, counter, subscribe, synth_mi; "
                    "sinks: publish, print, record");
    ck_assert_error(g, 5, "node 'c'", "no type");
    ck_assert_uint_eq(nerr, 2);
    ezc_graph_destroy(&g);
}
END_TEST

START_TEST(t_settings_errors)
{
    size_t nerr;
    ezc_graph *g = load("settings.yaml",
                        "nodes:\n"                         /* 1 */
                        "  s:\n"                           /* 2 */
                        "    type: sine\n"                 /* 3 */
                        "    settings:\n"                  /* 4 */
                        "      fs: fast\n"                 /* 5 */
                        "      chanels: 4\n"               /* 6 */
                        "      chunk: 1.5\n"               /* 7 */
                        "      dtype: float16\n"           /* 8 */
                        "      realtime: maybe\n"          /* 9 */
                        "  c:\n"                           /* 10 */
                        "    type: clip\n"                 /* 11 */
                        "    settings: {min: 5, max: 1}\n" /* 12 */
                        "  d:\n"                           /* 13 */
                        "    type: clip\n"                 /* 14 */
                        "    settings:\n"                  /* 15 */
                        "      min: [1, 2]\n"              /* 16 */
                        "  p:\n"                           /* 17 */
                        "    type: publish\n"              /* 18 */
                        "  z:\n"                           /* 19 */
                        "    type: sine\n"                 /* 20 */
                        "    settings: {fs: -5}\n"         /* 21 */
                        "edges: [s -> c, s -> d, c -> p, z -> d]\n",
                        &nerr);
    ck_assert_error(g, 5, "node 's'", "setting 'fs' = 'fast'", "expected a number (float)");
    ck_assert_error(g, 6, "unknown setting 'chanels'", "channels", "ezc list sine");
    ck_assert_error(g, 7, "setting 'chunk' = '1.5'", "expected an integer (int)");
    ck_assert_error(g, 8, "setting 'dtype' = 'float16'", "expected one of float32|float64");
    ck_assert_error(g, 9, "setting 'realtime' = 'maybe'", "true or false (bool)");
    /* What init checks (min <= max) is reported at the settings line. */
    ck_assert_error(g, 12, "node 'c'", "clip: min (5) > max (1)");
    ck_assert_error(g, 16, "node 'd'", "setting 'min'", "a single value, not a list (float)");
    /* The required endpoint, with its type and doc, at the node. */
    ck_assert_error(g, 17, "node 'p'", "setting 'endpoint' (string) is required");
    /* Each range names its setting (not "need fs > 0, 1 <= channels ..."). */
    ck_assert_error(g, 21, "node 'z'", "sine: setting 'fs' = -5: expected a number > 0");
    ck_assert_uint_eq(nerr, 9);
    ezc_graph_destroy(&g);
}
END_TEST

START_TEST(t_edge_errors)
{
    size_t nerr;
    ezc_graph *g = load("edges.yaml",
                        "nodes:\n"                            /* 1 */
                        "  s: {type: counter}\n"              /* 2 */
                        "  a: {type: abs}\n"                  /* 3 */
                        "  p: {type: print}\n"                /* 4 */
                        "edges:\n"                            /* 5 */
                        "  - s -> a\n"                        /* 6 */
                        "  - a -> p\n"                        /* 7 */
                        "  - a -> nowhere\n"                  /* 8 */
                        "  - s => a\n"                        /* 9 */
                        "  - a -> s\n"                        /* 10 */
                        "  - p -> a\n"                        /* 11 */
                        "  - s.left -> a\n"                   /* 12 */
                        "  - s -> a.labels\n"                 /* 13 */
                        "  - {from: s, to: a, queue: lifo}\n" /* 14 */
                        "  - {from: s}\n"                     /* 15 */
                        "  - [s, a]\n",                       /* 16 */
                        &nerr);
    ck_assert_error(g, 8, "edge 'a -> nowhere'", "unknown node 'nowhere'", "nodes: s, a, p");
    ck_assert_error(g, 9, "edge 's => a'", "expected \"from -> to\"");
    ck_assert_error(g, 10, "node 's' (counter) is a source: it has no input");
    ck_assert_error(g, 11, "node 'p' (print) is a sink: it has no output");
    ck_assert_error(g, 12, "node 's' (counter) has no output port 'left' (ports: out)");
    ck_assert_error(g, 13, "node 'a' (abs) has no input port 'labels' (ports: in)");
    ck_assert_error(g, 14, "queue 'lifo'", "expected block, drop_oldest, drop_newest or conflate");
    ck_assert_error(g, 15, "needs both from and to");
    ck_assert_error(g, 16, "expected \"a -> b\" or a map", "got a list");
    ck_assert_uint_eq(nerr, 9);
    ezc_graph_destroy(&g);
}
END_TEST

START_TEST(t_cycle)
{
    size_t nerr;
    ezc_graph *g = load("cycle.yaml",
                        "nodes:\n"
                        "  s: {type: counter}\n"
                        "  a: {type: abs}\n"
                        "  b: {type: abs}\n"
                        "  c: {type: abs}\n" /* 5 */
                        "edges:\n"
                        "  - s -> a\n"
                        "  - a -> b\n"
                        "  - b -> c\n"
                        "  - c -> a\n", /* 10: closes a -> b -> c -> a */
                        &nerr);
    ck_assert_error(g, 10, "cycle: a -> b -> c -> a");
    ck_assert_uint_eq(nerr, 1);
    ezc_graph_destroy(&g);
}
END_TEST

START_TEST(t_structure_errors)
{
    size_t nerr;
    ezc_graph *g = load("struct.yaml",
                        "nodes:\n"                                         /* 1 */
                        "  a: {type: counter, device: gpu0}\n"             /* 2 */
                        "  b: {type: abs, restart: sometimes}\n"           /* 3 */
                        "  c.d: {type: abs}\n"                             /* 4 */
                        "  e: abs\n"                                       /* 5 */
                        "  f: {type: abs, process: 'my group'}\n"          /* 6 */
                        "  g: {type: abs}\n"                               /* 7: nothing feeds it */
                        "  a: {type: noise}\n"                             /* 8 */
                        "edges: a -> b\n"                                  /* 9 */
                        "outputs:\n"                                       /* 10 */
                        "  o: {node: zz, endpoint: 'tcp://*:1'}\n"         /* 11 */
                        "  q: {node: a, endpoint: 'udp://x'}\n"            /* 12 */
                        "inputs:\n"                                        /* 13 */
                        "  i: {node: a, endpoint: 'tcp://localhost:1'}\n", /* 14 */
                        &nerr);
    ck_assert_error(g, 2, "node 'a': device", "'gpu0' is not a device (expected cpu or cuda:N)");
    ck_assert_error(g, 3, "'sometimes': expected never, on-failure or always");
    ck_assert_error(g, 4, "node name 'c.d'");
    ck_assert_error(g, 5, "node 'e': expected a map with type", "got a single value");
    ck_assert_error(g, 6, "'my group' is not a group name");
    ck_assert_error(g, 3, "node 'b' (abs): nothing feeds it");
    ck_assert_error(g, 7, "node 'g' (abs): nothing feeds it");
    ck_assert_error(g, 6, "node 'f' (abs): nothing feeds it");
    ck_assert_error(g, 8, "key 'a' given twice");
    ck_assert_error(g, 9, "edges: expected a list", "got a single value");
    ck_assert_error(g, 11, "output 'o'", "unknown node 'zz'");
    ck_assert_error(g, 12, "'udp://x': expected tcp://, ipc:// or inproc://");
    ck_assert_error(g, 14, "input 'i'", "node 'a' (counter) is a source: it has no input");
    ck_assert_uint_eq(nerr, 13);
    ezc_graph_destroy(&g);
}
END_TEST

START_TEST(t_yaml_syntax)
{
    size_t nerr;
    ezc_graph *g = load("syntax.yaml",
                        "nodes:\n"
                        "  a: {type: counter\n"
                        "  b: [\n"
                        "edges: []\n",
                        &nerr);
    ck_assert_uint_eq(nerr, 1);
    ck_assert_ptr_nonnull(strstr(g->errors[0].msg, "YAML syntax"));
    ck_assert_int_ge(g->errors[0].line, 2);
    ezc_graph_destroy(&g);
    g = load("empty.yaml", "# nothing\n", &nerr);
    ck_assert_error(g, 1, "empty file");
    ezc_graph_destroy(&g);
    ezc_error err;
    ck_assert_ptr_null(ezc_graph_load("/nonexistent/graph.yaml", &err));
    ck_assert_int_eq(err.code, EZC_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/graph.yaml: cannot open"));
}
END_TEST

START_TEST(t_plugins)
{
    const char *plugin = getenv("EZC_TEST_PLUGIN");
    ck_assert_ptr_nonnull(plugin);
    char text[2048];
    snprintf(text, sizeof text,
             "plugins:\n"
             "  - %s\n"         /* 2 */
             "  - missing.so\n" /* 3: relative to the file's folder */
             "nodes:\n"
             "  s: {type: counter}\n"
             "  r: {type: rectify_gain, settings: {gain: 2}}\n"
             "edges: [s -> r]\n",
             plugin);
    size_t nerr;
    ezc_registry *r;
    ezc_graph *g = load_keep("plugins.yaml", text, &nerr, &r);
    char missing[256];
    snprintf(missing, sizeof missing, "plugin '%s/missing.so' does not load", tmpdir);
    ck_assert_error(g, 3, missing);
    ck_assert_uint_eq(nerr, 1);
    ck_assert_str_eq(g->plugins[0].path, plugin);
    ck_assert_int_eq(g->nodes[1].role, EZC_ROLE_TRANSFORMER);
    ck_assert_str_eq(g->nodes[1].ttype->name, "rectify_gain");
    ezc_graph_destroy(&g);
    ezc_registry_destroy(&r);
    /* Without the plugin the type is unknown. */
    g = load("noplugin.yaml",
             "nodes:\n  s: {type: counter}\n  r: {type: rectify_gain}\nedges: [s -> r]\n", &nerr);
    ck_assert_error(g, 3, "unknown transformer type 'rectify_gain'");
    ezc_graph_destroy(&g);
}
END_TEST

START_TEST(t_node_kinds)
{
    const ezc_node_kind *const *k = ezc_node_kinds();
    const char *want[] = {"sine",  "noise",  "counter",   "publish",
                          "print", "record", "subscribe", "synth_mi"};
    for (int i = 0; i < 8; i++) {
        ck_assert_ptr_nonnull(k[i]);
        ck_assert_str_eq(k[i]->name, want[i]);
        ck_assert_ptr_eq(ezc_node_kind_find(want[i]), k[i]);
    }
    ck_assert_ptr_null(k[8]);
    ck_assert_int_eq(ezc_node_kind_find("subscribe")->role, EZC_ROLE_SOURCE);
    ck_assert_ptr_null(ezc_node_kind_find("abs"));
    ck_assert_str_eq(ezc_queue_name(EZC_QUEUE_CONFLATE), "conflate");
    ck_assert_str_eq(ezc_restart_name(EZC_RESTART_ON_FAILURE), "on-failure");
}
END_TEST

/* Settings that are endpoints take only what the runtime can bind or
 * connect; inputs/outputs the same. */
START_TEST(t_endpoint_settings)
{
    size_t nerr;
    ezc_graph *g =
        load("ep.yaml",
             "nodes:\n"
             "  s: {type: sine}\n"
             "  p: {type: publish, settings: {endpoint: \"http://localhost:80\"}}\n" /* 3 */
             "  q: {type: publish, settings: {endpoint: \"tcp://localhost\"}}\n"     /* 4 */
             "  u:\n"
             "    type: subscribe\n"
             "    settings: {endpoint: \"ipc://\"}\n" /* 7 */
             "  ok1: {type: publish, settings: {endpoint: \"tcp://*:5560\"}}\n"
             "  ok2: {type: publish, settings: {endpoint: \"tcp://127.0.0.1:5561\"}}\n"
             "  ok3: {type: publish, settings: {endpoint: \"inproc://x\"}}\n"
             "  pr: {type: print}\n"
             "edges: [s -> p, s -> q, s -> ok1, s -> ok2, s -> ok3, u -> pr]\n"
             "outputs:\n"
             "  o: {node: s, endpoint: \"udp://x:1\"}\n", /* 14 */
             &nerr);
    ck_assert_error(g, 3, "node 'p'", "publish: setting 'endpoint' = 'http://localhost:80'",
                    "expected tcp://, ipc:// or inproc:// endpoint");
    ck_assert_error(g, 4, "node 'q'", "'tcp://localhost'", "tcp://HOST:PORT");
    ck_assert_error(g, 7, "node 'u'", "subscribe: setting 'endpoint' = 'ipc://'", "names no path");
    ck_assert_error(g, 14, "output 'o'", "'udp://x:1'", "expected tcp://, ipc:// or inproc://");
    ck_assert_uint_eq(nerr, 4);
    ezc_graph_destroy(&g);
    const char *why = NULL;
    ck_assert_int_eq(ezc_graph_endpoint_check("tcp://*:*", &why), 0);
    ck_assert_int_eq(ezc_graph_endpoint_check("tcp://:5", &why), -1);
    ck_assert_int_eq(ezc_graph_endpoint_check("tcp://h:5x", &why), -1);
    ck_assert_int_eq(ezc_graph_endpoint_check("ipc:///tmp/a", &why), 0);
}
END_TEST

/* What sources declare follows the edges; settings that contradict it are
 * errors at their line, not refusals of every message at run time. */
START_TEST(t_static_checks)
{
    size_t nerr;
    ezc_graph *g =
        load("static.yaml",
             "nodes:\n"                                                                   /* 1 */
             "  s: {type: sine, settings: {fs: 1000, channels: 4, chunk: 50}}\n"          /* 2 */
             "  lp:\n"                                                                    /* 3 */
             "    type: butterworth\n"                                                    /* 4 */
             "    settings:\n"                                                            /* 5 */
             "      order: 4\n"                                                           /* 6 */
             "      cutoff: 800\n"                                                        /* 7 */
             "  r: {type: abs}\n"                                                         /* 8 */
             "  bp: {type: butterworth, settings: {order: 2, cuton: 600, cutoff: 100}}\n" /* 9 */
             "  d: {type: diff, settings: {axis: foo}}\n"                                 /* 10 */
             "  l3: {type: linear, settings: {scale: [1, 2, 3], axis: ch}}\n"             /* 11 */
             "  l4: {type: linear, settings: {scale: [1, 2, 3, 4], offset: 1, axis: ch}}\n"
             "  dec: {type: decimate, settings: {factor: 2}}\n"                /* 13 */
             "  lp2: {type: butterworth, settings: {order: 2, cutoff: 300}}\n" /* 14 */
             "  lp3: {type: butterworth, settings: {order: 2, cutoff: 200}}\n" /* 15 */
             "  sub: {type: subscribe, settings: {endpoint: \"ipc:///tmp/x\"}}\n"
             "  lp4: {type: butterworth, settings: {order: 2, cutoff: 800}}\n" /* 17: fs unknown */
             "  sp: {type: spectrum}\n"                                        /* 18 */
             "  d2: {type: diff, settings: {axis: foo}}\n" /* 19: dims unknown */
             "  car: {type: common_rereference, settings: {clusters: [0, 0, 1]}}\n" /* 20 */
             "  p: {type: print}\n"
             "edges: [s -> lp, s -> r, r -> bp, r -> d, r -> l3, r -> l4, s -> dec, dec -> lp2,\n"
             "        dec -> lp3, sub -> lp4, s -> sp, sp -> d2, s -> car,\n"
             "        lp -> p, bp -> p, d -> p, l3 -> p, l4 -> p, lp2 -> p, lp3 -> p, lp4 -> p,\n"
             "        d2 -> p, car -> p]\n",
             &nerr);
    ck_assert_error(g, 7, "node 'lp'", "butterworth: setting 'cutoff' = 800 Hz",
                    "must be below Nyquist (500 Hz at fs = 1000 Hz of the stream from 's')");
    /* through abs, which keeps fs */
    ck_assert_error(g, 9, "node 'bp'", "setting 'cuton' = 600 Hz", "below Nyquist (500 Hz");
    ck_assert_error(g, 10, "node 'd'", "setting 'axis' = 'foo'",
                    "the stream from 's' has no such dim (dims: [time, ch])");
    ck_assert_error(g, 11, "node 'l3'", "setting 'scale' has 3 values",
                    "the stream from 's' has 4 along 'ch'");
    /* decimate by 2 halves fs: 300 Hz is past the new Nyquist (250), 200 is not */
    ck_assert_error(g, 14, "node 'lp2'", "setting 'cutoff' = 300 Hz",
                    "(250 Hz at fs = 500 Hz of the stream from 's')");
    ck_assert_error(g, 20, "node 'car'", "setting 'clusters' has 3 values", "4 along 'ch'");
    ck_assert_uint_eq(nerr, 6);
    ezc_graph_destroy(&g);
}
END_TEST

START_TEST(t_source_ranges)
{
    size_t nerr;
    ezc_graph *g = load("ranges.yaml",
                        "nodes:\n"
                        "  s:\n"
                        "    type: counter\n"
                        "    settings:\n"
                        "      chunk: -3\n"       /* 5 */
                        "      channels: 70000\n" /* 6 */
                        "  p: {type: print}\n"
                        "edges: [s -> p]\n",
                        &nerr);
    ck_assert_error(g, 5, "node 's'", "counter: setting 'chunk' = -3",
                    "expected an integer in [1, 16777216]");
    ck_assert_error(g, 6, "node 's'", "setting 'channels' = 70000",
                    "expected an integer in [1, 65536]");
    ck_assert_uint_eq(nerr, 2);
    ezc_graph_destroy(&g);
}
END_TEST

/* An lda model file of 2 classes and nf features in tmpdir/name. */
static void write_lda(const char *name, int64_t nf)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    ezc_error err;
    ezc_model *m = ezc_model_new("lda", &err);
    ck_assert_ptr_nonnull(m);
    double coef[8] = {0}, icpt[1] = {0};
    int64_t cs[2] = {1, nf}, is[1] = {1};
    const char *labels[] = {"rest", "move"};
    ck_assert_int_eq(ezc_model_add(m, "coef", 2, cs, coef, &err), 0);
    ck_assert_int_eq(ezc_model_add(m, "intercept", 1, is, icpt, &err), 0);
    ck_assert_int_eq(ezc_model_set_labels(m, 2, labels, NULL, &err), 0);
    ck_assert_int_eq(ezc_model_save(path, m, &err), 0);
    ezc_model_destroy(&m);
}

/* A model file's feature count against the stream's: 3 features for 4
 * channels is an error at the model line; 4 is fine. */
START_TEST(t_model_features)
{
    write_lda("m3.ezm", 3);
    write_lda("m4.ezm", 4);
    char text[1024];
    snprintf(text, sizeof text,
             "nodes:\n"
             "  s: {type: noise, settings: {channels: 4}}\n"
             "  a:\n"
             "    type: lda\n"
             "    settings: {model: %s/m3.ezm}\n" /* 5 */
             "  b: {type: lda, settings: {model: %s/m4.ezm}}\n"
             "  p: {type: print}\n"
             "edges: [s -> a, s -> b, a -> p, b -> p]\n",
             tmpdir, tmpdir);
    size_t nerr;
    ezc_graph *g = load("model.yaml", text, &nerr);
    ck_assert_error(g, 5, "node 'a': lda: setting 'model'", "m3.ezm: the model takes 3 features",
                    "the stream from 's' has 4 per sample (dims other than 'time')");
    ck_assert_uint_eq(nerr, 1);
    ezc_graph_destroy(&g);
}
END_TEST

/* Writes text of len bytes to tmpdir/name and loads it (no check). */
static ezc_graph *load_raw(const char *name, const char *text, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    ezc_error err;
    ezc_graph *g = ezc_graph_load(path, &err);
    ck_assert_msg(g != NULL, "%s", err.msg);
    return g;
}

/* Hostile files: 200,000 levels of [ (minutes of libyaml's time without the
 * limit: the test's timeout catches it), a file past 1 MiB, aliases that
 * multiply a list, and a flood of errors. */
START_TEST(t_limits)
{
    size_t deep = 200000, len = 0;
    char *text = malloc(deep + 64);
    ck_assert_ptr_nonnull(text);
    len += (size_t)sprintf(text, "nodes:\n  a: {type: abs}\ndescription: ");
    memset(text + len, '[', deep);
    len += deep;
    ezc_graph *g = load_raw("deep.yaml", text, len);
    ck_assert_uint_eq(g->nerrors, 1);
    ck_assert_error(g, 3, "nested more than 64 levels deep");
    ezc_graph_destroy(&g);

    /* 64 levels are fine: root map, then 63 lists */
    len = (size_t)sprintf(text, "nodes: {}\ndescription: ");
    memset(text + len, '[', 63);
    memset(text + len + 63, ']', 63);
    len += 126;
    g = load_raw("ok-depth.yaml", text, len);
    ck_assert_uint_eq(g->nerrors, 0);
    ezc_graph_destroy(&g);
    free(text);

    size_t big = (1u << 20) + 1;
    text = malloc(big);
    ck_assert_ptr_nonnull(text);
    memset(text, '#', big);
    g = load_raw("big.yaml", text, big);
    ck_assert_uint_eq(g->nerrors, 1);
    ck_assert_int_eq(g->errors[0].line, 0);
    ck_assert_str_eq(g->errors[0].msg, "larger than 1048576 bytes: a graph file is at most 1 MiB");
    ezc_graph_destroy(&g);
    free(text);

    /* 1000 values named 100 times: 100,000 values from a 5 kB file */
    text = malloc(16384);
    ck_assert_ptr_nonnull(text);
    len = (size_t)sprintf(text, "description: &v [");
    for (int i = 0; i < 1000; i++)
        len += (size_t)sprintf(text + len, "%s1", i ? "," : "");
    len += (size_t)sprintf(text + len, "]\nnodes:\n  f:\n    type: filter\n    settings:\n"
                                       "      b: [");
    for (int i = 0; i < 100; i++)
        len += (size_t)sprintf(text + len, "%s*v", i ? "," : "");
    len += (size_t)sprintf(text + len, "]\n");
    g = load_raw("alias.yaml", text, len);
    ck_assert_error(g, 6, "node 'f': setting 'b': YAML aliases expand the file");
    ck_assert_uint_eq(g->nnodes, 1);
    ck_assert_uint_eq(g->nodes[0].nsettings, 0);
    ezc_graph_destroy(&g);
    free(text);

    /* 3000 unknown keys: 1000 errors, then one that says the rest are not shown */
    text = malloc(3000 * 16 + 32);
    ck_assert_ptr_nonnull(text);
    len = (size_t)sprintf(text, "nodes: {}\n");
    for (int i = 0; i < 3000; i++)
        len += (size_t)sprintf(text + len, "k%d: 1\n", i);
    g = load_raw("errors.yaml", text, len);
    ck_assert_uint_eq(g->nerrors, EZC_GRAPH_MAX_ERRORS + 1);
    ck_assert_str_eq(g->errors[EZC_GRAPH_MAX_ERRORS].msg,
                     "more than 1000 errors; the rest are not shown");
    ck_assert_int_eq(g->errors[EZC_GRAPH_MAX_ERRORS - 1].line, 1001);
    ezc_graph_destroy(&g);
    free(text);
}
END_TEST

/* A 10,000-node chain checks (the cycle search does not recurse per
 * node), and closing it is one cycle at the closing edge's line. */
START_TEST(t_long_chain)
{
    size_t n = 10000, cap = n * 64 + 64, len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    len += (size_t)snprintf(text + len, cap - len, "nodes:\n  s: {type: counter}\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "  n%zu: {type: abs}\n", i);
    len += (size_t)snprintf(text + len, cap - len, "edges:\n  - s -> n0\n");
    for (size_t i = 1; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "  - n%zu -> n%zu\n", i - 1, i);
    size_t nerr;
    ezc_graph *g = load("chain.yaml", text, &nerr);
    ck_assert_uint_eq(nerr, 0);
    ezc_graph_destroy(&g);
    /* n9999 -> n1 closes a loop of 9999 nodes */
    snprintf(text + len, cap - len, "  - n%zu -> n1\n", n - 1);
    g = load("loop.yaml", text, &nerr);
    ck_assert_uint_eq(nerr, 1);
    ck_assert_error(g, (int)(n + 3 + n + 1), "cycle: n1 -> n2 -> ");
    ezc_graph_destroy(&g);
    free(text);
}
END_TEST

/* Without plugins, a file's plugin types are unchecked, not errors, and
 * nothing is loaded (a plugin that cannot load is not reported); a type
 * in a file that names no plugins is still an error. */
START_TEST(t_no_plugins)
{
    const char *text = "plugins: [missing.so]\n"
                       "nodes:\n"
                       "  s: {type: counter, settings: {chunk: 0}}\n"     /* 3 */
                       "  r: {type: rectify_gain, settings: {gain: 2}}\n" /* 4 */
                       "  p: {type: print}\n"
                       "edges: [s -> r, r -> p]\n";
    char path[256];
    snprintf(path, sizeof path, "%s/np.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ezc_error err;
    ezc_graph *g = ezc_graph_load(path, &err);
    ck_assert_ptr_nonnull(g);
    ezc_registry *r = ezc_registry_new(&err);
    ck_assert_int_eq(ezc_registry_add_builtins(r, &err), 0);
    size_t before = ezc_registry_count(r);
    ck_assert_uint_eq(ezc_graph_check_flags(g, r, EZC_GRAPH_CHECK_NO_PLUGINS), 1);
    ck_assert_error(g, 3, "setting 'chunk' = 0"); /* the rest is still checked */
    ck_assert_int_eq(g->nodes[1].unchecked, 1);
    ck_assert_int_eq(g->nodes[1].role, EZC_ROLE_UNKNOWN);
    ck_assert_int_eq(g->nodes[0].unchecked, 0);
    ck_assert_uint_eq(ezc_registry_count(r), before);
    ezc_graph_destroy(&g);
    const char *typo = "nodes:\n  s: {type: counter}\n  r: {type: rectfy}\nedges: [s -> r]\n";
    g = ezc_graph_parse(typo, strlen(typo), "x.yaml", NULL, &err);
    ck_assert_ptr_nonnull(g);
    ck_assert_uint_eq(ezc_graph_check_flags(g, r, EZC_GRAPH_CHECK_NO_PLUGINS), 1);
    ck_assert_error(g, 3, "unknown transformer type 'rectfy'");
    ezc_graph_destroy(&g);
    ezc_registry_destroy(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("graph");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, t_parse_model);
    tcase_add_test(tc, t_unknown_keys);
    tcase_add_test(tc, t_unknown_type);
    tcase_add_test(tc, t_settings_errors);
    tcase_add_test(tc, t_edge_errors);
    tcase_add_test(tc, t_cycle);
    tcase_add_test(tc, t_structure_errors);
    tcase_add_test(tc, t_yaml_syntax);
    tcase_add_test(tc, t_plugins);
    tcase_add_test(tc, t_node_kinds);
    tcase_add_test(tc, t_endpoint_settings);
    tcase_add_test(tc, t_static_checks);
    tcase_add_test(tc, t_source_ranges);
    tcase_add_test(tc, t_limits);
    tcase_add_test(tc, t_no_plugins);
    tcase_add_test(tc, t_model_features);
    suite_add_tcase(s, tc);
    /* 10,000 nodes: ~1 s in a release build, ~15 s under ASan (a debug
     * build), past Check's default 4 s. */
    TCase *big = tcase_create("long chain");
    tcase_set_timeout(big, 120);
    tcase_add_test(big, t_long_chain);
    suite_add_tcase(s, big);
    return ezc_check_run(s);
}
