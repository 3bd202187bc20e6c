/* Q8_0 and Q4_0 matrices in the x8 layout (pd_quant.h): 8 rows' blocks interleaved in 4-byte chunks,
 * so a GEMV broadcasts 4 input bytes and multiplies them with a chunk of 8 rows in one instruction,
 * each lane a row's running integer sum; a block's 8 scales convert in one instruction and the
 * float step is one multiply-add for 8 rows. On the ggml layout the same products spend one
 * reduction and one scale conversion per row and block, and run compute-bound at ~0.45 of the
 * memory bandwidth (Zen 4, 2 cores). */

#include "pd_quant.h"
#include "pd_dequant.h"
#include "pd_kernels.h"

#include <string.h>

#include "pd_qact.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define PD_X86 1
#define PD_AVX2 __attribute__((target("avx2,f16c,fma")))
#endif

/* Bytes of one group's block column: 8 scales and 8 rows of quants. */
static size_t group_block_bytes(uint32_t type) { return type == Q8_0 ? 16 + 8 * 32 : 16 + 8 * 16; }
/* Bytes of the quants of one block of one row. */
static size_t quant_bytes(uint32_t type) { return type == Q8_0 ? 32 : 16; }

int pd_pack_x8(uint32_t type, const void *src, void *dst, size_t rows, size_t cols) {
    if (type != Q8_0 && type != Q4_0) return -1;
    const size_t stride = row_bytes(type, cols), nb = cols / 32, qb = quant_bytes(type), gbb = group_block_bytes(type);
    const size_t block = 2 + qb, groups = rows / 8;
    const uint8_t *in = src;
    uint8_t *out = dst;
    for (size_t g = 0; g < groups; g++) {
        for (size_t b = 0; b < nb; b++) {
            uint8_t *o = out + (g * nb + b) * gbb;
            for (size_t r = 0; r < 8; r++) {
                const uint8_t *blk = in + (8 * g + r) * stride + b * block;
                memcpy(o + 2 * r, blk, 2);
                for (size_t k = 0; k < qb / 4; k++) memcpy(o + 16 + 32 * k + 4 * r, blk + 2 + 4 * k, 4);
            }
        }
    }
    memcpy(out + groups * 8 * stride, in + groups * 8 * stride, (rows - groups * 8) * stride);
    return 0;
}

/* Row r of group g dequantized to f32 in scalar code: one multiply per element, as pd_dequantize. */
static void dequantize_row_x8_scalar(uint32_t type, const uint8_t *in, size_t cols, size_t r, float *y) {
    const size_t nb = cols / 32, qb = quant_bytes(type), gbb = group_block_bytes(type), g = r / 8, i = r % 8;
    for (size_t b = 0; b < nb; b++, y += 32) {
        const uint8_t *o = in + (g * nb + b) * gbb;
        const float d = half_at(o + 2 * i);
        for (size_t k = 0; k < qb / 4; k++) {
            const uint8_t *q = o + 16 + 32 * k + 4 * i;
            for (int j = 0; j < 4; j++) {
                if (type == Q8_0) {
                    y[4 * k + j] = (float)(int8_t)q[j] * d;
                } else {
                    y[4 * k + j] = (float)((q[j] & 0xF) - 8) * d;
                    y[16 + 4 * k + j] = (float)((q[j] >> 4) - 8) * d;
                }
            }
        }
    }
}

#ifdef PD_X86
PD_AVX2 static void dequantize_group_avx2(uint32_t type, const uint8_t *gp, size_t cols, float *dst);
#endif

void pd_dequantize_x8(uint32_t type, const void *src, size_t rows, size_t cols, size_t r0, size_t r1, float *dst) {
    const size_t stride = row_bytes(type, cols), groups = rows / 8;
    const uint8_t *in = src;
    for (size_t r = r0; r < r1;) {
        if (r >= groups * 8) {
            pd_dequantize(type, in + r * stride, dst, cols);
        } else {
#ifdef PD_X86
            if (r % 8 == 0 && r + 8 <= r1 && pd_kernels_level() >= PD_KERNELS_AVX2) {
                dequantize_group_avx2(type, in + (r / 8) * 8 * stride, cols, dst);
                r += 8;
                dst += 8 * cols;
                continue;
            }
#endif
            dequantize_row_x8_scalar(type, in, cols, r, dst);
        }
        r++;
        dst += cols;
    }
}

/* ---- scalar -------------------------------------------------------------------------------- */

/* y[8g .. 8g + 8) from group g, in the same order of operations as the vector code's lanes. */
static void group_scalar(uint32_t type, const uint8_t *gp, const struct act *x, size_t cols, float *y) {
    const size_t gbb = group_block_bytes(type);
    float acc[8] = { 0 };
    for (size_t b = 0; b < cols / 32; b++, gp += gbb) {
        const int8_t *xq = x->qs + 32 * b;
        for (int r = 0; r < 8; r++) {
            int32_t isum = 0;
            if (type == Q8_0) {
                for (int k = 0; k < 8; k++)
                    for (int j = 0; j < 4; j++) isum += (int8_t)gp[16 + 32 * k + 4 * r + j] * xq[4 * k + j];
            } else {
                for (int k = 0; k < 4; k++)
                    for (int j = 0; j < 4; j++) {
                        const uint8_t q = gp[16 + 32 * k + 4 * r + j];
                        isum += (q & 0xF) * xq[4 * k + j] + (q >> 4) * xq[16 + 4 * k + j];
                    }
                isum -= 8 * x->sum[b];
            }
            acc[r] += (float)isum * (half_at(gp + 2 * r) * x->d[b]);
        }
    }
    memcpy(y, acc, sizeof acc);
}

#ifdef PD_X86

/* ---- AVX2 ---------------------------------------------------------------------------------- */

/* Input bytes 4k..4k+3 of block b broadcast to every lane. */
#define X4(xq, k) _mm256_set1_epi32(*(const int32_t *)((xq) + 4 * (k)))

PD_AVX2 static void group_avx2(uint32_t type, const uint8_t *gp, const struct act *x, size_t cols, float *y) {
    const size_t gbb = group_block_bytes(type);
    const __m256i ones = _mm256_set1_epi16(1), low4 = _mm256_set1_epi8(0xF);
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < cols / 32; b++, gp += gbb) {
        const int8_t *xq = x->qs + 32 * b;
        const __m256 scale = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gp)), _mm256_set1_ps(x->d[b]));
        __m256i s0, s1;
        if (type == Q8_0) {
            s0 = s1 = _mm256_setzero_si256();
            for (int k = 0; k < 8; k += 2) {
                const __m256i w0 = _mm256_loadu_si256((const __m256i *)(gp + 16 + 32 * k));
                const __m256i w1 = _mm256_loadu_si256((const __m256i *)(gp + 16 + 32 * (k + 1)));
                s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w0, w0), _mm256_sign_epi8(X4(xq, k), w0)), ones));
                s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w1, w1), _mm256_sign_epi8(X4(xq, k + 1), w1)), ones));
            }
        } else {
            s0 = _mm256_set1_epi32(-8 * x->sum[b]);
            s1 = _mm256_setzero_si256();
            for (int k = 0; k < 4; k++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)(gp + 16 + 32 * k));
                const __m256i lo = _mm256_and_si256(q, low4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
                s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, X4(xq, k)), ones));
                s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, X4(xq, 4 + k)), ones));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(s0, s1)), scale, acc);
    }
    _mm256_storeu_ps(y, acc);
}

/* Eight floats from eight signed bytes, times d (one multiply per element, as the scalar code). */
PD_AVX2 static inline void store_scaled8(float *y, __m128i bytes, __m256 d) {
    _mm256_storeu_ps(y, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes)), d));
}

/* The 8 rows of one group dequantized to f32 (row r at dst + r * cols), the same floats as the
 * scalar code: per block, the 4-byte chunks of the 8 rows transposed so that each row's quants
 * lie in order in one register. */
PD_AVX2 static void dequantize_group_avx2(uint32_t type, const uint8_t *gp, size_t cols, float *dst) {
    const size_t gbb = group_block_bytes(type);
    for (size_t b = 0; b < cols / 32; b++, gp += gbb) {
        const __m256 scales = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gp));
        __m256i rows[8];
        if (type == Q8_0) {
            __m256i c[8], t[8], u[8];
            for (int k = 0; k < 8; k++) c[k] = _mm256_loadu_si256((const __m256i *)(gp + 16 + 32 * k));
            for (int k = 0; k < 8; k += 2) {
                t[k] = _mm256_unpacklo_epi32(c[k], c[k + 1]);
                t[k + 1] = _mm256_unpackhi_epi32(c[k], c[k + 1]);
            }
            for (int k = 0; k < 8; k += 4) {
                u[k] = _mm256_unpacklo_epi64(t[k], t[k + 2]);
                u[k + 1] = _mm256_unpackhi_epi64(t[k], t[k + 2]);
                u[k + 2] = _mm256_unpacklo_epi64(t[k + 1], t[k + 3]);
                u[k + 3] = _mm256_unpackhi_epi64(t[k + 1], t[k + 3]);
            }
            /* u[j] (j < 4): chunks 0-3 of rows j | j + 4; u[4 + j]: chunks 4-7 of the same rows. */
            for (int j = 0; j < 4; j++) {
                rows[j] = _mm256_permute2x128_si256(u[j], u[4 + j], 0x20);
                rows[j + 4] = _mm256_permute2x128_si256(u[j], u[4 + j], 0x31);
            }
        } else {
            __m256i c[4], t[4];
            for (int k = 0; k < 4; k++) c[k] = _mm256_loadu_si256((const __m256i *)(gp + 16 + 32 * k));
            t[0] = _mm256_unpacklo_epi32(c[0], c[1]);
            t[1] = _mm256_unpackhi_epi32(c[0], c[1]);
            t[2] = _mm256_unpacklo_epi32(c[2], c[3]);
            t[3] = _mm256_unpackhi_epi32(c[2], c[3]);
            /* Rows j | j + 4: 16 bytes each, low nibbles elements 0-15, high nibbles 16-31. */
            const __m256i q[4] = { _mm256_unpacklo_epi64(t[0], t[2]), _mm256_unpackhi_epi64(t[0], t[2]),
                                   _mm256_unpacklo_epi64(t[1], t[3]), _mm256_unpackhi_epi64(t[1], t[3]) };
            const __m256i low4 = _mm256_set1_epi8(0xF), eight = _mm256_set1_epi8(8);
            for (int j = 0; j < 4; j++) {
                const __m256i lo = _mm256_sub_epi8(_mm256_and_si256(q[j], low4), eight);
                const __m256i hi = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(q[j], 4), low4), eight);
                rows[j] = _mm256_permute2x128_si256(lo, hi, 0x20);
                rows[j + 4] = _mm256_permute2x128_si256(lo, hi, 0x31);
            }
        }
        for (int r = 0; r < 8; r++) {
            const __m256 d = _mm256_permutevar8x32_ps(scales, _mm256_set1_epi32(r));
            float *y = dst + r * cols + 32 * b;
            const __m128i lo = _mm256_castsi256_si128(rows[r]), hi = _mm256_extracti128_si256(rows[r], 1);
            store_scaled8(y, lo, d);
            store_scaled8(y + 8, _mm_srli_si128(lo, 8), d);
            store_scaled8(y + 16, hi, d);
            store_scaled8(y + 24, _mm_srli_si128(hi, 8), d);
        }
    }
}

/* ---- AVX-512 (VNNI) ------------------------------------------------------------------------ */

#define PD_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,f16c,fma")))

/* One group (8 rows) per call, reading one stream of memory: a version taking two groups at once
 * (their vpdpbusd chains interleaved) read two streams 18 KB apart and ran at 0.80-0.86 of the
 * streaming read where this one runs at 0.98-1.0 (Zen 4, 2 cores, 7B shapes). Q8_0's weights
 * become unsigned by flipping the sign bit (w + 128), the surplus 128 * sum x taken back through
 * the accumulator's start; Q4_0's -8 the same way. */
PD_AVX512 static void group_avx512(uint32_t type, const uint8_t *gp, const struct act *x, size_t cols, float *y) {
    const size_t gbb = group_block_bytes(type);
    const __m256i low4 = _mm256_set1_epi8(0xF), flip = _mm256_set1_epi8((char)0x80);
    const int offset = type == Q8_0 ? -128 : -8;
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < cols / 32; b++, gp += gbb) {
        const int8_t *xq = x->qs + 32 * b;
        const __m256 scale = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)gp)), _mm256_set1_ps(x->d[b]));
        __m256i s0 = _mm256_set1_epi32(offset * x->sum[b]), s1 = _mm256_setzero_si256();
        if (type == Q8_0) {
            for (int k = 0; k < 8; k += 2) {
                s0 = _mm256_dpbusd_epi32(s0, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(gp + 16 + 32 * k)), flip), X4(xq, k));
                s1 = _mm256_dpbusd_epi32(s1, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(gp + 48 + 32 * k)), flip),
                                         X4(xq, k + 1));
            }
        } else {
            for (int k = 0; k < 4; k++) {
                const __m256i q = _mm256_loadu_si256((const __m256i *)(gp + 16 + 32 * k));
                s0 = _mm256_dpbusd_epi32(s0, _mm256_and_si256(q, low4), X4(xq, k));
                s1 = _mm256_dpbusd_epi32(s1, _mm256_and_si256(_mm256_srli_epi16(q, 4), low4), X4(xq, 4 + k));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(s0, s1)), scale, acc);
    }
    _mm256_storeu_ps(y, acc);
}

#endif

/* ---- dispatch ------------------------------------------------------------------------------ */

void pd_qgemv_x8(uint32_t type, const void *w, size_t rows, const void *xq, float *y, size_t cols, size_t r0, size_t r1) {
    const struct act x = act_view(type, xq, cols);
    const size_t groups = rows / 8, group_bytes = cols / 32 * group_block_bytes(type);
    const uint8_t *base = w;
    const size_t g1 = (r1 + 7) / 8 < groups ? (r1 + 7) / 8 : groups;
    size_t g = r0 / 8;
    float tail[8];
#ifdef PD_X86
    const int level = pd_kernels_level();
#endif
    for (; g < g1; g++) {
        float *out = 8 * g + 8 <= r1 ? y + 8 * g : tail;
#ifdef PD_X86
        if (level >= PD_KERNELS_AVX512) {
            group_avx512(type, base + g * group_bytes, &x, cols, out);
        } else if (level >= PD_KERNELS_AVX2) {
            group_avx2(type, base + g * group_bytes, &x, cols, out);
        } else
#endif
            group_scalar(type, base + g * group_bytes, &x, cols, out);
        if (out == tail) memcpy(y + 8 * g, tail, (r1 - 8 * g) * sizeof(float));
    }
    const size_t plain = groups * 8 > r0 ? groups * 8 : r0;
    if (plain < r1) {
        /* The rows after the last whole group, in the ggml layout at the offsets they have there. */
        pd_qgemv(type, base, xq, y, cols, plain, r1);
    }
}

/* Rows per block of pd_qgemv_x8_vectors (see pd_qgemv_vectors). */
static const size_t vector_block_rows = 16;

void pd_qgemv_x8_vectors(uint32_t type, const void *w, size_t rows, const void *xq, size_t xq_stride, size_t vectors, float *y,
                         size_t ldy, size_t cols, size_t r0, size_t r1) {
    for (size_t rb = r0; rb < r1; rb += vector_block_rows) {
        const size_t re = rb + vector_block_rows < r1 ? rb + vector_block_rows : r1;
        for (size_t v = 0; v < vectors; v++) pd_qgemv_x8(type, w, rows, (const char *)xq + v * xq_stride, y + v * ldy, cols, rb, re);
    }
}
