#include "stream_read.h"

#include <string.h>

typedef float v8f __attribute__((vector_size(32)));

float pd_stream_sum(const float *values, size_t count) {
    v8f a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        v8f x0, x1, x2, x3;
        memcpy(&x0, values + i, 32);
        memcpy(&x1, values + i + 8, 32);
        memcpy(&x2, values + i + 16, 32);
        memcpy(&x3, values + i + 24, 32);
        a0 += x0;
        a1 += x1;
        a2 += x2;
        a3 += x3;
    }
    v8f a = (a0 + a1) + (a2 + a3);
    float sum = 0;
    for (int lane = 0; lane < 8; lane++) sum += a[lane];
    for (; i < count; i++) sum += values[i];
    return sum;
}
