#include "pagoda_kernels.h"

#include <math.h>

#include "legacy_dot.h"
#include "simd_helpers.h"

int pagoda_kernels_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

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

// Q4_0: 18 bytes = d (f16), 16 bytes of nibbles. Q4_1: 20 bytes = d, m (f16), nibbles.
// Q5_0: 22 bytes = d (f16), qh (32 fifth bits), nibbles. See legacy_dot.h.
TARGET static inline __m256i q4_0_codes(const uint8_t *p) { return nibbles(p + 2); }
TARGET static inline __m256i q4_1_codes(const uint8_t *p) { return nibbles(p + 4); }

PAGODA_DEFINE_LEGACY_DOT(pagoda_dot_q4_0, TARGET, 18, q4_0_codes, PAGODA_OFFSET_Q4_0, dot_unsigned)
PAGODA_DEFINE_LEGACY_DOT(pagoda_dot_q4_1, TARGET, 20, q4_1_codes, PAGODA_OFFSET_Q4_1, dot_unsigned)
PAGODA_DEFINE_LEGACY_DOT(pagoda_dot_q5_0, TARGET, 22, q5_codes, PAGODA_OFFSET_Q5_0, dot_unsigned)

// Q8_0: 34 bytes = d (f16), 32 signed bytes; w = d * q.
TARGET float pagoda_dot_q8_0(const void *w, const pagoda_q8_block *a, int nblocks) {
    const uint8_t *p = (const uint8_t *)w;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int b = 0;
    for (; b + 1 < nblocks; b += 2, p += 68) {
        const __m256i q0 = _mm256_loadu_si256((const __m256i *)(p + 2)), q1 = _mm256_loadu_si256((const __m256i *)(p + 36));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(p) * a[b].d), dot_signed(q0, _mm256_loadu_si256((const __m256i *)a[b].qs)), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(p + 34) * a[b + 1].d), dot_signed(q1, _mm256_loadu_si256((const __m256i *)a[b + 1].qs)), acc1);
    }
    for (; b < nblocks; b++, p += 34) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(p + 2));
        acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(p) * a[b].d), dot_signed(q, _mm256_loadu_si256((const __m256i *)a[b].qs)), acc0);
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

// Q4_K: 144 bytes = d, dmin (f16), 12 bytes of scales/mins, 128 bytes of nibbles.
// Sub-block j (32 elements) uses the low (j even) or high (j odd) nibbles of
// bytes 32*(j/2)…+31; w = d*scale_j*q - dmin*min_j.
TARGET float pagoda_dot_q4_k(const void *w, const pagoda_q8_block *a, int nblocks) {
    const uint8_t *p = (const uint8_t *)w;
    __m256 acc = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int b = 0; b < nblocks / 8; b++, p += 144) {
        const float d = half_to_float(p), dmin = half_to_float(p + 2);
        for (int j = 0; j < 8; j++) {
            const pagoda_q8_block *act = a + 8 * b + j;
            int scale, min;
            scale_min_k4(j, p + 4, &scale, &min);
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(p + 16 + 32 * (j / 2)));
            const __m256i q = _mm256_and_si256(j % 2 ? _mm256_srli_epi16(bytes, 4) : bytes, _mm256_set1_epi8(0x0F));
            const __m256i y = _mm256_loadu_si256((const __m256i *)act->qs);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)scale * act->d), dot_unsigned(q, y), acc);
            mins += dmin * (float)min * act->s;
        }
    }
    return sum8(acc) - mins;
}

// Q6_K: 210 bytes = ql[128] (low 4 bits), qh[64] (high 2 bits), 16 int8 scales, d (f16).
// In each 128-element half, chunk c (32 elements) takes nibbles of ql[32*(c&1)…] (low for
// c < 2, high otherwise) and bits 2c…2c+1 of qh; its two 16-element groups have scales
// 2c and 2c+1 of the half. w = d*scale*(q - 32).
TARGET float pagoda_dot_q6_k(const void *w, const pagoda_q8_block *a, int nblocks) {
    const uint8_t *p = (const uint8_t *)w;
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < nblocks / 8; b++, p += 210) {
        const float d = _mm_cvtss_f32(_mm_movehdup_ps(halves(p + 206)));  // d is the block's last 2 bytes
        const int8_t *scales = (const int8_t *)(p + 192);
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = p + 64 * half, *qh = p + 128 + 32 * half;
            const __m256i high = _mm256_loadu_si256((const __m256i *)qh);
            for (int c = 0; c < 4; c++) {
                const pagoda_q8_block *act = a + 8 * b + 4 * half + c;
                const __m256i lowBytes = _mm256_loadu_si256((const __m256i *)(ql + 32 * (c & 1)));
                const __m256i low = _mm256_and_si256(c < 2 ? lowBytes : _mm256_srli_epi16(lowBytes, 4), _mm256_set1_epi8(0x0F));
                const __m256i top = _mm256_and_si256(_mm256_srli_epi16(high, 2 * c), _mm256_set1_epi8(3));
                const __m256i q = _mm256_sub_epi8(_mm256_or_si256(low, _mm256_slli_epi16(top, 4)), _mm256_set1_epi8(32));
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

// Decoders: plain C (vectorized by the compiler); each 32-element block gets 32 codes,
// two scales (one per 16) and one min.
int pagoda_decode_row(int type, const void *w, int nblocks, int8_t *codes, float *scales16, float *mins32) {
    const uint8_t *p = (const uint8_t *)w;
    switch (type) {
    case 2: case 3: case 6: case 8: {  // Q4_0, Q4_1, Q5_0, Q8_0
        const int size = type == 2 ? 18 : type == 3 ? 20 : type == 6 ? 22 : 34;
        for (int b = 0; b < nblocks; b++, p += size) {
            uint16_t hd; memcpy(&hd, p, 2);
            const float d = (float)*(const _Float16 *)&hd;
            int8_t *c = codes + 32 * b;
            scales16[2 * b] = scales16[2 * b + 1] = d;
            mins32[b] = 0.0f;
            if (type == 8) {
                memcpy(c, p + 2, 32);
                continue;
            }
            const uint8_t *qs = p + (type == 2 ? 2 : type == 3 ? 4 : 6);
            uint32_t qh = 0;
            if (type == 6) memcpy(&qh, p + 2, 4);
            for (int j = 0; j < 16; j++) {
                int lo = qs[j] & 0x0F, hi = qs[j] >> 4;
                if (type == 6) { lo |= ((qh >> j) & 1) << 4; hi |= ((qh >> (j + 16)) & 1) << 4; }
                const int offset = type == 2 ? 8 : type == 6 ? 16 : 0;
                c[j] = (int8_t)(lo - offset);
                c[j + 16] = (int8_t)(hi - offset);
            }
            if (type == 3) {
                uint16_t hm; memcpy(&hm, p + 2, 2);
                mins32[b] = (float)*(const _Float16 *)&hm;
            }
        }
        return 1;
    }
    case 12: {  // Q4_K
        for (int b = 0; b < nblocks / 8; b++, p += 144) {
            uint16_t hd, hm; memcpy(&hd, p, 2); memcpy(&hm, p + 2, 2);
            const float d = (float)*(const _Float16 *)&hd, dmin = (float)*(const _Float16 *)&hm;
            for (int j = 0; j < 8; j++) {
                int scale, min;
                scale_min_k4(j, p + 4, &scale, &min);
                const uint8_t *q = p + 16 + 32 * (j / 2);
                int8_t *c = codes + 32 * (8 * b + j);
                for (int l = 0; l < 32; l++) c[l] = (int8_t)(j % 2 ? q[l] >> 4 : q[l] & 0x0F);
                scales16[2 * (8 * b + j)] = scales16[2 * (8 * b + j) + 1] = d * (float)scale;
                mins32[8 * b + j] = -dmin * (float)min;
            }
        }
        return 1;
    }
    case 14: {  // Q6_K
        for (int b = 0; b < nblocks / 8; b++, p += 210) {
            uint16_t hd; memcpy(&hd, p + 208, 2);
            const float d = (float)*(const _Float16 *)&hd;
            const int8_t *sc = (const int8_t *)(p + 192);
            for (int half = 0; half < 2; half++) {
                const uint8_t *ql = p + 64 * half, *qh = p + 128 + 32 * half;
                for (int c = 0; c < 4; c++) {
                    const int chunk = 8 * b + 4 * half + c;
                    int8_t *out = codes + 32 * chunk;
                    for (int l = 0; l < 32; l++) {
                        const int lo = c < 2 ? ql[32 * (c & 1) + l] & 0x0F : ql[32 * (c & 1) + l] >> 4;
                        const int top = (qh[l] >> (2 * c)) & 3;
                        out[l] = (int8_t)((lo | (top << 4)) - 32);
                    }
                    scales16[2 * chunk] = d * (float)sc[8 * half + 2 * c];
                    scales16[2 * chunk + 1] = d * (float)sc[8 * half + 2 * c + 1];
                    mins32[chunk] = 0.0f;
                }
            }
        }
        return 1;
    }
    default:
        return 0;
    }
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
    case 2: dot = vnni ? pagoda_dot_q4_0_vnni : pagoda_dot_q4_0; break;
    case 3: dot = vnni ? pagoda_dot_q4_1_vnni : pagoda_dot_q4_1; break;
    case 6: dot = vnni ? pagoda_dot_q5_0_vnni : pagoda_dot_q5_0; break;
    case 8: dot = pagoda_dot_q8_0; break;
    case 12: dot = vnni ? pagoda_dot_q4_k_vnni : pagoda_dot_q4_k; break;
    case 14: dot = vnni ? pagoda_dot_q6_k_vnni : pagoda_dot_q6_k; break;
    default: return 0;
    }
    const uint8_t *p = (const uint8_t *)base;
    for (int r = first; r < last; r++) y[r] = dot(p + (long)r * row_bytes, a, nblocks);
    return 1;
}
