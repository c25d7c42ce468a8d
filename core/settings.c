/* core/settings.c: stub, to be written */
typedef int ezc_stub_29578_t;
