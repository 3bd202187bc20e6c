#ifndef PD_KERNELS_H
#define PD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Small CPU kernels for 16-bit weights, with runtime dispatch: an AVX2 + F16C + FMA path where the
 * CPU has it, a portable scalar path otherwise. Pointers need no particular alignment. */

/* dst[i] = (float) src[i] for IEEE half bits. Exact. */
void pd_f16_to_f32(const uint16_t *src, float *dst, size_t count);

/* dst[i] = (float) src[i] for bfloat16 bits. Exact. */
void pd_bf16_to_f32(const uint16_t *src, float *dst, size_t count);

/* dst[i] = bfloat16 bits of src[i], rounding to nearest even; NaN stays a quiet NaN (src need not
 * be aligned; dst must not be shared with another thread's writes). */
void pd_f32_to_bf16(const float *src, uint16_t *dst, size_t count);

/* y[r] = sum_c W[r, c] * x[c] for rows r in [row_begin, row_end) of a row-major [rows, cols]
 * matrix W of IEEE half (is_bf16 = 0) or bfloat16 (is_bf16 = 1) bits; accumulates in f32. */
void pd_gemv_16(const uint16_t *w, int is_bf16, const float *x, float *y, size_t cols,
                size_t row_begin, size_t row_end);

/* The same for an f32 W. */
void pd_gemv_32(const float *w, const float *x, float *y, size_t cols, size_t row_begin, size_t row_end);

/* x[i] = x[i] / (1 + exp(-x[i])) (SiLU), in place. */
void pd_silu(float *x, size_t count);

/* Numerically stable softmax of row[0..<count] in place; a row whose maximum is -inf becomes zeros. */
void pd_softmax(float *row, size_t count);

/* A decode step's attention for query heads [h0, h1): one query row q (heads * head_dim floats)
 * over `total` cached tokens whose key and value rows (kv_heads * head_dim floats each) start at
 * j * stride in k and v; query head h reads key/value head h / groups. For each head, scores =
 * scale * q_h . k_j, softmax, out_h = sum_j p_j v_j. `scores` is scratch for (h1 - h0) * total
 * floats; only out's heads [h0, h1) are written. */
void pd_attend_heads(const float *q, const float *k, const float *v, float *out, size_t total, size_t head_dim,
                     size_t stride, size_t groups, size_t h0, size_t h1, float scale, float *scores);

/* pd_attend_heads over bfloat16 key/value rows (the BF16 KV store); accumulates in f32. */
void pd_attend_heads_bf16(const float *q, const uint16_t *k, const uint16_t *v, float *out, size_t total, size_t head_dim,
                          size_t stride, size_t groups, size_t h0, size_t h1, float scale, float *scores);

/* 1 when the vector path is in use on this thread (for reports). */
int pd_kernels_vectorized(void);

/* Forcing the portable scalar path (for testing both paths on an AVX2 machine). The environment
 * variable PDROP_FORCE_SCALAR=1, read once, forces it for every thread; a thread's own override
 * (mode -1: follow the environment, 0: vector path where the CPU has it, 1: scalar) takes
 * precedence. Parallel.forEach (Swift) hands the caller's override to its workers. */
void pd_set_thread_force_scalar(int mode);
/* This thread's override as set (-1, 0 or 1). */
int pd_thread_force_scalar(void);
/* 1 when this thread's kernels take the scalar path by force (override, else environment). */
int pd_force_scalar(void);

#endif
