#ifndef PD_QUANT_H
#define PD_QUANT_H

#include <stddef.h>
#include <stdint.h>

/* Weights in ggml's block formats (ggml-common.h), used as stored: Q8_0 (type 8), Q4_0 (2), Q4_K (12)
 * and Q6_K (14). A row of `cols` weights is cols / 32 (Q8_0, Q4_0) or cols / 256 (Q4_K, Q6_K) whole
 * blocks, rows back to back, as in a GGUF file. Pointers need no alignment. */

/* `count` floats (a multiple of 32) quantized as ggml-quants.c's quantize_row_q8_0_ref and
 * quantize_row_q4_0_ref do (the gguf package's quantize gives the same bytes). */
void pd_quantize_q8_0(const float *x, void *dst, size_t count);
void pd_quantize_q4_0(const float *x, void *dst, size_t count);

/* Decode's products quantize the input vector once to int8, as ggml's vec_dot kernels do, and
 * multiply it with every row in integers, a float scale per block:
 * - against Q8_0 and Q4_0 weights, per block of 32 with an f32 scale d = max|x| / 127;
 * - against Q4_K and Q6_K weights, per block of 256 with one f32 scale and sums per 16 (Q8_K's
 *   role in ggml), so a super-block's sub-scales multiply in integers.
 * Rounding is to nearest even. Each row's result is the same whatever row range or vector count a
 * call covers, at a given kernel level. */

/* Bytes of scratch pd_quantize_activations writes for `cols` inputs against weights of `type`;
 * 0 for a type without a quantized GEMV or a `cols` that is not a whole number of its blocks. */
size_t pd_qgemv_scratch_bytes(uint32_t type, size_t cols);

/* x[0..<cols] quantized for products with weights of `type` into `scratch`
 * (pd_qgemv_scratch_bytes of it). */
void pd_quantize_activations(uint32_t type, const float *x, size_t cols, void *scratch);

/* y[r] = W[r] . x for rows r in [row_begin, row_end) of W (`type` blocks, `cols` per row), x as
 * pd_quantize_activations left it in `xq`. */
void pd_qgemv(uint32_t type, const void *w, const void *xq, float *y, size_t cols, size_t row_begin, size_t row_end);

/* pd_qgemv for `vectors` quantized inputs at once (input v at xq + v * xq_stride bytes, output v at
 * y + v * ldy), each output exactly what the one-vector call gives, while each block of weight rows
 * is read from memory once for all inputs. */
void pd_qgemv_vectors(uint32_t type, const void *w, const void *xq, size_t xq_stride, size_t vectors, float *y,
                      size_t ldy, size_t cols, size_t row_begin, size_t row_end);

/* The GEMV layout of Q8_0 and Q4_0 matrices ("x8"): rows in groups of 8, each group's blocks of one
 * column side by side — the 8 half scales (16 bytes), then the quants in 4-byte chunks, chunk k of
 * rows 0..7 (Q8_0: 8 chunks, elements 4k..4k+3; Q4_0: 4 chunks, whose low nibbles are elements
 * 4k..4k+3 and high nibbles 16+4k..16+4k+3) — so that one vector load holds a chunk of 8 rows and
 * the products accumulate one row per lane. Rows past the last whole group follow in the ggml
 * layout. Same size as the ggml layout. `type` 8 or 2; other types: nothing written, -1. */
int pd_pack_x8(uint32_t type, const void *src, void *dst, size_t rows, size_t cols);

/* Rows [row_begin, row_end) of an x8 matrix (`rows` in all) dequantized to f32, as pd_dequantize
 * gives the ggml layout's rows (`dst`: (row_end - row_begin) * cols floats). */
void pd_dequantize_x8(uint32_t type, const void *src, size_t rows, size_t cols, size_t row_begin, size_t row_end, float *dst);

/* pd_qgemv and pd_qgemv_vectors over an x8 matrix of `rows` rows; the row range must start at a
 * multiple of 8 (any end). */
void pd_qgemv_x8(uint32_t type, const void *w, size_t rows, const void *xq, float *y, size_t cols, size_t row_begin,
                 size_t row_end);
void pd_qgemv_x8_vectors(uint32_t type, const void *w, size_t rows, const void *xq, size_t xq_stride, size_t vectors, float *y,
                         size_t ldy, size_t cols, size_t row_begin, size_t row_end);

#endif
