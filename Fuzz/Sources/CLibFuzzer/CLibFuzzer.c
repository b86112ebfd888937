// Declarations only (include/CLibFuzzer.h); the driver itself is in libFuzzer.
#include "CLibFuzzer.h"
