/* core/zmq_context.c: stub, to be written */
typedef int ezc_stub_10114_t;
