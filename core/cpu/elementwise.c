/* core/cpu/elementwise.c: stub, to be written */
typedef int ezc_stub_26239_t;
