/* ezc/ezc.h — everything a program using ezc includes. */
#ifndef EZC_EZC_H
#define EZC_EZC_H

#include "error.h"
#include "log.h"
#include "dtype.h"
#include "buffer.h"
#include "array.h"
#include "xp.h"
#include "wire.h"
#include "interrupt.h"
#include "clock.h"
#include "rundir.h"
#include "curve.h"
#include "pub.h"
#include "sub.h"
#include "names.h"
#include "shm_reader.h"
#include "settings.h"
#include "transformer.h"
#include "plugin.h"
#include "registry.h"
#include "builtins.h"
#include "node.h"
#include "synth.h"
#include "npy.h"
#include "graph.h"
#include "graph_run.h"
#include "launcher.h"
#include "recording.h"

#include "ezc/version.h" /* EZC_VERSION_STRING, generated from meson.build */

#endif
