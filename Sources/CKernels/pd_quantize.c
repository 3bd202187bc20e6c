/* Weight quantization to Q8_0 and Q4_0, as ggml-quants.c's quantize_row_q8_0_ref and
 * quantize_row_q4_0_ref compute it (the same f32 operations, unfused), so files we write hold the
 * bytes llama.cpp's own quantizer (and the gguf package) would. */
#pragma STDC FP_CONTRACT OFF

#include "pd_quant.h"

#include <math.h>
#include <string.h>

#include "pd_half.h"

void pd_quantize_q8_0(const float *x, void *dst, size_t count) {
    uint8_t *out = dst;
    for (size_t b = 0; b < count / 32; b++, x += 32, out += 34) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t h = pd_half_from_float(d);
        memcpy(out, &h, 2);
        for (int j = 0; j < 32; j++) out[2 + j] = (uint8_t)(int8_t)roundf(x[j] * id);
    }
}

void pd_quantize_q4_0(const float *x, void *dst, size_t count) {
    uint8_t *out = dst;
    for (size_t b = 0; b < count / 32; b++, x += 32, out += 18) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 32; j++) {
            if (amax < fabsf(x[j])) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t h = pd_half_from_float(d);
        memcpy(out, &h, 2);
        for (int j = 0; j < 16; j++) {
            const int lo = (int8_t)(x[j] * id + 8.5f), hi = (int8_t)(x[j + 16] * id + 8.5f);
            out[2 + j] = (uint8_t)((lo < 15 ? lo : 15) | ((hi < 15 ? hi : 15) << 4));
        }
    }
}
