#ifndef PD_KERNELS_H
#define PD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Small CPU kernels for 16-bit weights, with runtime dispatch by kernel level (below): AVX-512
 * GEMVs where the CPU has AVX-512 F + BW + VL + VNNI, an AVX2 + F16C + FMA path for the rest (and for every
 * kernel on AVX2-only CPUs), a portable scalar path otherwise. Pointers need no particular
 * alignment. */

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

/* pd_gemv_16 / pd_gemv_32 for `vectors` inputs at once (x: `vectors` rows of `cols` floats; output
 * v goes to y + v * ldy), each output exactly what the one-vector call gives, while each block of
 * weight rows is read from memory once for all vectors (a decode step of several sequences). */
void pd_gemv_16_vectors(const uint16_t *w, int is_bf16, const float *x, size_t vectors, float *y, size_t ldy, size_t cols,
                        size_t row_begin, size_t row_end);
void pd_gemv_32_vectors(const float *w, const float *x, size_t vectors, float *y, size_t ldy, size_t cols,
                        size_t row_begin, size_t row_end);

/* x[i] = x[i] / (1 + exp(-x[i])) (SiLU), in place. */
void pd_silu(float *x, size_t count);

/* Numerically stable softmax of row[0..<count] in place; a row whose maximum is -inf becomes zeros. */
void pd_softmax(float *row, size_t count);

/* A decode step's attention, in spans of the cache that workers take in parallel. One query row q
 * (heads * head_dim floats) over cached tokens [t0, t1) whose key and value rows (kv_heads *
 * head_dim elements each) start at j * stride in k and v; query head h reads key/value head
 * h / groups, with scores scale * q_h . k_j. For each head h, partial + h * (head_dim + 2) gets
 * the largest score m, the sum of exp(score - m) and sum_j exp(score_j - m) v_j (a head whose
 * scores are all -inf: m = -inf, zeros). `scores` is scratch for heads * (t1 - t0) floats. */
void pd_attend_span(const float *q, const float *k, const float *v, size_t t0, size_t t1, size_t heads, size_t head_dim,
                    size_t stride, size_t groups, float scale, float *partial, float *scores);

/* pd_attend_span over bfloat16 key/value rows (the BF16 KV store); accumulates in f32. */
void pd_attend_span_bf16(const float *q, const uint16_t *k, const uint16_t *v, size_t t0, size_t t1, size_t heads,
                         size_t head_dim, size_t stride, size_t groups, float scale, float *partial, float *scores);

/* out[h * head_dim ..] = the softmax attention of every head over all `spans` spans whose partials
 * (heads * (head_dim + 2) floats each, in order) pd_attend_span wrote; a head that saw only -inf
 * scores gets zeros. */
void pd_attend_merge(const float *partials, size_t spans, size_t heads, size_t head_dim, float *out);

/* Kernel levels, in order: each runs on a CPU that has its instructions. At PD_KERNELS_AVX512 the
 * GEMVs (pd_gemv_16, pd_gemv_32; pd_qgemv's Q8_0 and Q4_0 with VNNI, pd_quant.h) take AVX-512 code
 * and every other kernel its AVX2 code. */
#define PD_KERNELS_SCALAR 0
#define PD_KERNELS_AVX2 1
#define PD_KERNELS_AVX512 2

/* The best level this CPU runs. */
int pd_kernels_best_level(void);
/* The level of the environment variable PDROP_KERNELS (scalar, avx2 or avx512), read once and
 * capped at the CPU's best; unset, empty or unknown (one warning on stderr): the CPU's best. */
int pd_kernels_environment_level(void);
/* A thread's own level (-1: follow the environment), capped at the CPU's best when used; for tests
 * of every level on one machine. Parallel.forEach (Swift) hands the caller's to its workers. */
void pd_kernels_set_thread_level(int level);
/* This thread's override as set (-1 or a level). */
int pd_kernels_thread_level(void);
/* The level kernels called from this thread take. */
int pd_kernels_level(void);
/* "scalar", "avx2", "avx512" ("unknown" for another number). */
const char *pd_kernels_level_name(int level);

#endif
