// One step of flash-style attention with AVX2: a query against one KV tile, read directly in
// the cache's element type (f16 through F16C, or f32), with the online-softmax update. Key
// tiles are dimension-major, so the scores of eight keys fill one register with no
// horizontal sums; value tiles are token-major.

#include "pagoda_kernels.h"

#include <math.h>

#include "simd_helpers.h"

#if PAGODA_X86

// Elements i…i+7 of a tile as floats.
TARGET static inline __m256 load8(const void *tile, int i, int f16) {
    if (f16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)tile + i)));
    return _mm256_loadu_ps((const float *)tile + i);
}

TARGET static inline float element(const void *tile, int i, int f16) {
    return f16 ? _cvtsh_ss(((const uint16_t *)tile)[i]) : ((const float *)tile)[i];
}

// out += Σ_j p_j · v_j over `rows` value rows, the D = 64 running output kept in registers.
TARGET static inline void accumulate_values_64(const float *p, const void *values, int rows, int f16, float *out) {
    __m256 o[8];
    for (int k = 0; k < 8; k++) o[k] = _mm256_loadu_ps(out + 8 * k);
    for (int j = 0; j < rows; j++) {
        const __m256 pj = _mm256_set1_ps(p[j]);
        for (int k = 0; k < 8; k++) o[k] = _mm256_fmadd_ps(pj, load8(values, 64 * j + 8 * k, f16), o[k]);
    }
    for (int k = 0; k < 8; k++) _mm256_storeu_ps(out + 8 * k, o[k]);
}

// scores[j…j+15] = scale · Σ_i q_i · K[i][j…j+15], with four partial sums per eight lanes so
// the multiply-adds do not wait on each other.
TARGET static inline void scores16(const float *q, const void *keys, int stride, int j, int d, int f16, float scale, float *scores) {
    __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    __m256 b[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    int i = 0;
    for (; i + 4 <= d; i += 4) {
        for (int u = 0; u < 4; u++) {
            const __m256 qi = _mm256_set1_ps(q[i + u]);
            a[u] = _mm256_fmadd_ps(qi, load8(keys, (i + u) * stride + j, f16), a[u]);
            b[u] = _mm256_fmadd_ps(qi, load8(keys, (i + u) * stride + j + 8, f16), b[u]);
        }
    }
    for (; i < d; i++) {
        const __m256 qi = _mm256_set1_ps(q[i]);
        a[0] = _mm256_fmadd_ps(qi, load8(keys, i * stride + j, f16), a[0]);
        b[0] = _mm256_fmadd_ps(qi, load8(keys, i * stride + j + 8, f16), b[0]);
    }
    const __m256 s = _mm256_set1_ps(scale);
    _mm256_storeu_ps(scores + j, _mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3])), s));
    _mm256_storeu_ps(scores + j + 8, _mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(b[0], b[1]), _mm256_add_ps(b[2], b[3])), s));
}

TARGET static inline void scores8(const float *q, const void *keys, int stride, int j, int d, int f16, float scale, float *scores) {
    __m256 a[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    int i = 0;
    for (; i + 4 <= d; i += 4) {
        for (int u = 0; u < 4; u++) a[u] = _mm256_fmadd_ps(_mm256_set1_ps(q[i + u]), load8(keys, (i + u) * stride + j, f16), a[u]);
    }
    for (; i < d; i++) a[0] = _mm256_fmadd_ps(_mm256_set1_ps(q[i]), load8(keys, i * stride + j, f16), a[0]);
    const __m256 sum = _mm256_add_ps(_mm256_add_ps(a[0], a[1]), _mm256_add_ps(a[2], a[3]));
    _mm256_storeu_ps(scores + j, _mm256_mul_ps(sum, _mm256_set1_ps(scale)));
}

// All scores of a tile; `f16` is a constant at each call so the element type is decided
// once, outside the loops.
TARGET static inline void tile_scores(const float *q, const void *keys, int stride, int rows, int d, int f16, float scale, float *scores) {
    int j = 0;
    for (; j + 16 <= rows; j += 16) scores16(q, keys, stride, j, d, f16, scale, scores);
    for (; j + 8 <= rows; j += 8) scores8(q, keys, stride, j, d, f16, scale, scores);
    for (; j < rows; j++) {
        float s = 0.0f;
        for (int i = 0; i < d; i++) s += q[i] * element(keys, i * stride + j, f16);
        scores[j] = s * scale;
    }
}

// The online-softmax update from a tile's scores: M' = max(M, max s_j), the running output
// rescaled by e^(M − M'), scores turned into p_j = e^(s_j − M'), S' = e^(M − M')·S + Σ p_j.
TARGET static inline void online_softmax(float *scores, int rows, int d, float *state, float *out) {
    float tile_max = -INFINITY;
    for (int j = 0; j < rows; j++) tile_max = scores[j] > tile_max ? scores[j] : tile_max;
    const float new_max = state[0] > tile_max ? state[0] : tile_max;
    const float correction = expf(state[0] - new_max);
    float sum = state[1] * correction;
    const int wide = d - d % 8;
    if (correction != 1.0f) {
        const __m256 c = _mm256_set1_ps(correction);
        for (int i = 0; i < wide; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(out + i), c));
        for (int i = wide; i < d; i++) out[i] *= correction;
    }
    int j = 0;
    __m256 sums = _mm256_setzero_ps();
    for (; j + 8 <= rows; j += 8) {
        const __m256 p = exp8(_mm256_sub_ps(_mm256_loadu_ps(scores + j), _mm256_set1_ps(new_max)));
        _mm256_storeu_ps(scores + j, p);
        sums = _mm256_add_ps(sums, p);
    }
    sum += sum8(sums);
    for (; j < rows; j++) {
        scores[j] = expf(scores[j] - new_max);
        sum += scores[j];
    }
    state[0] = new_max;
    state[1] = sum;
}

// out += Σ_j p_j · v_j for any head dimension.
TARGET static inline void accumulate_values(const float *p, const void *values, int rows, int d, int f16, float *out) {
    const int wide = d - d % 8;
    for (int j = 0; j < rows; j++) {
        const int row = j * d;
        const __m256 pv = _mm256_set1_ps(p[j]);
        for (int i = 0; i < wide; i += 8) _mm256_storeu_ps(out + i, _mm256_fmadd_ps(pv, load8(values, row + i, f16), _mm256_loadu_ps(out + i)));
        for (int i = wide; i < d; i++) out[i] += p[j] * element(values, row + i, f16);
    }
}

TARGET void pagoda_attend_tile(const float *q, const void *keys, int key_stride, const void *values, int rows, int d, int f16,
                               float scale, float *state, float *out, float *scores) {
    if (f16) tile_scores(q, keys, key_stride, rows, d, 1, scale, scores);
    else tile_scores(q, keys, key_stride, rows, d, 0, scale, scores);
    online_softmax(scores, rows, d, state, out);
    if (d == 64) {
        if (f16) accumulate_values_64(scores, values, rows, 1, out);
        else accumulate_values_64(scores, values, rows, 0, out);
    } else {
        accumulate_values(scores, values, rows, d, f16, out);
    }
}

// Several query heads over the same tile (the VNNI set, for AVX-512 VL's 32 registers): each
// key and value element is loaded and converted once for up to three heads.

// Scores of M heads (queries q + h·d) for keys j…j+7, with four partial sums per head summed
// as in scores8, so each head's scores are bit for bit those of pagoda_attend_tile.
VNNI static inline __attribute__((always_inline)) void scores8_heads(const float *q, int d, const void *keys, int stride, int j,
                                                                    int f16, float scale, float *scores, int rows, const int M) {
    __m256 a[PAGODA_ATTEND_HEADS_PER_PASS][4];
    for (int h = 0; h < M; h++) {
        for (int u = 0; u < 4; u++) a[h][u] = _mm256_setzero_ps();
    }
    int i = 0;
    for (; i + 4 <= d; i += 4) {
        for (int u = 0; u < 4; u++) {
            const __m256 k = load8(keys, (i + u) * stride + j, f16);
            for (int h = 0; h < M; h++) a[h][u] = _mm256_fmadd_ps(_mm256_set1_ps(q[h * d + i + u]), k, a[h][u]);
        }
    }
    for (; i < d; i++) {
        const __m256 k = load8(keys, i * stride + j, f16);
        for (int h = 0; h < M; h++) a[h][0] = _mm256_fmadd_ps(_mm256_set1_ps(q[h * d + i]), k, a[h][0]);
    }
    for (int h = 0; h < M; h++) {
        const __m256 sum = _mm256_add_ps(_mm256_add_ps(a[h][0], a[h][1]), _mm256_add_ps(a[h][2], a[h][3]));
        _mm256_storeu_ps(scores + h * rows + j, _mm256_mul_ps(sum, _mm256_set1_ps(scale)));
    }
}

// out_h += Σ_j p_h,j · v_j for M heads, head dimension 64, every output in registers.
VNNI static inline __attribute__((always_inline)) void values64_heads(const float *p, int rows, const void *values, int f16,
                                                                     float *out, int out_stride, const int M) {
    __m256 o[PAGODA_ATTEND_HEADS_PER_PASS][8];
    for (int h = 0; h < M; h++) {
        for (int k = 0; k < 8; k++) o[h][k] = _mm256_loadu_ps(out + h * out_stride + 8 * k);
    }
    for (int j = 0; j < rows; j++) {
        __m256 pj[PAGODA_ATTEND_HEADS_PER_PASS];
        for (int h = 0; h < M; h++) pj[h] = _mm256_set1_ps(p[h * rows + j]);
        for (int k = 0; k < 8; k++) {
            const __m256 v = load8(values, 64 * j + 8 * k, f16);
            for (int h = 0; h < M; h++) o[h][k] = _mm256_fmadd_ps(pj[h], v, o[h][k]);
        }
    }
    for (int h = 0; h < M; h++) {
        for (int k = 0; k < 8; k++) _mm256_storeu_ps(out + h * out_stride + 8 * k, o[h][k]);
    }
}

// M heads (1…PAGODA_ATTEND_HEADS_PER_PASS) over one tile, with the element type a constant.
VNNI static inline __attribute__((always_inline)) void attend_heads(const float *q, const void *keys, int key_stride, const void *values,
                                                                   int rows, int d, const int f16, float scale, float *state, int state_stride,
                                                                   float *out, int out_stride, float *scores, const int M) {
    int j = 0;
    for (; j + 8 <= rows; j += 8) scores8_heads(q, d, keys, key_stride, j, f16, scale, scores, rows, M);
    for (; j < rows; j++) {
        for (int h = 0; h < M; h++) {
            float s = 0.0f;
            for (int i = 0; i < d; i++) s += q[h * d + i] * element(keys, i * key_stride + j, f16);
            scores[h * rows + j] = s * scale;
        }
    }
    for (int h = 0; h < M; h++) online_softmax(scores + h * rows, rows, d, state + h * state_stride, out + h * out_stride);
    if (d == 64) {
        values64_heads(scores, rows, values, f16, out, out_stride, M);
    } else {
        for (int h = 0; h < M; h++) accumulate_values(scores + h * rows, values, rows, d, f16, out + h * out_stride);
    }
}

VNNI void pagoda_attend_tile_heads(const float *q, int heads, const void *keys, int key_stride, const void *values, int rows, int d,
                                 int f16, float scale, float *state, int state_stride, float *out, int out_stride, float *scores) {
    _Static_assert(PAGODA_ATTEND_HEADS_PER_PASS == 3, "the passes below are written for up to 3 heads");
    for (int h = 0; h < heads; h += PAGODA_ATTEND_HEADS_PER_PASS) {
        const int m = heads - h < PAGODA_ATTEND_HEADS_PER_PASS ? heads - h : PAGODA_ATTEND_HEADS_PER_PASS;
        const float *qh = q + h * d;
        float *sh = state + h * state_stride, *oh = out + h * out_stride;
        if (f16) {
            if (m == 3) attend_heads(qh, keys, key_stride, values, rows, d, 1, scale, sh, state_stride, oh, out_stride, scores, 3);
            else if (m == 2) attend_heads(qh, keys, key_stride, values, rows, d, 1, scale, sh, state_stride, oh, out_stride, scores, 2);
            else attend_heads(qh, keys, key_stride, values, rows, d, 1, scale, sh, state_stride, oh, out_stride, scores, 1);
        } else {
            if (m == 3) attend_heads(qh, keys, key_stride, values, rows, d, 0, scale, sh, state_stride, oh, out_stride, scores, 3);
            else if (m == 2) attend_heads(qh, keys, key_stride, values, rows, d, 0, scale, sh, state_stride, oh, out_stride, scores, 2);
            else attend_heads(qh, keys, key_stride, values, rows, d, 0, scale, sh, state_stride, oh, out_stride, scores, 1);
        }
    }
}

// Stores n floats as a column of a dimension-major key tile: x[i] at tile[i · stride].
TARGET void pagoda_store_key(const float *x, int n, void *tile, int stride, int f16) {
    if (!f16) {
        float *t = (float *)tile;
        for (int i = 0; i < n; i++) t[(long)i * stride] = x[i];
        return;
    }
    uint16_t *t = (uint16_t *)tile;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        uint16_t h[8];
        _mm_storeu_si128((__m128i *)h, _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
        for (int k = 0; k < 8; k++) t[(long)(i + k) * stride] = h[k];
    }
    for (; i < n; i++) t[(long)i * stride] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

#endif  // PAGODA_X86
