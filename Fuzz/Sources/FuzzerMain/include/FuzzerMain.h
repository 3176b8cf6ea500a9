#ifndef ORGSYNC_FUZZER_MAIN_H
#define ORGSYNC_FUZZER_MAIN_H

/// Runs libFuzzer on the executable's `LLVMFuzzerTestOneInput`, with libFuzzer's command line.
///
/// SwiftPM links every executable product with `--defsym main=<Module>_main` (so that tests can link
/// executables), which takes `main` away from libFuzzer. Each fuzz module defines `<Module>_main` and
/// calls this, which hands the process to libFuzzer's own driver.
int orgsync_fuzzer_main(int argc, char **argv);

#endif
