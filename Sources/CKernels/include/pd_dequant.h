#ifndef PD_DEQUANT_H
#define PD_DEQUANT_H

#include <stddef.h>
#include <stdint.h>

/* Dequantization of ggml's block formats to f32, exactly as ggml-quants.c's dequantize_row_*
 * (and the gguf package's numpy port of them) compute it: the same f32 operations in the same
 * order, never fused. `src` holds `count / block_elements` whole blocks, unaligned is fine.
 * `type` is the ggml type number: 0 F32, 1 F16, 30 BF16, 2 Q4_0, 3 Q4_1, 6 Q5_0, 7 Q5_1,
 * 8 Q8_0, 12 Q4_K, 13 Q5_K, 14 Q6_K, 15 Q8_K. Returns 0, or -1 for another type or a count
 * that is not a whole number of blocks (nothing written). */
int pd_dequantize(uint32_t type, const void *src, float *dst, size_t count);

#endif
