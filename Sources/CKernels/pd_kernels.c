#include "pd_kernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define PD_X86 1
#endif

/* ---- scalar reference paths ------------------------------------------------------------- */

static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1f;
    uint32_t mantissa = h & 0x3ff;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            exponent = 127 - 15 + 1;
            while ((mantissa & 0x400) == 0) { mantissa <<= 1; exponent--; }
            mantissa &= 0x3ff;
            bits = sign | (exponent << 23) | (mantissa << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000 | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

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
    return is_bf16 ? bf16_to_float(load16(p, i)) : half_to_float(load16(p, i));
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

__attribute__((target("avx2,f16c,fma")))
static inline __attribute__((always_inline)) void gemv_avx2_body(const uint16_t *w, const int is_bf16, const float *x, float *y,
                                                                 size_t cols, size_t r0, size_t r1) {
    size_t r = r0;
    /* Four rows at a time share each load of x. */
    for (; r + 4 <= r1; r += 4) {
        const uint16_t *a = w + r * cols, *b = a + cols, *c = b + cols, *d = c + cols;
        __m256 sa = _mm256_setzero_ps(), sb = _mm256_setzero_ps(), sc = _mm256_setzero_ps(), sd = _mm256_setzero_ps();
        __m256 sa2 = _mm256_setzero_ps(), sb2 = _mm256_setzero_ps(), sc2 = _mm256_setzero_ps(), sd2 = _mm256_setzero_ps();
        size_t k = 0;
        /* 32 elements (one 64-byte line of each bf16/f16 row) per step, the lines 512 bytes ahead
         * prefetched, two accumulators per row. */
        for (; k + 32 <= cols; k += 32) {
            _mm_prefetch((const char *)(a + k + 256), _MM_HINT_T0);
            _mm_prefetch((const char *)(b + k + 256), _MM_HINT_T0);
            _mm_prefetch((const char *)(c + k + 256), _MM_HINT_T0);
            _mm_prefetch((const char *)(d + k + 256), _MM_HINT_T0);
            for (size_t u = 0; u < 32; u += 16) {
                __m256 x0 = _mm256_loadu_ps(x + k + u), x1 = _mm256_loadu_ps(x + k + u + 8);
                sa = _mm256_fmadd_ps(load8(a + k + u, is_bf16), x0, sa);
                sb = _mm256_fmadd_ps(load8(b + k + u, is_bf16), x0, sb);
                sc = _mm256_fmadd_ps(load8(c + k + u, is_bf16), x0, sc);
                sd = _mm256_fmadd_ps(load8(d + k + u, is_bf16), x0, sd);
                sa2 = _mm256_fmadd_ps(load8(a + k + u + 8, is_bf16), x1, sa2);
                sb2 = _mm256_fmadd_ps(load8(b + k + u + 8, is_bf16), x1, sb2);
                sc2 = _mm256_fmadd_ps(load8(c + k + u + 8, is_bf16), x1, sc2);
                sd2 = _mm256_fmadd_ps(load8(d + k + u + 8, is_bf16), x1, sd2);
            }
        }
        for (; k + 8 <= cols; k += 8) {
            __m256 xv = _mm256_loadu_ps(x + k);
            sa = _mm256_fmadd_ps(load8(a + k, is_bf16), xv, sa);
            sb = _mm256_fmadd_ps(load8(b + k, is_bf16), xv, sb);
            sc = _mm256_fmadd_ps(load8(c + k, is_bf16), xv, sc);
            sd = _mm256_fmadd_ps(load8(d + k, is_bf16), xv, sd);
        }
        sa = _mm256_add_ps(sa, sa2); sb = _mm256_add_ps(sb, sb2); sc = _mm256_add_ps(sc, sc2); sd = _mm256_add_ps(sd, sd2);
        float ta = hsum(sa), tb = hsum(sb), tc = hsum(sc), td = hsum(sd);
        for (; k < cols; k++) {
            float xv = x[k];
            ta += widen(a, k, is_bf16) * xv;
            tb += widen(b, k, is_bf16) * xv;
            tc += widen(c, k, is_bf16) * xv;
            td += widen(d, k, is_bf16) * xv;
        }
        y[r] = ta; y[r + 1] = tb; y[r + 2] = tc; y[r + 3] = td;
    }
    for (; r < r1; r++) {
        const uint16_t *a = w + r * cols;
        __m256 s = _mm256_setzero_ps();
        size_t k = 0;
        for (; k + 8 <= cols; k += 8) s = _mm256_fmadd_ps(load8(a + k, is_bf16), _mm256_loadu_ps(x + k), s);
        float t = hsum(s);
        for (; k < cols; k++) t += widen(a, k, is_bf16) * x[k];
        y[r] = t;
    }
}

/* The loop specialised per format, so the format test is not in the inner loop. */
__attribute__((target("avx2,f16c,fma")))
static void gemv_avx2_f16(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    gemv_avx2_body(w, 0, x, y, cols, r0, r1);
}

__attribute__((target("avx2,f16c,fma")))
static void gemv_avx2_bf16(const uint16_t *w, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
    gemv_avx2_body(w, 1, x, y, cols, r0, r1);
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

__attribute__((target("avx2,f16c,fma")))
static void softmax_avx2(float *row, size_t n, float max_value) {
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
    const __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(row + i, _mm256_mul_ps(_mm256_loadu_ps(row + i), inv));
    for (; i < n; i++) row[i] *= 1.0f / sum;
}

__attribute__((target("avx2,f16c,fma")))
static void attend_one_avx2(const float *q, const float *k, const float *v, float *out, size_t total, size_t d,
                            size_t stride, float scale, float *scores) {
    for (size_t j = 0; j < total; j++) {
        const float *key = k + j * stride;
        __m256 s = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 8 <= d; i += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(key + i), s);
        float dot = hsum(s);
        for (; i < d; i++) dot += q[i] * key[i];
        scores[j] = dot * scale;
    }
    pd_softmax(scores, total);
    memset(out, 0, d * sizeof(float));
    for (size_t j = 0; j < total; j++) {
        const float *value = v + j * stride;
        const __m256 p = _mm256_set1_ps(scores[j]);
        size_t i = 0;
        for (; i + 8 <= d; i += 8) _mm256_storeu_ps(out + i, _mm256_fmadd_ps(p, _mm256_loadu_ps(value + i), _mm256_loadu_ps(out + i)));
        for (; i < d; i++) out[i] += scores[j] * value[i];
    }
}

static int has_avx2(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return cached;
}
#else
static int has_avx2(void) { return 0; }
#endif

/* ---- dispatch ----------------------------------------------------------------------------- */

void pd_silu(float *x, size_t count) {
#ifdef PD_X86
    if (has_avx2()) { silu_avx2(x, count); return; }
#endif
    for (size_t i = 0; i < count; i++) x[i] = x[i] / (1.0f + expf(-x[i]));
}

void pd_attend_one(const float *q, const float *k, const float *v, float *out, size_t total, size_t head_dim,
                   size_t stride, float scale, float *scores) {
#ifdef PD_X86
    if (has_avx2()) { attend_one_avx2(q, k, v, out, total, head_dim, stride, scale, scores); return; }
#endif
    for (size_t j = 0; j < total; j++) {
        float dot = 0;
        for (size_t i = 0; i < head_dim; i++) dot += q[i] * k[j * stride + i];
        scores[j] = dot * scale;
    }
    pd_softmax(scores, total);
    memset(out, 0, head_dim * sizeof(float));
    for (size_t j = 0; j < total; j++)
        for (size_t i = 0; i < head_dim; i++) out[i] += scores[j] * v[j * stride + i];
}

void pd_softmax(float *row, size_t count) {
    if (count == 0) return;
    float max_value = -INFINITY;
    for (size_t i = 0; i < count; i++) if (row[i] > max_value) max_value = row[i];
    if (max_value == -INFINITY) { memset(row, 0, count * sizeof(float)); return; }
#ifdef PD_X86
    if (has_avx2()) { softmax_avx2(row, count, max_value); return; }
#endif
    float sum = 0;
    for (size_t i = 0; i < count; i++) { row[i] = expf(row[i] - max_value); sum += row[i]; }
    for (size_t i = 0; i < count; i++) row[i] *= 1.0f / sum;
}

int pd_kernels_vectorized(void) { return has_avx2(); }

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

void pd_gemv_16(const uint16_t *w, int is_bf16, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
#ifdef PD_X86
    if (has_avx2()) {
        if (is_bf16) gemv_avx2_bf16(w, x, y, cols, r0, r1); else gemv_avx2_f16(w, x, y, cols, r0, r1);
        return;
    }
#endif
    gemv_scalar(w, is_bf16, x, y, cols, r0, r1);
}
