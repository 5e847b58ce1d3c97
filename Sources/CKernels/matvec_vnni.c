// Decode (mat-vec) dot products with AVX-512 VL + VNNI on 256-bit registers: vpdpbusd
// multiplies unsigned weight codes by signed activation codes and sums four products into
// each 32-bit lane in one instruction (AVX2 needs vpmaddubsw + vpmaddwd), and a 32-bit mask
// register expands Q5_0's fifth bits to bytes in one vmovdqu8. Same contracts and results
// (up to float rounding) as the AVX2 kernels in kernels.c.

#include "pagoda_kernels.h"
#include "legacy_dot.h"
#include "simd_helpers.h"

#if PAGODA_X86

// Σ of unsigned x times signed y per group of 4 bytes, as 8 floats.
VNNI static inline __m256 dot_u8(__m256i x, __m256i y) {
    return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), x, y));
}

VNNI static inline __m256i activation(const pagoda_q8_block *a) {
    return _mm256_loadu_si256((const __m256i *)a->qs);
}

// Q5_0 codes (0…31): the nibbles with the fifth bits of qh as a byte mask.
VNNI static inline __m256i q5_codes_masked(const uint8_t *p) {
    const block_q5_0 *x = (const block_q5_0 *)p;
    uint32_t bits;
    memcpy(&bits, x->qh, sizeof bits);
    return _mm256_or_si256(nibbles(x->qs), _mm256_maskz_mov_epi8((__mmask32)bits, _mm256_set1_epi8(0x10)));
}

VNNI static inline __m256i q4_0_codes(const uint8_t *p) { return nibbles(((const block_q4_0 *)p)->qs); }
VNNI static inline __m256i q4_1_codes(const uint8_t *p) { return nibbles(((const block_q4_1 *)p)->qs); }

// Q4_0, Q4_1 and Q5_0: see legacy_dot.h.
PAGODA_DEFINE_LEGACY_DOT(pagoda_dot_q4_0_vnni, VNNI, sizeof(block_q4_0), q4_0_codes, PAGODA_OFFSET_Q4_0, dot_u8)
PAGODA_DEFINE_LEGACY_DOT(pagoda_dot_q4_1_vnni, VNNI, sizeof(block_q4_1), q4_1_codes, PAGODA_OFFSET_Q4_1, dot_u8)
PAGODA_DEFINE_LEGACY_DOT(pagoda_dot_q5_0_vnni, VNNI, sizeof(block_q5_0), q5_codes_masked, PAGODA_OFFSET_Q5_0, dot_u8)
PAGODA_DEFINE_LEGACY_DOT_TOKENS(pagoda_dot_q4_0_vnni_tokens, VNNI, sizeof(block_q4_0), q4_0_codes, PAGODA_OFFSET_Q4_0, dot_u8)
PAGODA_DEFINE_LEGACY_DOT_TOKENS(pagoda_dot_q4_1_vnni_tokens, VNNI, sizeof(block_q4_1), q4_1_codes, PAGODA_OFFSET_Q4_1, dot_u8)
PAGODA_DEFINE_LEGACY_DOT_TOKENS(pagoda_dot_q5_0_vnni_tokens, VNNI, sizeof(block_q5_0), q5_codes_masked, PAGODA_OFFSET_Q5_0, dot_u8)

// The eight 6-bit scales (bytes 0…7) and mins (bytes 8…15) of a Q4_K block's 12 packed
// bytes, unpacked with 32-bit masks instead of one sub-block at a time.
static inline void scales_mins_k4(const uint8_t *packed, uint8_t out[16]) {
    uint32_t u[4];
    memcpy(u, packed, 12);
    const uint32_t low6 = 0x3f3f3f3f, low4 = 0x0f0f0f0f, top2 = 0x03030303;
    u[3] = ((u[2] >> 4) & low4) | (((u[1] >> 6) & top2) << 4);
    const uint32_t mins_low = u[1] & low6;
    u[1] = (u[2] & low4) | (((u[0] >> 6) & top2) << 4);
    u[2] = mins_low;
    u[0] &= low6;
    memcpy(out, u, 16);
}

// Q4_K: w = d·scale_j·q − dmin·min_j per 32 columns j.
VNNI float pagoda_dot_q4_k_vnni(const void *w, const pagoda_q8_block *a, int nblocks) {
    const block_q4_k *x = (const block_q4_k *)w;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float mins = 0.0f;
    for (int sb = 0; sb < nblocks / 8; sb++, x++) {
        const __m128 dm = halves((const uint8_t *)&x->d);
        const float d = _mm_cvtss_f32(dm), dmin = _mm_cvtss_f32(_mm_movehdup_ps(dm));
        uint8_t sm[16];
        scales_mins_k4(x->scales, sm);
        const pagoda_q8_block *act = a + 8 * sb;
        float block_mins = 0.0f;
        for (int pair = 0; pair < 4; pair++) {
            const __m256i bytes = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * pair));
            const __m256i low = _mm256_and_si256(bytes, _mm256_set1_epi8(0x0F));
            const __m256i high = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), _mm256_set1_epi8(0x0F));
            const pagoda_q8_block *a0 = act + 2 * pair, *a1 = a0 + 1;
            acc0 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sm[2 * pair] * a0->d), dot_u8(low, activation(a0)), acc0);
            acc1 = _mm256_fmadd_ps(_mm256_set1_ps(d * (float)sm[2 * pair + 1] * a1->d), dot_u8(high, activation(a1)), acc1);
            block_mins += (float)sm[8 + 2 * pair] * a0->s + (float)sm[8 + 2 * pair + 1] * a1->s;
        }
        mins += dmin * block_mins;
    }
    return sum8(_mm256_add_ps(acc0, acc1)) - mins;
}

// Q6_K: w = d·scale_g·(q − 32) per 16 columns g; Σ (q − 32)·y = Σ q·y − Σ 32·y, both by vpdpbusd.
VNNI float pagoda_dot_q6_k_vnni(const void *w, const pagoda_q8_block *a, int nblocks) {
    const block_q6_k *x = (const block_q6_k *)w;
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const __m256i thirty_two = _mm256_set1_epi8(32);
    for (int sb = 0; sb < nblocks / 8; sb++, x++) {
        const float d = half_before((const uint8_t *)(x + 1));
        // The 16 scales times d as floats: lanes 0…7 for the first half, 8…15 for the second.
        const __m128i sc = _mm_loadu_si128((const __m128i *)x->scales);
        const __m256 dv = _mm256_set1_ps(d);
        const __m256 scales[2] = {
            _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(sc))),
            _mm256_mul_ps(dv, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(sc, 8)))),
        };
        for (int half = 0; half < 2; half++) {
            for (int c = 0; c < 4; c++) {
                const pagoda_q8_block *act = a + 8 * sb + 4 * half + c;
                const __m256i q = q6k_codes(x, half, c);
                const __m256i y = activation(act);
                const __m256i sums = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), q, y),
                                                      _mm256_dpbusd_epi32(_mm256_setzero_si256(), thirty_two, y));
                // Lanes 0-3 hold columns 0-15 (scale 2c), lanes 4-7 columns 16-31 (scale 2c+1).
                const __m256i pick = _mm256_setr_epi32(2 * c, 2 * c, 2 * c, 2 * c, 2 * c + 1, 2 * c + 1, 2 * c + 1, 2 * c + 1);
                const __m256 s = _mm256_mul_ps(_mm256_permutevar8x32_ps(scales[half], pick), _mm256_set1_ps(act->d));
                if (c % 2) acc1 = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(sums), acc1);
                else acc0 = _mm256_fmadd_ps(s, _mm256_cvtepi32_ps(sums), acc0);
            }
        }
    }
    return sum8(_mm256_add_ps(acc0, acc1));
}

#endif  // PAGODA_X86
