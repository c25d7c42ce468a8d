/* core/cpu/axis_ops.c: stub, to be written */
typedef int ezc_stub_21372_t;
