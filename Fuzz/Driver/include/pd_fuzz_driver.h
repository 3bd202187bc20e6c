#ifndef PD_FUZZ_DRIVER_H
#define PD_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's driver (main's arguments: -max_total_time, corpus folders, ...) over `input`. */
int pd_fuzz_run(int argc, char **argv, int (*input)(const uint8_t *data, size_t size));

#endif
