// The AVX2 kernels: activation quantization, the mat-vec integer dots, f16 conversion and
// the decoded-row dot of prefill without VNNI.
#include "pagoda_kernels.h"

#include <math.h>

#include "legacy_dot.h"
#include "simd_helpers.h"

#if PAGODA_X86

TARGET void pagoda_quantize_q8(const float *x, int n, pagoda_q8_block *out) {
    for (int b = 0; b < n / 32; b++) {
        const float *xb = x + 32 * b;
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) {
            float a = fabsf(xb[j]);
            amax = a > amax ? a : amax;
        }
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            int q = (int)nearbyintf(xb[j] * id);
            out[b].qs[j] = (int8_t)q;
            sum += q;
        }
        out[b].d = d;
        out[b].s = d * (float)sum;
    }
}

// Q4_0, Q4_1, Q5_0 (see block_layouts.h and legacy_dot.h).
TARGET static inline __m256i q4_0_codes(const uint8_t *p) { return nibbles(((const block_q4_0 *)p)->qs); }
TARGET static inline __m256i q4_1_codes(const uint8_t *p) { return nibbles(((const block_q4_1 *)p)->qs); }

PAGODA_DEFINE_LEGACY_DOT(pagoda_dot_q4_0, TARGET, sizeof(block_q4_0), q4_0_codes, PAGODA_OFFSET_Q4_0, dot_unsigned)
PAGODA_DEFINE_LEGACY_DOT(pagoda_dot_q4_1, TARGET, sizeof(block_q4_1), q4_1_codes, PAGODA_OFFSET_Q4_1, dot_unsigned)
PAGODA_DEFINE_LEGACY_DOT(pagoda_dot_q5_0, TARGET, sizeof(block_q5_0), q5_codes, PAGODA_OFFSET_Q5_0, dot_unsigned)
PAGODA_DEFINE_LEGACY_DOT_TOKENS(pagoda_dot_q4_0_tokens, TARGET, sizeof(block_q4_0), q4_0_codes, PAGODA_OFFSET_Q4_0, dot_unsigned)
PAGODA_DEFINE_LEGACY_DOT_TOKENS(pagoda_dot_q4_1_tokens, TARGET, sizeof(block_q4_1), q4_1_codes, PAGODA_OFFSET_Q4_1, dot_unsigned)
PAGODA_DEFINE_LEGACY_DOT_TOKENS(pagoda_dot_q5_0_tokens, TARGET, sizeof(block_q5_0), q5_codes, PAGODA_OFFSET_Q5_0, dot_unsigned)

// Q8_0: w = d·q, two blocks a step.
TARGET float pagoda_dot_q8_0(const void *w, const pagoda_q8_block *a, int nblocks) {
    const block_q8_0 *x = (const block_q8_0 *)w;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int b = 0;
    for (; b + 1 < nblocks; b += 2) {
        const __m256i q0 = _mm256_loadu_si256((const __m256i *)x[b].qs), q1 = _mm256_loadu_si256((const __m256i *)x[b + 1].qs);
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float((const uint8_t *)&x[b].d) * a[b].d), dot_signed(q0, _mm256_loadu_si256((const __m256i *)a[b].qs)), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float((const uint8_t *)&x[b + 1].d) * a[b + 1].d), dot_signed(q1, _mm256_loadu_si256((const __m256i *)a[b + 1].qs)), acc1);
    }
    for (; b < nblocks; b++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)x[b].qs);
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float((const uint8_t *)&x[b].d) * a[b].d), dot_signed(q, _mm256_loadu_si256((const __m256i *)a[b].qs)), acc0);
    }
    return sum8(_mm256_add_ps(acc0, acc1));
}

TARGET void pagoda_f16_to_f32(const uint16_t *x, float *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    }
    for (; i < n; i++) y[i] = _cvtsh_ss(x[i]);
}

TARGET void pagoda_f32_to_f16(const float *x, uint16_t *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) y[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

// Q4_K: w = d·scale_j·q − dmin·min_j per sub-block j (see block_q4_k).
TARGET float pagoda_dot_q4_k(const void *w, const pagoda_q8_block *a, int nblocks) {
    const block_q4_k *x = (const block_q4_k *)w;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int b = 0; b < nblocks / 8; b++, x++) {
        const __m128 dm = halves((const uint8_t *)&x->d);
        const float d = _mm_cvtss_f32(dm), dmin = _mm_cvtss_f32(_mm_movehdup_ps(dm));
        for (int j = 0; j < 8; j++) {
            const pagoda_q8_block *act = a + 8 * b + j;
            int scale, min;
            scale_min_k4(j, x->scales, &scale, &min);
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * (j / 2)));
            const __m256i q = _mm256_and_si256(j % 2 ? _mm256_srli_epi16(bytes, 4) : bytes, _mm256_set1_epi8(0x0F));
            const __m256i y = _mm256_loadu_si256((const __m256i *)act->qs);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)scale * act->d), dot_unsigned(q, y), acc);
            mins += dmin * (float)min * act->s;
        }
    }
    return sum8(acc) - mins;
}

// Q6_K: w = d·scale_g·(q − 32) per 16 elements g (see block_q6_k); chunk c of a half has
// the half's scales 2c and 2c+1.
TARGET float pagoda_dot_q6_k(const void *w, const pagoda_q8_block *a, int nblocks) {
    const block_q6_k *x = (const block_q6_k *)w;
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < nblocks / 8; b++, x++) {
        const float d = half_before((const uint8_t *)(x + 1));
        const int8_t *scales = x->scales;
        for (int half = 0; half < 2; half++) {
            for (int c = 0; c < 4; c++) {
                const pagoda_q8_block *act = a + 8 * b + 4 * half + c;
                const __m256i q = _mm256_sub_epi8(q6k_codes(x, half, c), _mm256_set1_epi8(32));
                const __m256i y = _mm256_loadu_si256((const __m256i *)act->qs);
                // Lanes 0-3 hold elements 0-15 (scale 2c), lanes 4-7 elements 16-31 (scale 2c+1).
                const float s0 = d * act->d * (float)scales[8 * half + 2 * c];
                const float s1 = d * act->d * (float)scales[8 * half + 2 * c + 1];
                const __m256 sv = _mm256_setr_ps(s0, s0, s0, s0, s1, s1, s1, s1);
                acc = _mm256_fmadd_ps(sv, dot_signed(q, y), acc);
            }
        }
    }
    return sum8(acc);
}

TARGET float pagoda_dot_decoded(const int8_t *codes, const float *scales16, const float *mins32, const pagoda_q8_block *a, int nblocks) {
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int b = 0; b < nblocks; b++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(codes + 32 * b));
        const __m256i y = _mm256_loadu_si256((const __m256i *)a[b].qs);
        const float s0 = scales16[2 * b] * a[b].d, s1 = scales16[2 * b + 1] * a[b].d;
        acc = _mm256_fmadd_ps(_mm256_setr_ps(s0, s0, s0, s0, s1, s1, s1, s1), dot_signed(q, y), acc);
        mins += mins32[b] * a[b].s;
    }
    return sum8(acc) + mins;
}

// y[r] = row r · a for rows [first, last) of a matrix of `type` (GGML number) whose rows are
// `row_bytes` apart, with the VNNI kernels if `vnni`; returns 0 if the type has no kernel.
int pagoda_matvec(int type, const void *base, long row_bytes, int first, int last, const pagoda_q8_block *a, int nblocks,
                  float *y, int vnni) {
    float (*dot)(const void *, const pagoda_q8_block *, int);
    switch (type) {
    case PAGODA_TYPE_Q4_0: dot = vnni ? pagoda_dot_q4_0_vnni : pagoda_dot_q4_0; break;
    case PAGODA_TYPE_Q4_1: dot = vnni ? pagoda_dot_q4_1_vnni : pagoda_dot_q4_1; break;
    case PAGODA_TYPE_Q5_0: dot = vnni ? pagoda_dot_q5_0_vnni : pagoda_dot_q5_0; break;
    case PAGODA_TYPE_Q8_0: dot = pagoda_dot_q8_0; break;
    case PAGODA_TYPE_Q4_K: dot = vnni ? pagoda_dot_q4_k_vnni : pagoda_dot_q4_k; break;
    case PAGODA_TYPE_Q6_K: dot = vnni ? pagoda_dot_q6_k_vnni : pagoda_dot_q6_k; break;
    default: return 0;
    }
    const uint8_t *p = (const uint8_t *)base;
    for (int r = first; r < last; r++) y[r] = dot(p + (long)r * row_bytes, a, nblocks);
    return 1;
}

int pagoda_matvec_tokens(int type, const void *base, long row_bytes, int first, int last, const pagoda_q8_block *a, int nblocks,
                         int tokens, float *y, long y_stride, int vnni) {
    void (*dot)(const void *, const pagoda_q8_block *, long, int, int, float *);
    switch (type) {
    case PAGODA_TYPE_Q4_0: dot = vnni ? pagoda_dot_q4_0_vnni_tokens : pagoda_dot_q4_0_tokens; break;
    case PAGODA_TYPE_Q4_1: dot = vnni ? pagoda_dot_q4_1_vnni_tokens : pagoda_dot_q4_1_tokens; break;
    case PAGODA_TYPE_Q5_0: dot = vnni ? pagoda_dot_q5_0_vnni_tokens : pagoda_dot_q5_0_tokens; break;
    default: return 0;
    }
    if (tokens < 2 || tokens > 3) return 0;
    const uint8_t *p = (const uint8_t *)base;
    for (int r = first; r < last; r++) {
        float out[3];
        dot(p + (long)r * row_bytes, a, nblocks, nblocks, tokens, out);
        for (int t = 0; t < tokens; t++) y[(long)t * y_stride + r] = out[t];
    }
    return 1;
}

#endif  // PAGODA_X86
