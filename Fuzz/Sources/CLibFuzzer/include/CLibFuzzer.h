#ifndef C_LIBFUZZER_H
#define C_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (libclang_rt.fuzzer, linked by -sanitize=fuzzer): parses libFuzzer's flags from argv and fuzzes
/// `callback`. The targets call it from their own main, because SwiftPM names an executable's entry point itself
/// (`-entry-point-function-name`, `--defsym main=…`), which leaves no room for libFuzzer's main.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
