/* core/cpu/reduce.c: stub, to be written */
typedef int ezc_stub_14712_t;
