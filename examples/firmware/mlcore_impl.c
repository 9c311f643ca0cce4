/* mlcore_impl.c - the one translation unit that compiles mlcore.h's
   implementation for the firmware example. Build it with -DMLC_NO_STDIO
   and -DMLC_NO_MALLOC for a target (no FILE*, no malloc, no free);
   the host test builds it without, to read the .safetensors file. */
#define MLCORE_IMPLEMENTATION
#include "../../mlcore.h"
