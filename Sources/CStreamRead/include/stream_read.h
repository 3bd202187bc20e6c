#ifndef PD_STREAM_READ_H
#define PD_STREAM_READ_H

#include <stddef.h>

/* The sum of `count` floats at `values`, read once front to back with several independent vector
 * accumulators (so the loop is bound by memory bandwidth, not by the latency of one add chain).
 * The memory-bandwidth yardstick of `pdrop bench`; written in C so that it streams at full speed
 * in debug builds too. */
float pd_stream_sum(const float *values, size_t count);

#endif
