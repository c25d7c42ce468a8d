/* core/transformer.c: stub, to be written */
typedef int ezc_stub_2971_t;
