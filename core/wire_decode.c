/* core/wire_decode.c: stub, to be written */
typedef int ezc_stub_21684_t;
