// One step of flash-style attention with AVX2: a query against one KV tile, read directly in
// the cache's element type (f16 through F16C, or f32), with the online-softmax update.

#include "pagoda_kernels.h"

#include <math.h>

#include "simd_helpers.h"

// 8 elements of a key or value row at element i, as floats.
TARGET static inline __m256 load8(const void *row, int i, int f16) {
    if (f16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + i)));
    return _mm256_loadu_ps((const float *)row + i);
}

TARGET static inline float element(const void *row, int i, int f16) {
    return f16 ? _cvtsh_ss(((const uint16_t *)row)[i]) : ((const float *)row)[i];
}

TARGET void pagoda_attend_tile(const float *q, const void *keys, const void *values, int rows, int d, int f16,
                               float scale, float *state, float *out, float *scores) {
    const long row_bytes = (long)d * (f16 ? 2 : 4);
    const int wide = d - d % 8;
    float tile_max = -INFINITY;
    for (int j = 0; j < rows; j++) {
        const void *k = (const uint8_t *)keys + j * row_bytes;
        __m256 acc = _mm256_setzero_ps();
        for (int i = 0; i < wide; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load8(k, i, f16), acc);
        float s = sum8(acc);
        for (int i = wide; i < d; i++) s += q[i] * element(k, i, f16);
        s *= scale;
        scores[j] = s;
        tile_max = s > tile_max ? s : tile_max;
    }
    const float new_max = state[0] > tile_max ? state[0] : tile_max;
    const float correction = expf(state[0] - new_max);
    float sum = state[1] * correction;
    if (correction != 1.0f) {
        const __m256 c = _mm256_set1_ps(correction);
        for (int i = 0; i < wide; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(out + i), c));
        for (int i = wide; i < d; i++) out[i] *= correction;
    }
    for (int j = 0; j < rows; j++) {
        const float p = expf(scores[j] - new_max);
        sum += p;
        const void *v = (const uint8_t *)values + j * row_bytes;
        const __m256 pv = _mm256_set1_ps(p);
        for (int i = 0; i < wide; i += 8) _mm256_storeu_ps(out + i, _mm256_fmadd_ps(pv, load8(v, i, f16), _mm256_loadu_ps(out + i)));
        for (int i = wide; i < d; i++) out[i] += p * element(v, i, f16);
    }
    state[0] = new_max;
    state[1] = sum;
}
