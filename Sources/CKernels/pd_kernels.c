#include "pd_kernels.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_half.h"

#if defined(__x86_64__)
#include <immintrin.h>
#define PD_X86 1
#endif

/* ---- scalar reference paths ------------------------------------------------------------- */

static float bf16_to_float(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* Element i of a possibly unaligned array of 16-bit values. */
static inline uint16_t load16(const uint16_t *p, size_t i) {
    uint16_t v;
    memcpy(&v, (const unsigned char *)p + 2 * i, 2);
    return v;
}

static inline float widen(const uint16_t *p, size_t i, int is_bf16) {
    return is_bf16 ? bf16_to_float(load16(p, i)) : pd_half_to_float(load16(p, i));
}

static void convert_scalar(const uint16_t *src, float *dst, size_t n, int is_bf16) {
    for (size_t i = 0; i < n; i++) dst[i] = widen(src, i, is_bf16);
}

static void gemv_scalar(const uint16_t *w, int is_bf16, const float *x, float *y, size_t cols,
                        size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        float acc = 0;
        for (size_t c = 0; c < cols; c++) acc += widen(w, r * cols + c, is_bf16) * x[c];
        y[r] = acc;
    }
}

/* ---- AVX2 + F16C + FMA ------------------------------------------------------------------ */

#ifdef PD_X86
__attribute__((target("avx2,f16c,fma")))
static inline __m256 load8(const uint16_t *p, int is_bf16) {
    __m128i raw = _mm_loadu_si128((const __m128i *)p);
    if (is_bf16) return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
    return _mm256_cvtph_ps(raw);
}

__attribute__((target("avx2,f16c,fma")))
static void convert_avx2(const uint16_t *src, float *dst, size_t n, int is_bf16) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load8(src + i, is_bf16));
    for (; i < n; i++) dst[i] = widen(src, i, is_bf16);
}

__attribute__((target("avx2,f16c,fma")))
static inline float hsum(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}

/* Element k of a row of f16 (is_f16) or f32 values, and eight of them from k, as floats. */
__attribute__((target("avx2,f16c,fma")))
static inline __attribute__((always_inline)) __m256 row8(const void *row, size_t k, const int is_f16) {
    return is_f16 ? load8((const uint16_t *)row + k, 0) : _mm256_loadu_ps((const float *)row + k);
}

static inline float row_element(const void *row, size_t k, const int is_f16) {
    return is_f16 ? pd_half_to_float(load16(row, k)) : ((const float *)row)[k];
}

/* GEMV over f16 or f32 rows: four rows at a time share each load of x, 16 elements per step, two
 * accumulators per row. No software prefetch: on AMD Zen 3 (2 cores) the hardware prefetchers
 * stream the four rows as well without it. f16 reaches 0.79-0.87 of OpenBLAS f32 sgemv's bytes per
 * second (0.75-0.85 with the previous prefetching loop); f32 reaches 1.06-1.10 of it, so a decode
 * step on f32 weights need not wake OpenBLAS's threads (whose spinning would compete with ours). */
__attribute__((target("avx2,f16c,fma")))
static inline __attribute__((always_inline)) void gemv4_rows(const void *w, const int is_f16, const float *x, float *y,
                                                             size_t cols, size_t r0, size_t r1) {
    const size_t row_bytes = cols * (is_f16 ? 2 : 4);
    size_t r = r0;
    for (; r + 4 <= r1; r += 4) {
        const char *row[4];
        __m256 low[4], high[4];
        for (int i = 0; i < 4; i++) {
            row[i] = (const char *)w + (r + i) * row_bytes;
            low[i] = high[i] = _mm256_setzero_ps();
        }
        size_t k = 0;
        for (; k + 16 <= cols; k += 16) {
            __m256 x0 = _mm256_loadu_ps(x + k), x1 = _mm256_loadu_ps(x + k + 8);
            for (int i = 0; i < 4; i++) {
                low[i] = _mm256_fmadd_ps(row8(row[i], k, is_f16), x0, low[i]);
                high[i] = _mm256_fmadd_ps(row8(row[i], k + 8, is_f16), x1, high[i]);
            }
        }
        for (int i = 0; i < 4; i++) {
            float sum = hsum(_mm256_add_ps(low[i], high[i]));
            for (size_t c = k; c < cols; c++) sum += row_element(row[i], c, is_f16) * x[c];
            y[r + i] = sum;
        }
    }
    for (; r < r1; r++) {
        const char *row = (const char *)w + r * row_bytes;
        float sum = 0;
        for (size_t c = 0; c < cols; c++) sum += row_element(row, c, is_f16) * x[c];
        y[r] = sum;
    }
}

__attribute__((target("avx2,f16c,fma")))
static void gemv_avx2_f16(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    gemv4_rows(w, 1, x, y, cols, r0, r1);
}

__attribute__((target("avx2,f16c,fma")))
static void gemv_avx2_f32(const float *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    gemv4_rows(w, 0, x, y, cols, r0, r1);
}

/* x reordered per block of `block` elements as [x0 x2 … x(block-2)][x1 x3 … x(block-1)], the order
 * in which the bf16 GEMVs meet the elements (see bf16_rows); a last, partial block is ordered as
 * if x were padded with zeros to a whole block, so xp holds cols rounded up to `block` floats. */
static void pair_order(const float *x, float *xp, size_t cols, size_t block) {
    const size_t half = block / 2;
    for (size_t k = 0; k < cols; k += block)
        for (size_t i = 0; i < half; i++) {
            xp[k + i] = k + 2 * i < cols ? x[k + 2 * i] : 0.0f;
            xp[k + half + i] = k + 2 * i + 1 < cols ? x[k + 2 * i + 1] : 0.0f;
        }
}

/* A bf16 GEMV kernel over rows [r0, r1) that reads x in pair order (xp) and, for its scalar tail, as
 * it is (x). */
typedef void (*bf16_gemv_fn)(const uint16_t *w, const float *xp, const float *x, float *y, size_t cols,
                             size_t r0, size_t r1);

/* Runs `gemv` with x put in pair order of `block` on this thread's stack (up to 16384 columns,
 * 64 KB; wider rows use the heap, and without memory the scalar path). */
static void with_pair_order(bf16_gemv_fn gemv, size_t block, const uint16_t *w, const float *x, float *y,
                            size_t cols, size_t r0, size_t r1) {
    enum { stack_columns = 16384 };
    if (cols <= stack_columns) {
        float xp[stack_columns];
        pair_order(x, xp, cols, block);
        gemv(w, xp, x, y, cols, r0, r1);
    } else {
        float *xp = malloc((cols + block) * sizeof(float));
        if (!xp) { gemv_scalar(w, 1, x, y, cols, r0, r1); return; }
        pair_order(x, xp, cols, block);
        gemv(w, xp, x, y, cols, r0, r1);
        free(xp);
    }
}

/* `count` rows of a bf16 GEMV from row r, 16 weights (32 bytes) per load: in each 32-bit lane,
 * the even element becomes an f32 by a left shift of 16 and the odd one by masking off the low
 * half, both exact. That is two integer ops per 16 weights instead of two widening shuffles and
 * two shifts. `xp` is x in pair_order; the rows share each load of it. */
__attribute__((target("avx2,f16c,fma")))
static inline __attribute__((always_inline)) void bf16_rows(const uint16_t *w, const float *xp, const float *x, float *y,
                                                            size_t cols, size_t r, const int count) {
    const __m256i high = _mm256_set1_epi32((int)0xffff0000u);
    const uint16_t *row[8];
    __m256 sum[8];
    for (int i = 0; i < count; i++) { row[i] = w + (r + i) * cols; sum[i] = _mm256_setzero_ps(); }
    size_t k = 0;
    for (; k + 16 <= cols; k += 16) {
        const __m256 even = _mm256_loadu_ps(xp + k), odd = _mm256_loadu_ps(xp + k + 8);
        for (int i = 0; i < count; i++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(row[i] + k));
            sum[i] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(raw, 16)), even, sum[i]);
            sum[i] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(raw, high)), odd, sum[i]);
        }
    }
    for (int i = 0; i < count; i++) {
        float total = hsum(sum[i]);
        for (size_t c = k; c < cols; c++) total += bf16_to_float(load16(row[i], c)) * x[c];
        y[r + i] = total;
    }
}

/* bf16 GEMV, eight rows at a time (one accumulator each, so eleven registers). On AMD Zen 3 with
 * two cores it reaches 0.86-0.94 of OpenBLAS f32 sgemv's bytes per second, against 0.70-0.81 for
 * widening loads with prefetch and 0.79-0.91 for four rows with two accumulators each. */
__attribute__((target("avx2,f16c,fma")))
static void gemv_avx2_bf16(const uint16_t *w, const float *xp, const float *x, float *y, size_t cols,
                           size_t r0, size_t r1) {
    size_t r = r0;
    for (; r + 8 <= r1; r += 8) bf16_rows(w, xp, x, y, cols, r, 8);
    for (; r < r1; r++) bf16_rows(w, xp, x, y, cols, r, 1);
}

/* ---- AVX-512 (F + BW + VL) ---------------------------------------------------------------- */

#define PD_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,f16c,fma")))

/* What a GEMV row holds: bf16 (read against x in pair order), IEEE half, or f32. */
enum row_kind { ROW_BF16, ROW_F16, ROW_F32 };

static inline size_t row_kind_bytes(const enum row_kind kind) { return kind == ROW_F32 ? 4 : 2; }

/* The lanes [0, n) of 16 (all for n >= 16, none for n <= 0). */
static inline __mmask16 lanes16(ptrdiff_t n) {
    return n >= 16 ? (__mmask16)0xffff : n <= 0 ? 0 : (__mmask16)((1u << n) - 1);
}

/* The 32 elements of `row` from element k as floats, exactly, in two vectors that meet x's two
 * halves `xa` and `xb` (below). Only `n` elements (1 <= n <= 32) exist when !full: the rest read as
 * zeros, through masked loads that touch no byte past them. bf16 takes one 64-byte load: each
 * 32-bit lane's even element becomes an f32 by a left shift of 16, its odd one by masking off the
 * low half (so x is in pair order of 32); f16 widens two 32-byte loads with vcvtph2ps. */
PD_AVX512 static inline __attribute__((always_inline)) void row32(const void *row, size_t k, const enum row_kind kind,
                                                                   const int full, size_t n, __m512 *a, __m512 *b) {
    const ptrdiff_t left = (ptrdiff_t)n;
    if (kind == ROW_BF16) {
        const uint16_t *p = (const uint16_t *)row + k;
        const __mmask32 lanes = left >= 32 ? 0xffffffffu : (__mmask32)((1ull << left) - 1);
        const __m512i raw = full ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi16(lanes, p);
        *a = _mm512_castsi512_ps(_mm512_slli_epi32(raw, 16));
        *b = _mm512_castsi512_ps(_mm512_and_si512(raw, _mm512_set1_epi32((int)0xffff0000u)));
    } else if (kind == ROW_F16) {
        const uint16_t *p = (const uint16_t *)row + k;
        *a = _mm512_cvtph_ps(full ? _mm256_loadu_si256((const __m256i *)p) : _mm256_maskz_loadu_epi16(lanes16(left), p));
        *b = _mm512_cvtph_ps(full ? _mm256_loadu_si256((const __m256i *)(p + 16))
                                  : _mm256_maskz_loadu_epi16(lanes16(left - 16), p + 16));
    } else {
        const float *p = (const float *)row + k;
        *a = full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(lanes16(left), p);
        *b = full ? _mm512_loadu_ps(p + 16) : _mm512_maskz_loadu_ps(lanes16(left - 16), p + 16);
    }
}

/* x's 32 elements from k as the two vectors row32's meet: xv is x in pair order (padded with zeros
 * to whole blocks) for bf16, x itself otherwise, masked to its n elements when !full. */
PD_AVX512 static inline __attribute__((always_inline)) void x32(const float *xv, size_t k, const enum row_kind kind,
                                                                 const int full, size_t n, __m512 *a, __m512 *b) {
    if (full || kind == ROW_BF16) {
        *a = _mm512_loadu_ps(xv + k);
        *b = _mm512_loadu_ps(xv + k + 16);
    } else {
        *a = _mm512_maskz_loadu_ps(lanes16((ptrdiff_t)n), xv + k);
        *b = _mm512_maskz_loadu_ps(lanes16((ptrdiff_t)n - 16), xv + k + 16);
    }
}

/* y[r + i] for `count` rows from r, 32 elements per step with two accumulators per row, the rows
 * sharing each load of x; the last partial block by masked loads, so no scalar tail. */
PD_AVX512 static inline __attribute__((always_inline)) void rows512(const void *w, const enum row_kind kind, const float *xv,
                                                                     float *y, size_t cols, size_t r, const int count) {
    const char *row[8];
    __m512 sa[8], sb[8];
    for (int i = 0; i < count; i++) {
        row[i] = (const char *)w + (r + i) * cols * row_kind_bytes(kind);
        sa[i] = sb[i] = _mm512_setzero_ps();
    }
    for (size_t k = 0; k < cols; k += 32) {
        const int full = k + 32 <= cols;
        __m512 xa, xb, a, b;
        x32(xv, k, kind, full, cols - k, &xa, &xb);
        for (int i = 0; i < count; i++) {
            row32(row[i], k, kind, full, cols - k, &a, &b);
            sa[i] = _mm512_fmadd_ps(a, xa, sa[i]);
            sb[i] = _mm512_fmadd_ps(b, xb, sb[i]);
        }
    }
    for (int i = 0; i < count; i++) y[r + i] = _mm512_reduce_add_ps(_mm512_add_ps(sa[i], sb[i]));
}

/* GEMV rows [r0, r1), eight rows at a time (sixteen accumulators and x's two vectors in 32
 * registers). On AMD EPYC (Zen 4, 2 cores) over 7B layer shapes, eight rows beat one, two or four
 * (0.72-0.76 of the streaming read on 4 KiB pages, against 0.5-0.6); four accumulators per row,
 * sixteen rows with one, and software prefetch 512-2048 bytes ahead did not help. */
PD_AVX512 static inline __attribute__((always_inline)) void gemv512(const void *w, const enum row_kind kind, const float *xv,
                                                                     float *y, size_t cols, size_t r0, size_t r1) {
    size_t r = r0;
    for (; r + 8 <= r1; r += 8) rows512(w, kind, xv, y, cols, r, 8);
    for (; r < r1; r++) rows512(w, kind, xv, y, cols, r, 1);
}

PD_AVX512 static void gemv_avx512_bf16(const uint16_t *w, const float *xp, const float *x, float *y, size_t cols,
                                       size_t r0, size_t r1) {
    (void)x; /* no scalar tail */
    gemv512(w, ROW_BF16, xp, y, cols, r0, r1);
}

PD_AVX512 static void gemv_avx512_f16(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    gemv512(w, ROW_F16, x, y, cols, r0, r1);
}

PD_AVX512 static void gemv_avx512_f32(const float *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    gemv512(w, ROW_F32, x, y, cols, r0, r1);
}

/* exp(x) for 8 floats: Cephes' polynomial after range reduction by ln 2 (relative error ~1e-7),
 * inputs clamped to ±88.38 so the result stays finite. */
__attribute__((target("avx2,f16c,fma")))
static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f)), _mm256_set1_ps(88.3762626647949f));
    __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(exponent));
}

__attribute__((target("avx2,f16c,fma")))
static void silu_avx2(float *x, size_t n) {
    size_t i = 0;
    const __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), v));
        _mm256_storeu_ps(x + i, _mm256_div_ps(v, _mm256_add_ps(one, e)));
    }
    for (; i < n; i++) x[i] = x[i] / (1.0f + expf(-x[i]));
}

/* row[i] = exp(row[i] - max_value) in place; returns their sum. */
__attribute__((target("avx2,f16c,fma")))
static float exp_sum_avx2(float *row, size_t n, float max_value) {
    size_t i = 0;
    __m256 sum8 = _mm256_setzero_ps();
    const __m256 m = _mm256_set1_ps(max_value);
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + i), m));
        _mm256_storeu_ps(row + i, e);
        sum8 = _mm256_add_ps(sum8, e);
    }
    float sum = hsum(sum8);
    for (; i < n; i++) { row[i] = expf(row[i] - max_value); sum += row[i]; }
    return sum;
}

__attribute__((target("avx2,f16c,fma")))
static void softmax_avx2(float *row, size_t n, float max_value) {
    const float sum = exp_sum_avx2(row, n, max_value);
    const __m256 inv = _mm256_set1_ps(1.0f / sum);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(row + i, _mm256_mul_ps(_mm256_loadu_ps(row + i), inv));
    for (; i < n; i++) row[i] *= 1.0f / sum;
}

/* Sixteen floats to bf16 bits, rounding to nearest even in integer arithmetic (bit-identical to
 * the scalar f32_to_bf16; a NaN stays a quiet NaN), packed in order. */
__attribute__((target("avx2,f16c,fma")))
static inline __m256i bf16x16(const float *src) {
    const __m256i magnitude = _mm256_set1_epi32(0x7fffffff), infinity = _mm256_set1_epi32(0x7f800000);
    __m256i half[2];
    for (int i = 0; i < 2; i++) {
        const __m256i bits = _mm256_loadu_si256((const __m256i *)(src + 8 * i));
        const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
        const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(bits, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff))), 16);
        const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x40));
        const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(bits, magnitude), infinity);
        half[i] = _mm256_blendv_epi8(rounded, quiet, nan);
    }
    return _mm256_permute4x64_epi64(_mm256_packus_epi32(half[0], half[1]), 0xD8);
}

__attribute__((target("avx2,f16c,fma")))
static void f32_to_bf16_avx2(const float *src, uint16_t *dst, size_t n);

#endif

/* float -> bfloat16 bits, rounding to nearest even; NaN becomes a quiet NaN. */
static inline uint16_t f32_to_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);
    return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1)) >> 16);
}

#ifdef PD_X86
__attribute__((target("avx2,f16c,fma")))
static void f32_to_bf16_avx2(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm256_storeu_si256((__m256i *)(dst + i), bf16x16(src + i));
    for (; i < n; i++) { const uint16_t bits = f32_to_bf16(src[i]); memcpy(dst + i, &bits, 2); }
}
#endif

/* ---- rows of the KV cache: f32 or bfloat16, widened as they are read ------------------------ */

static inline float f32_value(float x) { return x; }

static inline float bf16_value(uint16_t bits) {
    union { uint32_t u; float f; } v = { .u = (uint32_t)bits << 16 };
    return v.f;
}

/* Over rows of element type T read with VALUE: dot_SUFFIX(a, b, n) = sum a[i] * b[i];
 * dot4_SUFFIX(a, b, stride, n, out) the same for the four rows b + r * stride into out[r];
 * axpy4_SUFFIX(y, p, x, stride, n): y[i] += sum_r p[r] * x[r * stride + i]; axpy_SUFFIX one row. */
#define ROW_OPS_SCALAR(SUFFIX, T, VALUE)                                                                 \
    static inline float dot_##SUFFIX(const float *a, const T *b, size_t n) {                             \
        float dot = 0;                                                                                   \
        for (size_t i = 0; i < n; i++) dot += a[i] * VALUE(b[i]);                                        \
        return dot;                                                                                      \
    }                                                                                                    \
    static inline void dot4_##SUFFIX(const float *a, const T *b, size_t stride, size_t n, float *out) {  \
        for (size_t r = 0; r < 4; r++) out[r] = dot_##SUFFIX(a, b + r * stride, n);                      \
    }                                                                                                    \
    static inline void axpy_##SUFFIX(float *y, float a, const T *x, size_t n) {                          \
        for (size_t i = 0; i < n; i++) y[i] += a * VALUE(x[i]);                                          \
    }                                                                                                    \
    static inline void axpy4_##SUFFIX(float *y, const float *p, const T *x, size_t stride, size_t n) {   \
        for (size_t r = 0; r < 4; r++) axpy_##SUFFIX(y, p[r], x + r * stride, n);                        \
    }

ROW_OPS_SCALAR(scalar, float, f32_value)
ROW_OPS_SCALAR(bf16_scalar, uint16_t, bf16_value)

#ifdef PD_X86
__attribute__((target("avx2,f16c,fma")))
static inline __m256 load_f32x8(const float *p) { return _mm256_loadu_ps(p); }

__attribute__((target("avx2,f16c,fma")))
static inline __m256 load_bf16x8(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

/* The same eight lanes at a time (LOAD8 widens eight elements), the tail with VALUE. The four-row
 * forms keep four independent accumulator chains and read a and y once for four rows. */
#define ROW_OPS_AVX2(SUFFIX, T, VALUE, LOAD8)                                                            \
    __attribute__((target("avx2,f16c,fma")))                                                             \
    static inline float dot_##SUFFIX(const float *a, const T *b, size_t n) {                             \
        __m256 s = _mm256_setzero_ps();                                                                  \
        size_t i = 0;                                                                                    \
        for (; i + 8 <= n; i += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), LOAD8(b + i), s);         \
        float dot = hsum(s);                                                                             \
        for (; i < n; i++) dot += a[i] * VALUE(b[i]);                                                    \
        return dot;                                                                                      \
    }                                                                                                    \
    __attribute__((target("avx2,f16c,fma")))                                                             \
    static inline void dot4_##SUFFIX(const float *a, const T *b, size_t stride, size_t n, float *out) {  \
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                                      \
        size_t i = 0;                                                                                    \
        for (; i + 8 <= n; i += 8) {                                                                     \
            const __m256 x = _mm256_loadu_ps(a + i);                                                     \
            s0 = _mm256_fmadd_ps(x, LOAD8(b + i), s0);                                                   \
            s1 = _mm256_fmadd_ps(x, LOAD8(b + stride + i), s1);                                          \
            s2 = _mm256_fmadd_ps(x, LOAD8(b + 2 * stride + i), s2);                                      \
            s3 = _mm256_fmadd_ps(x, LOAD8(b + 3 * stride + i), s3);                                      \
        }                                                                                                \
        out[0] = hsum(s0); out[1] = hsum(s1); out[2] = hsum(s2); out[3] = hsum(s3);                      \
        for (; i < n; i++)                                                                               \
            for (size_t r = 0; r < 4; r++) out[r] += a[i] * VALUE(b[r * stride + i]);                    \
    }                                                                                                    \
    __attribute__((target("avx2,f16c,fma")))                                                             \
    static inline void axpy_##SUFFIX(float *y, float a, const T *x, size_t n) {                          \
        const __m256 p = _mm256_set1_ps(a);                                                              \
        size_t i = 0;                                                                                    \
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(p, LOAD8(x + i), _mm256_loadu_ps(y + i))); \
        for (; i < n; i++) y[i] += a * VALUE(x[i]);                                                      \
    }                                                                                                    \
    __attribute__((target("avx2,f16c,fma")))                                                             \
    static inline void axpy4_##SUFFIX(float *y, const float *p, const T *x, size_t stride, size_t n) {   \
        const __m256 p0 = _mm256_set1_ps(p[0]), p1 = _mm256_set1_ps(p[1]), p2 = _mm256_set1_ps(p[2]),   \
                     p3 = _mm256_set1_ps(p[3]);                                                          \
        size_t i = 0;                                                                                    \
        for (; i + 8 <= n; i += 8) {                                                                     \
            __m256 a = _mm256_fmadd_ps(p0, LOAD8(x + i), _mm256_loadu_ps(y + i));                        \
            const __m256 b = _mm256_fmadd_ps(p2, LOAD8(x + 2 * stride + i), _mm256_mul_ps(p3, LOAD8(x + 3 * stride + i))); \
            a = _mm256_fmadd_ps(p1, LOAD8(x + stride + i), a);                                           \
            _mm256_storeu_ps(y + i, _mm256_add_ps(a, b));                                                \
        }                                                                                                \
        for (; i < n; i++)                                                                               \
            y[i] += p[0] * VALUE(x[i]) + p[1] * VALUE(x[stride + i]) + p[2] * VALUE(x[2 * stride + i])   \
                    + p[3] * VALUE(x[3 * stride + i]);                                                   \
    }

ROW_OPS_AVX2(avx2, float, f32_value, load_f32x8)
ROW_OPS_AVX2(bf16_avx2, uint16_t, bf16_value, load_bf16x8)
#endif

static float exp_sum_scalar(float *row, size_t n, float max_value) {
    float sum = 0;
    for (size_t i = 0; i < n; i++) { row[i] = expf(row[i] - max_value); sum += row[i]; }
    return sum;
}

/* The decode attention of every query head over the cached tokens [t0, t1), walking the cache one
 * whole token row at a time so that each worker streams its own stretch of memory in order (a
 * split by heads would have each read part of every row, which the prefetchers serve at half
 * speed). Per head h, into partial + h * (head_dim + 2): the largest score m, the sum of
 * exp(score - m) and the values weighted by those terms; pd_attend_merge combines the spans. */
#define ATTEND_SPAN(T, SUFFIX, EXP_SUM)                                                                  \
    const size_t n = t1 - t0;                                                                            \
    float four[4];                                                                                       \
    for (size_t j = t0; j < t1;) {                                                                       \
        const T *key = k + j * stride;                                                                   \
        const int block = j + 4 <= t1;                                                                   \
        for (size_t h = 0; h < heads; h++) {                                                             \
            float *score = scores + h * n + j - t0;                                                      \
            if (block) {                                                                                 \
                dot4_##SUFFIX(q + h * head_dim, key + (h / groups) * head_dim, stride, head_dim, four);  \
                for (int r = 0; r < 4; r++) score[r] = four[r] * scale;                                  \
            } else {                                                                                     \
                score[0] = dot_##SUFFIX(q + h * head_dim, key + (h / groups) * head_dim, head_dim) * scale; \
            }                                                                                            \
        }                                                                                                \
        j += block ? 4 : 1;                                                                              \
    }                                                                                                    \
    for (size_t h = 0; h < heads; h++) {                                                                 \
        float *row = scores + h * n, *p = partial + h * (head_dim + 2), top = -INFINITY;                  \
        for (size_t i = 0; i < n; i++) if (row[i] > top) top = row[i];                                   \
        p[0] = top;                                                                                      \
        if (top == -INFINITY) { memset(row, 0, n * sizeof(float)); p[1] = 0; }                           \
        else p[1] = EXP_SUM(row, n, top);                                                                \
        memset(p + 2, 0, head_dim * sizeof(float));                                                      \
    }                                                                                                    \
    for (size_t j = t0; j < t1;) {                                                                       \
        const T *value = v + j * stride;                                                                 \
        const int block = j + 4 <= t1;                                                                   \
        for (size_t h = 0; h < heads; h++) {                                                             \
            float *out = partial + h * (head_dim + 2) + 2;                                               \
            const float *weight = scores + h * n + j - t0;                                               \
            if (block) axpy4_##SUFFIX(out, weight, value + (h / groups) * head_dim, stride, head_dim);   \
            else axpy_##SUFFIX(out, weight[0], value + (h / groups) * head_dim, head_dim);               \
        }                                                                                                \
        j += block ? 4 : 1;                                                                              \
    }

/* attend_span_SUFFIX: ATTEND_SPAN over key/value rows of T with SUFFIX's row operations and EXP_SUM. */
#define ATTEND_FUNCTION(SUFFIX, T, EXP_SUM, ATTRIBUTES)                                                  \
    ATTRIBUTES static void attend_span_##SUFFIX(const float *q, const T *k, const T *v, size_t t0, size_t t1, \
                                                size_t heads, size_t head_dim, size_t stride, size_t groups, \
                                                float scale, float *partial, float *scores) {            \
        ATTEND_SPAN(T, SUFFIX, EXP_SUM)                                             \
    }

ATTEND_FUNCTION(scalar, float, exp_sum_scalar, )
ATTEND_FUNCTION(bf16_scalar, uint16_t, exp_sum_scalar, )

#ifdef PD_X86
ATTEND_FUNCTION(avx2, float, exp_sum_avx2, __attribute__((target("avx2,f16c,fma"))))
ATTEND_FUNCTION(bf16_avx2, uint16_t, exp_sum_avx2, __attribute__((target("avx2,f16c,fma"))))

/* Calls VECTOR where the AVX2 path is in use, SCALAR otherwise (used after has_avx2 below). */
#define VECTOR_OR_SCALAR(VECTOR, SCALAR, ...) do { if (has_avx2()) VECTOR(__VA_ARGS__); else SCALAR(__VA_ARGS__); } while (0)

#else
#define VECTOR_OR_SCALAR(VECTOR, SCALAR, ...) SCALAR(__VA_ARGS__)
#endif

/* ---- kernel levels -------------------------------------------------------------------------- */

/* The best level this CPU runs, found once. AVX-512 needs F, BW (16-bit masked loads), VL and VNNI
 * (the quantized GEMVs' byte products) besides the AVX2 level's AVX2 + FMA + F16C (its other
 * kernels are the AVX2 ones). */
static int best_level = PD_KERNELS_SCALAR;
static pthread_once_t best_level_once = PTHREAD_ONCE_INIT;

static void find_best_level(void) {
#ifdef PD_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
        best_level = PD_KERNELS_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512vnni"))
            best_level = PD_KERNELS_AVX512;
    }
#endif
}

int pd_kernels_best_level(void) {
    pthread_once(&best_level_once, find_best_level);
    return best_level;
}

static const char *const level_names[] = { "scalar", "avx2", "avx512" };

const char *pd_kernels_level_name(int level) {
    return level >= PD_KERNELS_SCALAR && level <= PD_KERNELS_AVX512 ? level_names[level] : "unknown";
}

static int clamp_to_cpu(int level) {
    const int best = pd_kernels_best_level();
    return level < PD_KERNELS_SCALAR ? PD_KERNELS_SCALAR : level > best ? best : level;
}

/* PDROP_KERNELS, read once (pthread_once, so that threads asking first agree and an unknown
 * value is reported once): scalar, avx2 or avx512, capped at the CPU's best; unset or empty means
 * the best, and so does an unknown value (after one line on stderr). */
static int environment_level = PD_KERNELS_SCALAR;
static pthread_once_t environment_level_once = PTHREAD_ONCE_INIT;

static void read_environment_level(void) {
    const char *value = getenv("PDROP_KERNELS");
    int level = PD_KERNELS_AVX512;
    if (value != NULL && value[0] != '\0') {
        int known = 0;
        for (int i = PD_KERNELS_SCALAR; i <= PD_KERNELS_AVX512; i++)
            if (strcmp(value, level_names[i]) == 0) { level = i; known = 1; }
        if (!known) fprintf(stderr, "pdrop: PDROP_KERNELS=%s is not scalar, avx2 or avx512; using the best level\n", value);
    }
    environment_level = clamp_to_cpu(level);
}

int pd_kernels_environment_level(void) {
    pthread_once(&environment_level_once, read_environment_level);
    return environment_level;
}

/* This thread's override: -1 follows the environment, else a level (capped at the CPU's best). */
static _Thread_local int thread_level = -1;

void pd_kernels_set_thread_level(int level) { thread_level = level < 0 ? -1 : level; }

int pd_kernels_thread_level(void) { return thread_level; }

int pd_kernels_level(void) {
    return thread_level < 0 ? pd_kernels_environment_level() : clamp_to_cpu(thread_level);
}

static int has_avx2(void) { return pd_kernels_level() >= PD_KERNELS_AVX2; }

#ifdef PD_X86
static int has_avx512(void) { return pd_kernels_level() >= PD_KERNELS_AVX512; }
#endif

/* ---- dispatch ----------------------------------------------------------------------------- */

void pd_silu(float *x, size_t count) {
#ifdef PD_X86
    if (has_avx2()) { silu_avx2(x, count); return; }
#endif
    for (size_t i = 0; i < count; i++) x[i] = x[i] / (1.0f + expf(-x[i]));
}

void pd_attend_span(const float *q, const float *k, const float *v, size_t t0, size_t t1, size_t heads, size_t head_dim,
                    size_t stride, size_t groups, float scale, float *partial, float *scores) {
    VECTOR_OR_SCALAR(attend_span_avx2, attend_span_scalar, q, k, v, t0, t1, heads, head_dim, stride, groups, scale, partial,
                     scores);
}

void pd_attend_span_bf16(const float *q, const uint16_t *k, const uint16_t *v, size_t t0, size_t t1, size_t heads,
                         size_t head_dim, size_t stride, size_t groups, float scale, float *partial, float *scores) {
    VECTOR_OR_SCALAR(attend_span_bf16_avx2, attend_span_bf16_scalar, q, k, v, t0, t1, heads, head_dim, stride, groups, scale,
                     partial, scores);
}

void pd_attend_merge(const float *partials, size_t spans, size_t heads, size_t head_dim, float *out) {
    const size_t per_span = heads * (head_dim + 2);
    for (size_t h = 0; h < heads; h++) {
        float *o = out + h * head_dim, top = -INFINITY, sum = 0;
        for (size_t s = 0; s < spans; s++) {
            const float m = partials[s * per_span + h * (head_dim + 2)];
            if (m > top) top = m;
        }
        memset(o, 0, head_dim * sizeof(float));
        if (top == -INFINITY) continue;
        for (size_t s = 0; s < spans; s++) {
            const float *p = partials + s * per_span + h * (head_dim + 2);
            if (p[0] == -INFINITY) continue;
            const float weight = expf(p[0] - top);
            sum += weight * p[1];
            for (size_t d = 0; d < head_dim; d++) o[d] += weight * p[2 + d];
        }
        const float inverse = 1.0f / sum;
        for (size_t d = 0; d < head_dim; d++) o[d] *= inverse;
    }
}

void pd_softmax(float *row, size_t count) {
    if (count == 0) return;
    float max_value = -INFINITY;
    for (size_t i = 0; i < count; i++) if (row[i] > max_value) max_value = row[i];
    if (max_value == -INFINITY) { memset(row, 0, count * sizeof(float)); return; }
#ifdef PD_X86
    if (has_avx2()) { softmax_avx2(row, count, max_value); return; }
#endif
    const float sum = exp_sum_scalar(row, count, max_value);
    for (size_t i = 0; i < count; i++) row[i] *= 1.0f / sum;
}

void pd_f16_to_f32(const uint16_t *src, float *dst, size_t count) {
#ifdef PD_X86
    if (has_avx2()) { convert_avx2(src, dst, count, 0); return; }
#endif
    convert_scalar(src, dst, count, 0);
}

void pd_bf16_to_f32(const uint16_t *src, float *dst, size_t count) {
#ifdef PD_X86
    if (has_avx2()) { convert_avx2(src, dst, count, 1); return; }
#endif
    convert_scalar(src, dst, count, 1);
}

void pd_f32_to_bf16(const float *src, uint16_t *dst, size_t count) {
#ifdef PD_X86
    if (has_avx2()) { f32_to_bf16_avx2(src, dst, count); return; }
#endif
    for (size_t i = 0; i < count; i++) { const uint16_t bits = f32_to_bf16(src[i]); memcpy(dst + i, &bits, 2); }
}

void pd_gemv_32(const float *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
#ifdef PD_X86
    if (has_avx512()) { gemv_avx512_f32(w, x, y, cols, r0, r1); return; }
    if (has_avx2()) { gemv_avx2_f32(w, x, y, cols, r0, r1); return; }
#endif
    for (size_t r = r0; r < r1; r++) {
        float sum = 0;
        for (size_t c = 0; c < cols; c++) sum += w[r * cols + c] * x[c];
        y[r] = sum;
    }
}

void pd_gemv_16(const uint16_t *w, int is_bf16, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
#ifdef PD_X86
    if (has_avx512()) {
        if (is_bf16) with_pair_order(gemv_avx512_bf16, 32, w, x, y, cols, r0, r1); else gemv_avx512_f16(w, x, y, cols, r0, r1);
        return;
    }
    if (has_avx2()) {
        if (is_bf16) with_pair_order(gemv_avx2_bf16, 16, w, x, y, cols, r0, r1); else gemv_avx2_f16(w, x, y, cols, r0, r1);
        return;
    }
#endif
    gemv_scalar(w, is_bf16, x, y, cols, r0, r1);
}

/* ---- several input vectors (a decode step of several sequences) ----------------------------- */

/* Weight rows per block: 64 rows of 4096 16-bit weights are 512 KB, which stay in a core's L2
 * while every vector passes over them. Blocks start at r0 + a multiple of 64, so the kernels group
 * rows in eights exactly as one call over [r0, r1) does. */
enum { vector_block_rows = 64 };

void pd_gemv_32_vectors(const float *w, const float *x, size_t vectors, float *y, size_t ldy, size_t cols,
                        size_t r0, size_t r1) {
    for (size_t rb = r0; rb < r1; rb += vector_block_rows) {
        const size_t re = rb + vector_block_rows < r1 ? rb + vector_block_rows : r1;
        for (size_t v = 0; v < vectors; v++) pd_gemv_32(w, x + v * cols, y + v * ldy, cols, rb, re);
    }
}

void pd_gemv_16_vectors(const uint16_t *w, int is_bf16, const float *x, size_t vectors, float *y, size_t ldy, size_t cols,
                        size_t r0, size_t r1) {
#ifdef PD_X86
    if (is_bf16 && (has_avx512() || has_avx2())) {
        /* x in pair order once for every block, not once per call. */
        const size_t block = has_avx512() ? 32 : 16, stride = cols + block;
        bf16_gemv_fn gemv = has_avx512() ? gemv_avx512_bf16 : gemv_avx2_bf16;
        float *xp = malloc(vectors * stride * sizeof(float));
        if (xp) {
            for (size_t v = 0; v < vectors; v++) pair_order(x + v * cols, xp + v * stride, cols, block);
            for (size_t rb = r0; rb < r1; rb += vector_block_rows) {
                const size_t re = rb + vector_block_rows < r1 ? rb + vector_block_rows : r1;
                for (size_t v = 0; v < vectors; v++) gemv(w, xp + v * stride, x + v * cols, y + v * ldy, cols, rb, re);
            }
            free(xp);
            return;
        }
    }
#endif
    for (size_t rb = r0; rb < r1; rb += vector_block_rows) {
        const size_t re = rb + vector_block_rows < r1 ? rb + vector_block_rows : r1;
        for (size_t v = 0; v < vectors; v++) pd_gemv_16(w, is_bf16, x + v * cols, y + v * ldy, cols, rb, re);
    }
}
