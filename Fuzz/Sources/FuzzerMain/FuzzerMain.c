#include "FuzzerMain.h"

#include <stddef.h>
#include <stdint.h>

// Defined by the fuzz module (Swift, @_cdecl) and by libFuzzer (-sanitize=fuzzer).
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));

int orgsync_fuzzer_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
