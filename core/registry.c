/* core/registry.c: stub, to be written */
typedef int ezc_stub_15693_t;
