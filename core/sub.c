/* core/sub.c: stub, to be written */
typedef int ezc_stub_24677_t;
