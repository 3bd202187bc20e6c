#ifndef PD_HALF_H
#define PD_HALF_H

/* IEEE half <-> f32, portable and exact (the kernels' scalar paths and the block formats' scales). */

#include <stdint.h>
#include <string.h>

/* The f32 value of half bits h (subnormals, infinities and NaN included). */
static inline float pd_half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h >> 15) << 31, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else { /* subnormal half: normalise */
        uint32_t m = mantissa, e = 113;
        while (!(m & 0x400)) { m <<= 1; e--; }
        bits = sign | (e << 23) | ((m & 0x3FF) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* The half bits nearest f (ties to even), as F16C's vcvtps2ph and numpy's astype(float16) round:
 * overflow to infinity, NaN stays a quiet NaN. */
static inline uint16_t pd_half_from_float(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    const uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) return sign | 0x7E00 | (uint16_t)((ax >> 13) & 0x3FF);   /* NaN */
    if (ax >= 0x477FF000u) return sign | 0x7C00;                                    /* rounds past 65504 */
    if (ax < 0x38800000u) {                                                         /* below 2^-14: subnormal */
        if (ax < 0x33000000u) return sign;                                          /* below half the least subnormal */
        const uint32_t e = ax >> 23, m = (ax & 0x7FFFFF) | 0x800000;
        const uint32_t shift = 126 - e;                                             /* 14..24 */
        uint32_t q = m >> shift;
        const uint32_t rest = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rest > half || (rest == half && (q & 1))) q++;
        return sign | (uint16_t)q;
    }
    uint32_t q = ax - 0x38000000u;                                                  /* rebias 127 -> 15 */
    const uint32_t rest = q & 0x1FFF;
    q >>= 13;
    if (rest > 0x1000 || (rest == 0x1000 && (q & 1))) q++;
    return sign | (uint16_t)q;
}

#endif
