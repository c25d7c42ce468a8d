/* core/cpu/linalg.c: stub, to be written */
typedef int ezc_stub_30294_t;
