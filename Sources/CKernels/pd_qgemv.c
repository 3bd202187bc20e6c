/* Decode's GEMV over weights in ggml block formats (Q8_0, Q4_0, Q4_K, Q6_K), the input quantized
 * to int8 once per call as ggml's vec_dot kernels have it (see pd_quant.h), every block's product
 * in integers and one float multiply-add per block (per super-block for the k-quants).
 *
 * Levels (pd_kernels.h): scalar; AVX2 (maddubs/madd for the byte products); AVX-512, whose Q8_0
 * and Q4_0 kernels use VNNI's vpdpbusd (the level requires AVX512_VNNI), the k-quants their AVX2
 * code. Integer sums are exact, so the levels differ only in the order of the float additions. */

#include "pd_quant.h"
#include "pd_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pd_qact.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define PD_X86 1
#endif

size_t pd_qgemv_scratch_bytes(uint32_t type, size_t cols) {
    if (row_bytes(type, 1 << 8) == 0 || cols % block_of(type) != 0) return 0;
    return is_super(type) ? cols + cols / 256 * 4 + cols / 16 * 2 : cols + cols / 32 * 8;
}

void pd_quantize_activations(uint32_t type, const float *x, size_t cols, void *scratch) {
    const size_t block = block_of(type);
    int8_t *qs = scratch;
    float *d = (float *)(qs + cols);
    int32_t *sum = (int32_t *)(d + cols / block);
    int16_t *sum16 = (int16_t *)(d + cols / block);
    for (size_t b = 0; b < cols / block; b++) {
        const float *xb = x + b * block;
        float amax = 0.0f;
        for (size_t j = 0; j < block; j++) amax = fmaxf(amax, fabsf(xb[j]));
        const float scale = amax / 127.0f, inverse = scale != 0.0f ? 1.0f / scale : 0.0f;
        d[b] = scale;
        /* Sums per 16 elements; a block of 32 keeps its whole sum. */
        int32_t total = 0;
        for (size_t j = 0; j < block; j++) {
            const int q = (int)nearbyintf(xb[j] * inverse);
            qs[b * block + j] = (int8_t)q;
            total += q;
            if (block == 256 && j % 16 == 15) {
                sum16[b * 16 + j / 16] = (int16_t)total;
                total = 0;
            }
        }
        if (block == 32) sum[b] = total;
    }
}

/* The 6-bit scales and mins of a Q4_K super-block's 8 sub-blocks (ggml's get_scale_min_k4). */
static void q4_k_scales(const uint8_t *q, uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        m[j] = q[j + 4] & 63;
        sc[j + 4] = (q[j + 8] & 0xF) | ((q[j] >> 6) << 4);
        m[j + 4] = (q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4);
    }
}

/* The mins' share of a Q4_K super-block: sum_j m_j * (sum of the input's sub-block j). */
static int32_t q4_k_min_sum(const uint8_t m[8], const int16_t *sum16) {
    int32_t s = 0;
    for (int j = 0; j < 8; j++) s += (int32_t)m[j] * (sum16[2 * j] + sum16[2 * j + 1]);
    return s;
}

/* The offset's share of a Q6_K super-block: 32 * sum_k sc_k * (sum of the input's 16-group k). */
static int32_t q6_k_offset_sum(const int8_t *sc, const int16_t *sum16) {
    int32_t s = 0;
    for (int k = 0; k < 16; k++) s += (int32_t)sc[k] * sum16[k];
    return 32 * s;
}

/* ---- scalar -------------------------------------------------------------------------------- */

static float row_scalar(uint32_t type, const uint8_t *w, const struct act *x, size_t cols) {
    float total = 0.0f;
    if (type == Q8_0 || type == Q4_0) {
        for (size_t b = 0; b < cols / 32; b++) {
            const int8_t *xq = x->qs + 32 * b;
            int32_t isum = 0;
            if (type == Q8_0) {
                const uint8_t *blk = w + 34 * b;
                for (int j = 0; j < 32; j++) isum += (int8_t)blk[2 + j] * xq[j];
                total += (float)isum * (half_at(blk) * x->d[b]);
            } else {
                const uint8_t *blk = w + 18 * b;
                for (int j = 0; j < 16; j++) isum += (blk[2 + j] & 0xF) * xq[j] + (blk[2 + j] >> 4) * xq[j + 16];
                isum -= 8 * x->sum[b];
                total += (float)isum * (half_at(blk) * x->d[b]);
            }
        }
        return total;
    }
    float mins = 0.0f;
    for (size_t s = 0; s < cols / 256; s++) {
        const int8_t *xq = x->qs + 256 * s;
        const int16_t *sum16 = x->sum16 + 16 * s;
        int32_t isum = 0;
        if (type == Q4_K) {
            const uint8_t *blk = w + 144 * s, *q = blk + 16;
            uint8_t sc[8], m[8];
            q4_k_scales(blk + 4, sc, m);
            for (int i = 0; i < 4; i++) {
                int32_t lo = 0, hi = 0;
                for (int l = 0; l < 32; l++) {
                    lo += (q[32 * i + l] & 0xF) * xq[64 * i + l];
                    hi += (q[32 * i + l] >> 4) * xq[64 * i + 32 + l];
                }
                isum += sc[2 * i] * lo + sc[2 * i + 1] * hi;
            }
            total += (x->d[s] * half_at(blk)) * (float)isum;
            mins += (x->d[s] * half_at(blk + 2)) * (float)q4_k_min_sum(m, sum16);
        } else {
            const uint8_t *blk = w + 210 * s;
            const int8_t *sc = (const int8_t *)(blk + 192);
            for (int h = 0; h < 2; h++) {
                const uint8_t *ql = blk + 64 * h, *qh = blk + 128 + 32 * h;
                const int8_t *xh = xq + 128 * h;
                int32_t group[8] = { 0 };
                for (int l = 0; l < 32; l++) {
                    const int u0 = (ql[l] & 0xF) | ((qh[l] & 3) << 4);
                    const int u1 = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
                    const int u2 = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
                    const int u3 = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
                    group[l / 16] += u0 * xh[l];
                    group[2 + l / 16] += u1 * xh[l + 32];
                    group[4 + l / 16] += u2 * xh[l + 64];
                    group[6 + l / 16] += u3 * xh[l + 96];
                }
                for (int k = 0; k < 8; k++) isum += sc[8 * h + k] * group[k];
            }
            isum -= q6_k_offset_sum(sc, sum16);
            total += (x->d[s] * half_at(blk + 208)) * (float)isum;
        }
    }
    return total - mins;
}

static void gemv_scalar(uint32_t type, const uint8_t *w, const struct act *x, float *y, size_t cols, size_t r0, size_t r1) {
    const size_t stride = row_bytes(type, cols);
    for (size_t r = r0; r < r1; r++) y[r] = row_scalar(type, w + r * stride, x, cols);
}

#ifdef PD_X86

/* ---- AVX2 ---------------------------------------------------------------------------------- */

#define PD_AVX2 __attribute__((target("avx2,f16c,fma")))

PD_AVX2 static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* A block's half scale, broadcast to 8 floats. */
PD_AVX2 static inline __m256 half8(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _mm256_cvtph_ps(_mm_set1_epi16((short)h));
}

/* Q8_0 / Q4_0 rows [r, r + count), the rows sharing each block of x. */
PD_AVX2 static inline __attribute__((always_inline)) void legacy_rows_avx2(uint32_t type, const uint8_t *w, size_t stride,
                                                                            const struct act *x, float *y, size_t cols,
                                                                            size_t r, const int count) {
    const __m256i ones = _mm256_set1_epi16(1), low4 = _mm256_set1_epi8(0xF);
    __m256 acc[4];
    for (int i = 0; i < count; i++) acc[i] = _mm256_setzero_ps();
    for (size_t b = 0; b < cols / 32; b++) {
        const __m256i xv = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * b));
        const __m256 xd = _mm256_set1_ps(x->d[b]);
        const __m256i offset = _mm256_setr_epi32(-8 * x->sum[b], 0, 0, 0, 0, 0, 0, 0);
        for (int i = 0; i < count; i++) {
            const uint8_t *row = w + (r + i) * stride;
            __m256i dot;
            if (type == Q8_0) {
                const uint8_t *blk = row + 34 * b;
                const __m256i wv = _mm256_loadu_si256((const __m256i *)(blk + 2));
                dot = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv)), ones);
                acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(half8(blk), xd), acc[i]);
            } else {
                const uint8_t *blk = row + 18 * b;
                const __m128i q = _mm_loadu_si128((const __m128i *)(blk + 2));
                const __m256i qv = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), low4);
                dot = _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(qv, xv), ones), offset);
                acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(half8(blk), xd), acc[i]);
            }
        }
    }
    for (int i = 0; i < count; i++) y[r + i] = hsum8(acc[i]);
}

/* The 16 int16 products-and-pair-sums of 32 unsigned bytes u with 32 int8 inputs x, then each pair of
 * int16 times `scale` (int16, per lane) summed into int32: a sub-block's scaled integer dot. */
PD_AVX2 static inline __m256i scaled_dot_avx2(__m256i u, const int8_t *x, __m256i scale) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_loadu_si256((const __m256i *)x)), scale);
}

/* A super-block's d and dmin (two halves at p) as floats, by F16C (exact, as pd_half_to_float). */
PD_AVX2 static inline __m128 halves2(const uint8_t *p) {
    uint32_t bits;
    memcpy(&bits, p, 4);
    return _mm_cvtph_ps(_mm_cvtsi32_si128((int)bits));
}

PD_AVX2 static float q4_k_row_avx2(const uint8_t *w, const struct act *x, size_t cols) {
    const __m256i low4 = _mm256_set1_epi8(0xF);
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (size_t s = 0; s < cols / 256; s++) {
        const uint8_t *blk = w + 144 * s, *q = blk + 16;
        const int8_t *xq = x->qs + 256 * s;
        uint8_t sc[8], m[8];
        q4_k_scales(blk + 4, sc, m);
        __m256i isum = _mm256_setzero_si256();
        for (int i = 0; i < 4; i++) {
            const __m256i qv = _mm256_loadu_si256((const __m256i *)(q + 32 * i));
            isum = _mm256_add_epi32(isum, scaled_dot_avx2(_mm256_and_si256(qv, low4), xq + 64 * i, _mm256_set1_epi16(sc[2 * i])));
            isum = _mm256_add_epi32(isum, scaled_dot_avx2(_mm256_and_si256(_mm256_srli_epi16(qv, 4), low4), xq + 64 * i + 32,
                                                          _mm256_set1_epi16(sc[2 * i + 1])));
        }
        /* The mins' share: m_j times the input's sub-block sums (pairs of its 16-sums, which fit
         * int16: at most 32 * 127), summed in integers as q4_k_min_sum does. */
        const __m128i sums16 = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)(x->sum16 + 16 * s)),
                                              _mm_loadu_si128((const __m128i *)(x->sum16 + 16 * s + 8)));
        __m128i minv = _mm_madd_epi16(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)m)), sums16);
        minv = _mm_add_epi32(minv, _mm_shuffle_epi32(minv, 0x4E));
        minv = _mm_add_epi32(minv, _mm_shuffle_epi32(minv, 0xB1));
        const __m128 scales = _mm_mul_ps(halves2(blk), _mm_set1_ps(x->d[s]));
        acc = _mm256_fmadd_ps(_mm256_broadcastss_ps(scales), _mm256_cvtepi32_ps(isum), acc);
        mins += _mm_cvtss_f32(_mm_shuffle_ps(scales, scales, 1)) * (float)_mm_cvtsi128_si32(minv);
    }
    return hsum8(acc) - mins;
}

PD_AVX2 static float q6_k_row_avx2(const uint8_t *w, const struct act *x, size_t cols) {
    const __m256i low4 = _mm256_set1_epi8(0xF), high2 = _mm256_set1_epi8(0x30);
    /* Byte shuffles that spread int16 scale 2k over the low 128-bit lane and 2k + 1 over the high. */
    const __m256i spread[4] = {
        _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3),
        _mm256_setr_epi8(4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7),
        _mm256_setr_epi8(8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11),
        _mm256_setr_epi8(12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14,
                         15, 14, 15, 14, 15),
    };
    __m256 acc = _mm256_setzero_ps();
    for (size_t s = 0; s < cols / 256; s++) {
        const uint8_t *blk = w + 210 * s;
        const int8_t *sc = (const int8_t *)(blk + 192), *xq = x->qs + 256 * s;
        __m256i isum = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = blk + 64 * h, *qh = blk + 128 + 32 * h;
            const int8_t *xh = xq + 128 * h;
            int64_t sc8;
            memcpy(&sc8, sc + 8 * h, 8);
            const __m256i scales = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(_mm_cvtsi64_si128(sc8)));
            const __m256i l1 = _mm256_loadu_si256((const __m256i *)ql), l2 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            const __m256i hb = _mm256_loadu_si256((const __m256i *)qh);
            const __m256i u0 = _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), high2));
            const __m256i u1 = _mm256_or_si256(_mm256_and_si256(l2, low4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), high2));
            const __m256i u2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4), _mm256_and_si256(hb, high2));
            const __m256i u3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l2, 4), low4),
                                               _mm256_and_si256(_mm256_srli_epi16(hb, 2), high2));
            isum = _mm256_add_epi32(isum, scaled_dot_avx2(u0, xh, _mm256_shuffle_epi8(scales, spread[0])));
            isum = _mm256_add_epi32(isum, scaled_dot_avx2(u1, xh + 32, _mm256_shuffle_epi8(scales, spread[1])));
            isum = _mm256_add_epi32(isum, scaled_dot_avx2(u2, xh + 64, _mm256_shuffle_epi8(scales, spread[2])));
            isum = _mm256_add_epi32(isum, scaled_dot_avx2(u3, xh + 96, _mm256_shuffle_epi8(scales, spread[3])));
        }
        isum = _mm256_sub_epi32(isum, _mm256_setr_epi32(q6_k_offset_sum(sc, x->sum16 + 16 * s), 0, 0, 0, 0, 0, 0, 0));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(x->d[s] * half_at(blk + 208)), _mm256_cvtepi32_ps(isum), acc);
    }
    return hsum8(acc);
}

PD_AVX2 static void gemv_avx2(uint32_t type, const uint8_t *w, const struct act *x, float *y, size_t cols, size_t r0, size_t r1) {
    const size_t stride = row_bytes(type, cols);
    size_t r = r0;
    if (type == Q4_K) {
        for (; r < r1; r++) y[r] = q4_k_row_avx2(w + r * stride, x, cols);
    } else if (type == Q6_K) {
        for (; r < r1; r++) y[r] = q6_k_row_avx2(w + r * stride, x, cols);
    } else {
        for (; r + 4 <= r1; r += 4) legacy_rows_avx2(type, w, stride, x, y, cols, r, 4);
        for (; r < r1; r++) legacy_rows_avx2(type, w, stride, x, y, cols, r, 1);
    }
}

/* ---- AVX-512 (VNNI) ------------------------------------------------------------------------ */

#define PD_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,f16c,fma")))

/* Q8_0 / Q4_0 rows [r, r + count) with vpdpbusd (unsigned bytes times signed bytes, summed into the
 * accumulator it starts from): Q4_0's nibbles are unsigned already, the -8 folded into the start
 * (-8 * sum x); Q8_0's int8 weights become unsigned by flipping their sign bit (w + 128), the +128
 * taken back the same way. */
PD_AVX512 static inline __attribute__((always_inline)) void legacy_rows_avx512(uint32_t type, const uint8_t *w, size_t stride,
                                                                                const struct act *x, float *y, size_t cols,
                                                                                size_t r, const int count) {
    const __m256i low4 = _mm256_set1_epi8(0xF), flip = _mm256_set1_epi8((char)0x80);
    const int offset = type == Q8_0 ? -128 : -8;
    __m256 acc[4];
    for (int i = 0; i < count; i++) acc[i] = _mm256_setzero_ps();
    for (size_t b = 0; b < cols / 32; b++) {
        const __m256i xv = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * b));
        const __m256 xd = _mm256_set1_ps(x->d[b]);
        const __m256i start = _mm256_zextsi128_si256(_mm_cvtsi32_si128(offset * x->sum[b]));
        for (int i = 0; i < count; i++) {
            const uint8_t *row = w + (r + i) * stride;
            __m256i u;
            const uint8_t *blk;
            if (type == Q8_0) {
                blk = row + 34 * b;
                u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(blk + 2)), flip);
            } else {
                blk = row + 18 * b;
                const __m128i q = _mm_loadu_si128((const __m128i *)(blk + 2));
                u = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), low4);
            }
            const __m256i dot = _mm256_dpbusd_epi32(start, u, xv);
            acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_mul_ps(half8(blk), xd), acc[i]);
        }
    }
    for (int i = 0; i < count; i++) y[r + i] = hsum8(acc[i]);
}

PD_AVX512 static void gemv_avx512(uint32_t type, const uint8_t *w, const struct act *x, float *y, size_t cols, size_t r0,
                                  size_t r1) {
    if (type == Q4_K || type == Q6_K) {
        gemv_avx2(type, w, x, y, cols, r0, r1);
        return;
    }
    const size_t stride = row_bytes(type, cols);
    size_t r = r0;
    for (; r + 4 <= r1; r += 4) legacy_rows_avx512(type, w, stride, x, y, cols, r, 4);
    for (; r < r1; r++) legacy_rows_avx512(type, w, stride, x, y, cols, r, 1);
}

#endif

/* ---- dispatch ------------------------------------------------------------------------------ */

void pd_qgemv(uint32_t type, const void *w, const void *xq, float *y, size_t cols, size_t r0, size_t r1) {
    const struct act x = act_view(type, xq, cols);
#ifdef PD_X86
    const int level = pd_kernels_level();
    if (level >= PD_KERNELS_AVX512) { gemv_avx512(type, w, &x, y, cols, r0, r1); return; }
    if (level >= PD_KERNELS_AVX2) { gemv_avx2(type, w, &x, y, cols, r0, r1); return; }
#endif
    gemv_scalar(type, w, &x, y, cols, r0, r1);
}

/* Rows per block of pd_qgemv_vectors: 16 rows of a 7B matrix (4,096 to 11,008 weights) are 36-200 KiB,
 * in L2 while every input takes its turn. */
static const size_t vector_block_rows = 16;

void pd_qgemv_vectors(uint32_t type, const void *w, const void *xq, size_t xq_stride, size_t vectors, float *y,
                      size_t ldy, size_t cols, size_t r0, size_t r1) {
    for (size_t rb = r0; rb < r1; rb += vector_block_rows) {
        const size_t re = rb + vector_block_rows < r1 ? rb + vector_block_rows : r1;
        for (size_t v = 0; v < vectors; v++) pd_qgemv(type, w, (const char *)xq + v * xq_stride, y + v * ldy, cols, rb, re);
    }
}
