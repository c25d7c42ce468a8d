/* core/wire_encode.c: stub, to be written */
typedef int ezc_stub_29951_t;
