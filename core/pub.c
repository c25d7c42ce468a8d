/* core/pub.c: stub, to be written */
typedef int ezc_stub_29018_t;
