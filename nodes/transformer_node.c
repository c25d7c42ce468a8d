/* nodes/transformer_node.c: stub, to be written */
typedef int ezc_stub_9060_t;
