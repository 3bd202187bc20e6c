#include "pd_fuzz_driver.h"

/* In libFuzzer (-sanitize=fuzzer): its main without being main, since SwiftPM names each
 * executable's own entry point main. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int pd_fuzz_run(int argc, char **argv, int (*input)(const uint8_t *data, size_t size)) {
    return LLVMFuzzerRunDriver(&argc, &argv, input);
}
