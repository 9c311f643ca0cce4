/* The one translation unit of the test suite that holds the implementation. */
#define MLCORE_IMPLEMENTATION
#include "../mlcore.h"
