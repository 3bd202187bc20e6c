/* ggml block formats to f32, bit for bit as ggml-quants.c's dequantize_row_* functions.
 * Layouts (ggml-common.h): a block of 32 (legacy) or 256 (k-quants) elements; scales are IEEE
 * half unless noted. The arithmetic is kept unfused so results match ggml's scalar code and the
 * gguf package exactly. */
#pragma STDC FP_CONTRACT OFF

#include "pd_dequant.h"

#include <string.h>

#include "pd_half.h"

/* The f32 value of the half at p (little-endian, unaligned). */
static float half_bits(const uint8_t *p) { return pd_half_to_float((uint16_t)(p[0] | (p[1] << 8))); }

static float f32_bits(const uint8_t *p) {
    float f;
    memcpy(&f, p, 4);
    return f;
}

/* Q4_0: d (half), 16 bytes of nibbles; element j is the low nibble of byte j, j + 16 the high. */
static void q4_0(const uint8_t *b, float *y) {
    const float d = half_bits(b);
    for (int j = 0; j < 16; j++) {
        y[j] = (float)((b[2 + j] & 0x0F) - 8) * d;
        y[j + 16] = (float)((b[2 + j] >> 4) - 8) * d;
    }
}

/* Q4_1: d, m (halves), 16 bytes of nibbles: y = q * d + m. */
static void q4_1(const uint8_t *b, float *y) {
    const float d = half_bits(b), m = half_bits(b + 2);
    for (int j = 0; j < 16; j++) {
        y[j] = (float)(b[4 + j] & 0x0F) * d + m;
        y[j + 16] = (float)(b[4 + j] >> 4) * d + m;
    }
}

/* Q5_0: d, 32 high bits (little-endian u32), 16 bytes of nibbles; q - 16. */
static void q5_0(const uint8_t *b, float *y) {
    const float d = half_bits(b);
    uint32_t qh;
    memcpy(&qh, b + 2, 4);
    for (int j = 0; j < 16; j++) {
        const int x0 = (b[6 + j] & 0x0F) | (((qh >> j) & 1) << 4);
        const int x1 = (b[6 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
        y[j] = (float)(x0 - 16) * d;
        y[j + 16] = (float)(x1 - 16) * d;
    }
}

/* Q5_1: d, m, 32 high bits, 16 bytes of nibbles: y = q * d + m. */
static void q5_1(const uint8_t *b, float *y) {
    const float d = half_bits(b), m = half_bits(b + 2);
    uint32_t qh;
    memcpy(&qh, b + 4, 4);
    for (int j = 0; j < 16; j++) {
        const int x0 = (b[8 + j] & 0x0F) | (((qh >> j) & 1) << 4);
        const int x1 = (b[8 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
        y[j] = (float)x0 * d + m;
        y[j + 16] = (float)x1 * d + m;
    }
}

/* Q8_0: d, 32 int8. */
static void q8_0(const uint8_t *b, float *y) {
    const float d = half_bits(b);
    for (int j = 0; j < 32; j++) y[j] = (float)(int8_t)b[2 + j] * d;
}

/* The k-quants' 6-bit scale and min of sub-block j from the 12 packed bytes (get_scale_min_k4). */
static void scale_min_k4(int j, const uint8_t *q, uint8_t *scale, uint8_t *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* The scales and mins of sub-blocks `is` and `is + 1` of a Q4_K/Q5_K block: d * sc and dmin * m. */
static void scale_pair(int is, const uint8_t *scales, float d, float dmin, float out[4]) {
    uint8_t sc, m;
    scale_min_k4(is, scales, &sc, &m);
    out[0] = d * sc;
    out[1] = dmin * m;
    scale_min_k4(is + 1, scales, &sc, &m);
    out[2] = d * sc;
    out[3] = dmin * m;
}

/* Q4_K: d, dmin (halves), 12 bytes of scales/mins, 128 bytes of nibbles; 8 sub-blocks of 32, in
 * pairs over 32 bytes (low nibbles first). y = (d * sc) * q - (dmin * m). */
static void q4_k(const uint8_t *b, float *y) {
    const float d = half_bits(b), dmin = half_bits(b + 2);
    const uint8_t *scales = b + 4, *q = b + 16;
    int is = 0;
    for (int n = 0; n < 256; n += 64) {
        float s[4];
        scale_pair(is, scales, d, dmin, s);
        for (int l = 0; l < 32; l++) *y++ = s[0] * (float)(q[l] & 0xF) - s[1];
        for (int l = 0; l < 32; l++) *y++ = s[2] * (float)(q[l] >> 4) - s[3];
        q += 32;
        is += 2;
    }
}

/* Q5_K: d, dmin, 12 bytes of scales/mins, 32 bytes of high bits, 128 bytes of nibbles. */
static void q5_k(const uint8_t *b, float *y) {
    const float d = half_bits(b), dmin = half_bits(b + 2);
    const uint8_t *scales = b + 4, *qh = b + 16, *ql = b + 48;
    int is = 0;
    uint8_t u1 = 1, u2 = 2;
    for (int n = 0; n < 256; n += 64) {
        float s[4];
        scale_pair(is, scales, d, dmin, s);
        for (int l = 0; l < 32; l++) *y++ = s[0] * (float)((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - s[1];
        for (int l = 0; l < 32; l++) *y++ = s[2] * (float)((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - s[3];
        ql += 32;
        is += 2;
        u1 <<= 2;
        u2 <<= 2;
    }
}

/* Q6_K: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, d (half); two halves
 * of 128 elements, each four runs of 32. y = (d * scale) * (q - 32). */
static void q6_k(const uint8_t *b, float *y) {
    const uint8_t *ql = b, *qh = b + 128;
    const int8_t *sc = (const int8_t *)(b + 192);
    const float d = half_bits(b + 208);
    for (int n = 0; n < 256; n += 128) {
        for (int l = 0; l < 32; l++) {
            const int is = l / 16;
            const int q1 = (int)((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = (int)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l + 0] = d * (float)sc[is + 0] * (float)q1;
            y[l + 32] = d * (float)sc[is + 2] * (float)q2;
            y[l + 64] = d * (float)sc[is + 4] * (float)q3;
            y[l + 96] = d * (float)sc[is + 6] * (float)q4;
        }
        y += 128;
        ql += 64;
        qh += 32;
        sc += 8;
    }
}

/* Q8_K: d (f32), 256 int8, 16 int16 block sums (unused here). */
static void q8_k(const uint8_t *b, float *y) {
    const float d = f32_bits(b);
    for (int j = 0; j < 256; j++) y[j] = d * (float)(int8_t)b[4 + j];
}

int pd_dequantize(uint32_t type, const void *src, float *dst, size_t count) {
    const uint8_t *b = src;
    size_t block = 32, bytes;
    void (*decode)(const uint8_t *, float *) = NULL;
    switch (type) {
    case 0: memcpy(dst, src, count * 4); return 0;
    case 1: for (size_t i = 0; i < count; i++) dst[i] = half_bits(b + 2 * i); return 0;
    case 30:
        for (size_t i = 0; i < count; i++) {
            const uint32_t bits = (uint32_t)(b[2 * i] | (b[2 * i + 1] << 8)) << 16;
            memcpy(dst + i, &bits, 4);
        }
        return 0;
    case 2: decode = q4_0; bytes = 18; break;
    case 3: decode = q4_1; bytes = 20; break;
    case 6: decode = q5_0; bytes = 22; break;
    case 7: decode = q5_1; bytes = 24; break;
    case 8: decode = q8_0; bytes = 34; break;
    case 12: decode = q4_k; block = 256; bytes = 144; break;
    case 13: decode = q5_k; block = 256; bytes = 176; break;
    case 14: decode = q6_k; block = 256; bytes = 210; break;
    case 15: decode = q8_k; block = 256; bytes = 292; break;
    default: return -1;
    }
    if (count % block != 0) return -1;
    for (size_t i = 0; i < count / block; i++) decode(b + i * bytes, dst + i * block);
    return 0;
}
