// The dot products of the 32-element formats with one f16 scale d at the start of each block
// (Q4_0, Q4_1, Q5_0) against 8-bit activations, written once and instantiated per
// instruction set (kernels.c for AVX2, matvec_vnni.c for AVX-512 VNNI).
//
// With unsigned codes q and a per-block offset coefficient k:
//     Σ w·y = Σ_blocks d·d_y·Σ q·y + k·s,   s = d_y·Σ y (the activation block's `s`)
// Q4_0: w = d·(q − 8) → k = −8·d;  Q4_1: w = d·q + m → k = m;  Q5_0: w = d·(q − 16) → k = −16·d.
#ifndef PAGODA_LEGACY_DOT_H
#define PAGODA_LEGACY_DOT_H

#include "simd_helpers.h"

#if PAGODA_X86

// Offset coefficients from the block's first two halves h = (d, m).
#define PAGODA_OFFSET_Q4_0(h) (-8.0f * _mm_cvtss_f32(h))
#define PAGODA_OFFSET_Q4_1(h) (_mm_cvtss_f32(_mm_movehdup_ps(h)))
#define PAGODA_OFFSET_Q5_0(h) (-16.0f * _mm_cvtss_f32(h))

// NAME(w, a, nblocks) with target attribute ATTR; blocks of SIZE bytes; CODES(p) the 32
// unsigned codes of the block at p; DOT(codes, y) their integer dot with activation codes y
// as 8 floats. Two accumulators, two blocks per step.
#define PAGODA_DEFINE_LEGACY_DOT(NAME, ATTR, SIZE, CODES, OFFSET, DOT)                                    \
    ATTR float NAME(const void *w, const pagoda_q8_block *a, int nblocks) {                               \
        const uint8_t *p = (const uint8_t *)w;                                                             \
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();                                     \
        float offsets = 0.0f;                                                                              \
        int b = 0;                                                                                         \
        for (; b + 1 < nblocks; b += 2, p += 2 * (SIZE)) {                                                 \
            const __m128 h0 = halves(p), h1 = halves(p + (SIZE));                                          \
            const __m256i y0 = _mm256_loadu_si256((const __m256i *)a[b].qs);                               \
            const __m256i y1 = _mm256_loadu_si256((const __m256i *)a[b + 1].qs);                           \
            acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_mm_cvtss_f32(h0) * a[b].d), DOT(CODES(p), y0), acc0);   \
            acc1 = _mm256_fmadd_ps(_mm256_set1_ps(_mm_cvtss_f32(h1) * a[b + 1].d), DOT(CODES(p + (SIZE)), y1), acc1); \
            offsets += OFFSET(h0) * a[b].s + OFFSET(h1) * a[b + 1].s;                                      \
        }                                                                                                  \
        for (; b < nblocks; b++, p += (SIZE)) {                                                            \
            const __m128 h = halves(p);                                                                    \
            const __m256i y = _mm256_loadu_si256((const __m256i *)a[b].qs);                                \
            acc0 = _mm256_fmadd_ps(_mm256_set1_ps(_mm_cvtss_f32(h) * a[b].d), DOT(CODES(p), y), acc0);     \
            offsets += OFFSET(h) * a[b].s;                                                                 \
        }                                                                                                  \
        return sum8(_mm256_add_ps(acc0, acc1)) + offsets;                                                  \
    }

// The same dot for two or three tokens at once (a decode batch): each block's codes are
// decoded once and dotted with every token, and per token the operations are those of NAME
// in the same order, so each result is bit-identical to NAME's for that token alone.
// NAME_TOKENS(w, a, a_stride, nblocks, tokens, out): token t's blocks at a + t·a_stride,
// its result in out[t]; tokens is 2 or 3.
#define PAGODA_DEFINE_LEGACY_DOT_TOKENS(NAME, ATTR, SIZE, CODES, OFFSET, DOT)                              \
    ATTR __attribute__((always_inline)) static inline void NAME##_body(                                     \
        const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, const int T, float *out) {    \
        const uint8_t *p = (const uint8_t *)w;                                                             \
        __m256 acc0[3], acc1[3];                                                                           \
        float offsets[3];                                                                                  \
        for (int t = 0; t < T; t++) {                                                                      \
            acc0[t] = acc1[t] = _mm256_setzero_ps();                                                       \
            offsets[t] = 0.0f;                                                                             \
        }                                                                                                  \
        int b = 0;                                                                                         \
        for (; b + 1 < nblocks; b += 2, p += 2 * (SIZE)) {                                                 \
            const __m128 h0 = halves(p), h1 = halves(p + (SIZE));                                          \
            const __m256i c0 = CODES(p), c1 = CODES(p + (SIZE));                                           \
            for (int t = 0; t < T; t++) {                                                                  \
                const pagoda_q8_block *at = a + t * a_stride;                                              \
                const __m256i y0 = _mm256_loadu_si256((const __m256i *)at[b].qs);                          \
                const __m256i y1 = _mm256_loadu_si256((const __m256i *)at[b + 1].qs);                      \
                acc0[t] = _mm256_fmadd_ps(_mm256_set1_ps(_mm_cvtss_f32(h0) * at[b].d), DOT(c0, y0), acc0[t]); \
                acc1[t] = _mm256_fmadd_ps(_mm256_set1_ps(_mm_cvtss_f32(h1) * at[b + 1].d), DOT(c1, y1), acc1[t]); \
                offsets[t] += OFFSET(h0) * at[b].s + OFFSET(h1) * at[b + 1].s;                             \
            }                                                                                              \
        }                                                                                                  \
        for (; b < nblocks; b++, p += (SIZE)) {                                                            \
            const __m128 h = halves(p);                                                                    \
            const __m256i c = CODES(p);                                                                    \
            for (int t = 0; t < T; t++) {                                                                  \
                const pagoda_q8_block *at = a + t * a_stride;                                              \
                const __m256i y = _mm256_loadu_si256((const __m256i *)at[b].qs);                           \
                acc0[t] = _mm256_fmadd_ps(_mm256_set1_ps(_mm_cvtss_f32(h) * at[b].d), DOT(c, y), acc0[t]); \
                offsets[t] += OFFSET(h) * at[b].s;                                                         \
            }                                                                                              \
        }                                                                                                  \
        for (int t = 0; t < T; t++) out[t] = sum8(_mm256_add_ps(acc0[t], acc1[t])) + offsets[t];           \
    }                                                                                                      \
    ATTR void NAME(const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens, float *out) { \
        if (tokens == 2) NAME##_body(w, a, a_stride, nblocks, 2, out);                                     \
        else NAME##_body(w, a, a_stride, nblocks, 3, out);                                                 \
    }

#endif  // PAGODA_X86
#endif
