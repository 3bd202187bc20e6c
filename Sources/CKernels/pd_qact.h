#ifndef PD_QACT_H
#define PD_QACT_H

/* What the quantized GEMVs share: the ggml type numbers, row sizes and the layout of the quantized
 * input (pd_quantize_activations). */

#include <stddef.h>
#include <stdint.h>

#include "pd_half.h"

enum { Q4_0 = 2, Q8_0 = 8, Q4_K = 12, Q6_K = 14 };

/* ---- the quantized input ------------------------------------------------------------------- */

/* Blocks of 32 (for Q8_0, Q4_0): int8 qs[cols], then float d[cols / 32], then int32 sum[cols / 32]
 * (the sum of a block's qs). Super-blocks of 256 (Q4_K, Q6_K): int8 qs[cols], float d[cols / 256],
 * int16 sums[cols / 16] (per 16 elements). */
struct act {
    const int8_t *qs;
    const float *d;
    const int32_t *sum;   /* blocks of 32 */
    const int16_t *sum16; /* super-blocks */
};

static inline int is_super(uint32_t type) { return type == Q4_K || type == Q6_K; }
static inline size_t block_of(uint32_t type) { return is_super(type) ? 256 : 32; }

static inline size_t row_bytes(uint32_t type, size_t cols) {
    switch (type) {
    case Q8_0: return cols / 32 * 34;
    case Q4_0: return cols / 32 * 18;
    case Q4_K: return cols / 256 * 144;
    case Q6_K: return cols / 256 * 210;
    default: return 0;
    }
}

/* The input quantized into `scratch` for `cols` elements. */
static inline struct act act_view(uint32_t type, const void *scratch, size_t cols) {
    const int8_t *qs = scratch;
    struct act a = { qs, (const float *)(qs + cols), NULL, NULL };
    if (is_super(type)) a.sum16 = (const int16_t *)(a.d + cols / 256);
    else a.sum = (const int32_t *)(a.d + cols / 32);
    return a;
}

/* The f32 value of the little-endian half at p. */
static inline float half_at(const uint8_t *p) { return pd_half_to_float((uint16_t)(p[0] | (p[1] << 8))); }

#endif
