/* core/msgpack_reader.c: stub, to be written */
typedef int ezc_stub_2915_t;
