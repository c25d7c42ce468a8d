/* core/cpu/fft.c: stub, to be written */
typedef int ezc_stub_7536_t;
