// Prefill matrix products: many tokens times a quantized weight matrix, with AVX-512 VNNI or
// AVX2 alone.
//
// Weight rows are unpacked eight at a time into unsigned 8-bit codes with a float scale and
// offset per 16 columns (w = scale · code + offset-term, see pagoda_unpack_row). The tokens'
// 8-bit activations are packed once per product into tiles of eight tokens whose bytes are
// interleaved four at a time, so that one vpdpbusd multiplies four codes of one weight row
// (broadcast) with four codes of each of the eight tokens (one per 32-bit lane). An 8 × 8
// (rows × tokens) tile of results stays in registers for the whole row: per 32 columns
// 64 vpdpbusd, then per row one int → float conversion and two fused multiply-adds. Without
// VNNI, each vpdpbusd becomes vpmaddubsw + vpmaddwd (see tile_8x8_avx2), and Q8_0 rows are
// read in place instead of unpacked (see gemm_q8_0_avx2).

#include "pagoda_kernels.h"
#include "simd_helpers.h"

// 32 columns of a tile of eight tokens.
typedef struct {
    int8_t codes[8][32];  // step k: token i's codes 4k…4k+3 at bytes 4i…4i+3
    float d[8];           // each token's block scale
    float s[8];           // d · Σ codes 0…31
    float s_low[8];       // d · Σ codes 0…15
    float s_high[8];      // d · Σ codes 16…31
} panel_block;

_Static_assert(sizeof(panel_block) == PAGODA_PANEL_BLOCK_BYTES, "panel block size");

long pagoda_panel_bytes(int tokens, int nblocks) {
    return (long)((tokens + 7) / 8) * nblocks * (long)sizeof(panel_block);
}

long pagoda_gemm_scratch_bytes(int nblocks) {
    // Eight rows of codes (32 bytes a block), scales and offsets (two floats each a block).
    return 8L * nblocks * (32 + 4 * (long)sizeof(float));
}

void pagoda_pack_activation_tiles(const pagoda_q8_block *a, int tokens, int nblocks, int first_tile, int last_tile, void *panel) {
    panel_block *out = (panel_block *)panel;
    for (int tile = first_tile; tile < last_tile; tile++) {
        for (int b = 0; b < nblocks; b++) {
            panel_block *pb = out + (long)tile * nblocks + b;
            for (int i = 0; i < 8; i++) {
                const int t = 8 * tile + i;
                if (t >= tokens) {
                    for (int k = 0; k < 8; k++) memset(&pb->codes[k][4 * i], 0, 4);
                    pb->d[i] = pb->s[i] = pb->s_low[i] = pb->s_high[i] = 0.0f;
                    continue;
                }
                const pagoda_q8_block *ab = a + (long)t * nblocks + b;
                for (int k = 0; k < 8; k++) memcpy(&pb->codes[k][4 * i], ab->qs + 4 * k, 4);
                int low = 0, high = 0;
                for (int j = 0; j < 16; j++) {
                    low += ab->qs[j];
                    high += ab->qs[j + 16];
                }
                pb->d[i] = ab->d;
                pb->s[i] = ab->s;
                pb->s_low[i] = ab->d * (float)low;
                pb->s_high[i] = ab->d * (float)high;
            }
        }
    }
}

#if PAGODA_X86

// Stores one block's 32 codes and the scale and offset of both 16-column halves.
TARGET static inline void put_block(uint8_t *codes, float *scales, float *offsets, int b, __m256i q,
                                    float scale, float offset) {
    _mm256_storeu_si256((__m256i *)(codes + 32 * b), q);
    scales[2 * b] = scales[2 * b + 1] = scale;
    offsets[2 * b] = offsets[2 * b + 1] = offset;
}

TARGET int pagoda_unpack_row(int type, const void *w, int nblocks, uint8_t *codes, float *scales, float *offsets) {
    switch (type) {
    case PAGODA_TYPE_Q4_0: {  // w = d·(q − 8)
        const block_q4_0 *x = (const block_q4_0 *)w;
        for (int b = 0; b < nblocks; b++) {
            const float d = half_to_float((const uint8_t *)&x[b].d);
            put_block(codes, scales, offsets, b, nibbles(x[b].qs), d, -8.0f * d);
        }
        return 1;
    }
    case PAGODA_TYPE_Q4_1: {  // w = d·q + m
        const block_q4_1 *x = (const block_q4_1 *)w;
        for (int b = 0; b < nblocks; b++) {
            const __m128 dm = halves((const uint8_t *)&x[b].d);
            put_block(codes, scales, offsets, b, nibbles(x[b].qs), _mm_cvtss_f32(dm), _mm_cvtss_f32(_mm_movehdup_ps(dm)));
        }
        return 1;
    }
    case PAGODA_TYPE_Q5_0: {  // w = d·(q − 16)
        const block_q5_0 *x = (const block_q5_0 *)w;
        for (int b = 0; b < nblocks; b++) {
            const float d = half_to_float((const uint8_t *)&x[b].d);
            put_block(codes, scales, offsets, b, q5_codes((const uint8_t *)&x[b]), d, -16.0f * d);
        }
        return 1;
    }
    case PAGODA_TYPE_Q8_0: {  // w = d·q with q signed; stored as q + 128, so w = d·code − 128·d
        const block_q8_0 *x = (const block_q8_0 *)w;
        for (int b = 0; b < nblocks; b++) {
            const float d = half_to_float((const uint8_t *)&x[b].d);
            const __m256i q = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)x[b].qs), _mm256_set1_epi8((char)0x80));
            put_block(codes, scales, offsets, b, q, d, -128.0f * d);
        }
        return 1;
    }
    case PAGODA_TYPE_Q4_K: {  // w = d·scale_j·q − dmin·min_j per 32 columns
        const block_q4_k *x = (const block_q4_k *)w;
        for (int sb = 0; sb < nblocks / 8; sb++) {
            const __m128 dm = halves((const uint8_t *)&x[sb].d);
            const float d = _mm_cvtss_f32(dm), dmin = _mm_cvtss_f32(_mm_movehdup_ps(dm));
            for (int j = 0; j < 8; j++) {
                int scale, min;
                scale_min_k4(j, x[sb].scales, &scale, &min);
                const __m256i bytes = _mm256_loadu_si256((const __m256i *)(x[sb].qs + 32 * (j / 2)));
                const __m256i q = _mm256_and_si256(j % 2 ? _mm256_srli_epi16(bytes, 4) : bytes, _mm256_set1_epi8(0x0F));
                put_block(codes, scales, offsets, 8 * sb + j, q, d * (float)scale, -dmin * (float)min);
            }
        }
        return 1;
    }
    case PAGODA_TYPE_Q6_K: {  // w = d·scale_g·(q − 32) per 16 columns
        const block_q6_k *x = (const block_q6_k *)w;
        for (int sb = 0; sb < nblocks / 8; sb++) {
            const float d = half_before((const uint8_t *)(x + sb + 1));
            for (int half = 0; half < 2; half++) {
                for (int c = 0; c < 4; c++) {
                    const int b = 8 * sb + 4 * half + c;
                    _mm256_storeu_si256((__m256i *)(codes + 32 * b), q6k_codes(&x[sb], half, c));
                    for (int g = 0; g < 2; g++) {
                        const float s = d * (float)x[sb].scales[8 * half + 2 * c + g];
                        scales[2 * b + g] = s;
                        offsets[2 * b + g] = -32.0f * s;
                    }
                }
            }
        }
        return 1;
    }
    default:
        return 0;
    }
}

TARGET static inline __m256i broadcast4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

// out[r][i] = row r · token i over all blocks for eight unpacked rows; per32 when every block
// has one scale and offset, else each 16-column half is scaled on its own.
VNNI static inline void tile_8x8(const uint8_t *codes, const float *scales, const float *offsets, long code_stride,
                                 long scale_stride, const panel_block *pb, int nblocks, int per16, float out[8][8]) {
    __m256 acc[8];
    for (int r = 0; r < 8; r++) acc[r] = _mm256_setzero_ps();
    for (int b = 0; b < nblocks; b++, pb++) {
        const __m256 d = _mm256_loadu_ps(pb->d);
        for (int half = 0; half < 2; half++) {
            if (half == 1 && !per16) break;
            const int k0 = per16 ? 4 * half : 0, k1 = per16 ? k0 + 4 : 8;
            __m256i dots[8];
            for (int r = 0; r < 8; r++) dots[r] = _mm256_setzero_si256();
            for (int k = k0; k < k1; k++) {
                const __m256i y = _mm256_loadu_si256((const __m256i *)pb->codes[k]);
                for (int r = 0; r < 8; r++) {
                    dots[r] = _mm256_dpbusd_epi32(dots[r], broadcast4(codes + r * code_stride + 32 * b + 4 * k), y);
                }
            }
            const __m256 sums = _mm256_loadu_ps(per16 ? (half ? pb->s_high : pb->s_low) : pb->s);
            for (int r = 0; r < 8; r++) {
                const float *scale = scales + r * scale_stride + 2 * b + half;
                const float *offset = offsets + r * scale_stride + 2 * b + half;
                const __m256 weight = _mm256_mul_ps(_mm256_set1_ps(*scale), d);
                acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dots[r]), weight, acc[r]);
                acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(*offset), sums, acc[r]);
            }
        }
    }
    for (int r = 0; r < 8; r++) _mm256_storeu_ps(out[r], acc[r]);
}

// The same tile with AVX2 alone: vpmaddubsw multiplies pairs of unsigned codes and signed
// activation bytes into 16-bit sums and vpmaddwd adds pairs of those into the 32-bit lanes
// (two instructions for vpdpbusd's one). Codes of 0…63 (every type but Q8_0, which has a
// tile of its own below) let two vpmaddubsw results add in 16 bits before widening:
// |Σ| ≤ 4 · 63 · 128 < 2^15.
//
// Defined twice from one body: on 256-bit registers for a tile of eight tokens, and on
// 128-bit ones for the first four only (a decode batch of 2–4 tokens, a prefill's last
// tile): half the work, and per token the same operations in the same order, so a token's
// result does not depend on how many others share its tile. VI/VF are the integer and
// float vector types, P the intrinsics' prefix, LOADI an integer load.
#define PAGODA_CAT(a, b) a##b
#define PAGODA_DEFINE_TILE_AVX2(name, VI, VF, P, LOADI)                                                                \
    TARGET __attribute__((always_inline)) static inline void name(                                                     \
        const uint8_t *codes, const float *scales, const float *offsets, long code_stride, long scale_stride,          \
        const panel_block *pb, int nblocks, int per16, float out[8][8]) {                                              \
        const VI ones = PAGODA_CAT(P, set1_epi16)(1);                                                                  \
        VF acc[8];                                                                                                     \
        for (int r = 0; r < 8; r++) acc[r] = PAGODA_CAT(P, setzero_ps)();                                              \
        for (int b = 0; b < nblocks; b++, pb++) {                                                                      \
            const VF d = PAGODA_CAT(P, loadu_ps)(pb->d);                                                               \
            for (int half = 0; half < 2; half++) {                                                                     \
                if (half == 1 && !per16) break;                                                                        \
                const int k0 = per16 ? 4 * half : 0, k1 = per16 ? k0 + 4 : 8;                                          \
                VI dots[8];                                                                                            \
                for (int r = 0; r < 8; r++) dots[r] = PAGODA_CAT(P, set1_epi32)(0);                                    \
                for (int k = k0; k < k1; k += 2) {                                                                     \
                    const VI y0 = LOADI((const VI *)pb->codes[k]), y1 = LOADI((const VI *)pb->codes[k + 1]);           \
                    for (int r = 0; r < 8; r++) {                                                                      \
                        const uint8_t *c = codes + r * code_stride + 32 * b + 4 * k;                                   \
                        int32_t c0, c1;                                                                                \
                        memcpy(&c0, c, 4);                                                                             \
                        memcpy(&c1, c + 4, 4);                                                                         \
                        const VI w0 = PAGODA_CAT(P, set1_epi32)(c0), w1 = PAGODA_CAT(P, set1_epi32)(c1);               \
                        const VI sums = PAGODA_CAT(P, madd_epi16)(PAGODA_CAT(P, add_epi16)(PAGODA_CAT(P, maddubs_epi16)(w0, y0), \
                                                                                          PAGODA_CAT(P, maddubs_epi16)(w1, y1)), \
                                                                  ones);                                               \
                        dots[r] = PAGODA_CAT(P, add_epi32)(dots[r], sums);                                             \
                    }                                                                                                  \
                }                                                                                                      \
                const VF sums = PAGODA_CAT(P, loadu_ps)(per16 ? (half ? pb->s_high : pb->s_low) : pb->s);              \
                for (int r = 0; r < 8; r++) {                                                                          \
                    const VF weight = PAGODA_CAT(P, mul_ps)(PAGODA_CAT(P, set1_ps)(scales[r * scale_stride + 2 * b + half]), d); \
                    const VF offset = PAGODA_CAT(P, set1_ps)(offsets[r * scale_stride + 2 * b + half]);                \
                    acc[r] = PAGODA_CAT(P, fmadd_ps)(PAGODA_CAT(P, cvtepi32_ps)(dots[r]), weight, acc[r]);             \
                    acc[r] = PAGODA_CAT(P, fmadd_ps)(offset, sums, acc[r]);                                            \
                }                                                                                                      \
            }                                                                                                          \
        }                                                                                                              \
        for (int r = 0; r < 8; r++) PAGODA_CAT(P, storeu_ps)(out[r], acc[r]);                                          \
    }

PAGODA_DEFINE_TILE_AVX2(tile_8x8_avx2, __m256i, __m256, _mm256_, _mm256_loadu_si256)
PAGODA_DEFINE_TILE_AVX2(tile_8x4_avx2, __m128i, __m128, _mm_, _mm_loadu_si128)

// The row loop both instruction sets share: eight rows unpacked into `scratch`, then every
// tile of eight tokens against them; TILE(tile, count, out) leaves row r · token i in
// out[r][i] for the tile's `count` tokens.
#define PAGODA_GEMM_ROWS(TILE)                                                                                        \
    const long code_stride = 32L * nblocks, scale_stride = 2L * nblocks;                                              \
    uint8_t *codes = (uint8_t *)scratch;                                                                              \
    float *scales = (float *)(codes + 8 * code_stride);                                                               \
    float *offsets = scales + 8 * scale_stride;                                                                       \
    const panel_block *tiles = (const panel_block *)panel;                                                            \
    for (int r0 = first; r0 < last; r0 += 8) {                                                                        \
        const int rows = last - r0 < 8 ? last - r0 : 8;                                                               \
        for (int r = 0; r < rows; r++) {                                                                              \
            const uint8_t *row = (const uint8_t *)base + (long)(r0 + r) * row_bytes;                                  \
            if (!pagoda_unpack_row(type, row, nblocks, codes + r * code_stride, scales + r * scale_stride,            \
                                   offsets + r * scale_stride)) {                                                     \
                return 0;                                                                                             \
            }                                                                                                         \
        }                                                                                                             \
        for (int r = rows; r < 8; r++) { /* padding rows contribute zeros and are not stored */                      \
            memset(codes + r * code_stride, 0, (size_t)code_stride);                                                  \
            memset(scales + r * scale_stride, 0, sizeof(float) * (size_t)scale_stride);                               \
            memset(offsets + r * scale_stride, 0, sizeof(float) * (size_t)scale_stride);                              \
        }                                                                                                             \
        for (int tile = 0; tile < (tokens + 7) / 8; tile++) {                                                         \
            float out[8][8];                                                                                          \
            const panel_block *pb = tiles + (long)tile * nblocks;                                                     \
            const int count = tokens - 8 * tile < 8 ? tokens - 8 * tile : 8;                                          \
            TILE;                                                                                                     \
            for (int r = 0; r < rows; r++) {                                                                          \
                for (int i = 0; i < count; i++) y[(long)(8 * tile + i) * y_stride + r0 + r] = out[r][i];              \
            }                                                                                                         \
        }                                                                                                             \
    }                                                                                                                 \
    return 1;

VNNI static int gemm_vnni(int type, const void *base, long row_bytes, int first, int last, const void *panel, int tokens,
                          int nblocks, float *y, long y_stride, void *scratch) {
    const int per16 = type == PAGODA_TYPE_Q6_K;
    PAGODA_GEMM_ROWS(tile_8x8(codes, scales, offsets, code_stride, scale_stride, pb, nblocks, per16, out))
}

// Q8_0 on AVX2, read in place: its codes are bytes already, so the tile broadcasts them
// straight from the weight rows and only the scales are converted (unpacking would copy the
// whole matrix once more per product: 146 MB for Qwen2.5-0.5B's output). vpmaddubsw takes
// |q| and each token's bytes with q's sign, exact for every code: activations stay within
// ±127, so a pair's sum is at most 2 · 128 · 127 < 2^15. Defined on 256-bit and 128-bit
// registers like the tile above.
#define PAGODA_DEFINE_TILE_Q8_0(name, VI, VF, P, LOADI)                                                               \
    TARGET __attribute__((always_inline)) static inline void name(const uint8_t *const rows[8], const float *scales,   \
                                                                  long scale_stride, const panel_block *pb, int nblocks, \
                                                                  float out[8][8]) {                                  \
        const VI ones = PAGODA_CAT(P, set1_epi16)(1);                                                                  \
        VF acc[8];                                                                                                     \
        for (int r = 0; r < 8; r++) acc[r] = PAGODA_CAT(P, setzero_ps)();                                              \
        for (int b = 0; b < nblocks; b++, pb++) {                                                                      \
            const VF d = PAGODA_CAT(P, loadu_ps)(pb->d);                                                               \
            VI dots[8];                                                                                                \
            for (int r = 0; r < 8; r++) dots[r] = PAGODA_CAT(P, set1_epi32)(0);                                        \
            for (int k = 0; k < 8; k += 2) {                                                                           \
                const VI y0 = LOADI((const VI *)pb->codes[k]), y1 = LOADI((const VI *)pb->codes[k + 1]);               \
                for (int r = 0; r < 8; r++) {                                                                          \
                    const uint8_t *c = rows[r] + (long)sizeof(block_q8_0) * b + 2 + 4 * k;                             \
                    int32_t c0, c1;                                                                                    \
                    memcpy(&c0, c, 4);                                                                                 \
                    memcpy(&c1, c + 4, 4);                                                                             \
                    const VI w0 = PAGODA_CAT(P, set1_epi32)(c0), w1 = PAGODA_CAT(P, set1_epi32)(c1);                   \
                    const VI p0 = PAGODA_CAT(P, maddubs_epi16)(PAGODA_CAT(P, abs_epi8)(w0), PAGODA_CAT(P, sign_epi8)(y0, w0)); \
                    const VI p1 = PAGODA_CAT(P, maddubs_epi16)(PAGODA_CAT(P, abs_epi8)(w1), PAGODA_CAT(P, sign_epi8)(y1, w1)); \
                    dots[r] = PAGODA_CAT(P, add_epi32)(dots[r], PAGODA_CAT(P, add_epi32)(PAGODA_CAT(P, madd_epi16)(p0, ones), \
                                                                                       PAGODA_CAT(P, madd_epi16)(p1, ones))); \
                }                                                                                                      \
            }                                                                                                          \
            for (int r = 0; r < 8; r++) {                                                                              \
                const VF weight = PAGODA_CAT(P, mul_ps)(PAGODA_CAT(P, set1_ps)(scales[r * scale_stride + b]), d);      \
                acc[r] = PAGODA_CAT(P, fmadd_ps)(PAGODA_CAT(P, cvtepi32_ps)(dots[r]), weight, acc[r]);                 \
            }                                                                                                          \
        }                                                                                                              \
        for (int r = 0; r < 8; r++) PAGODA_CAT(P, storeu_ps)(out[r], acc[r]);                                          \
    }

PAGODA_DEFINE_TILE_Q8_0(tile_q8_0_8x8_avx2, __m256i, __m256, _mm256_, _mm256_loadu_si256)
PAGODA_DEFINE_TILE_Q8_0(tile_q8_0_8x4_avx2, __m128i, __m128, _mm_, _mm_loadu_si128)

// The scratch holds eight rows of scales and a row of zeros for the padding rows of the
// last group (66 bytes a block, within pagoda_gemm_scratch_bytes).
TARGET static int gemm_q8_0_avx2(const void *base, long row_bytes, int first, int last, const void *panel, int tokens,
                                 int nblocks, float *y, long y_stride, void *scratch) {
    float *scales = (float *)scratch;
    uint8_t *zero_row = (uint8_t *)(scales + 8L * nblocks);
    memset(zero_row, 0, (size_t)row_bytes);
    const panel_block *tiles = (const panel_block *)panel;
    for (int r0 = first; r0 < last; r0 += 8) {
        const int rows = last - r0 < 8 ? last - r0 : 8;
        const uint8_t *row[8];
        for (int r = 0; r < 8; r++) {
            row[r] = r < rows ? (const uint8_t *)base + (long)(r0 + r) * row_bytes : zero_row;
            const block_q8_0 *x = (const block_q8_0 *)row[r];
            for (int b = 0; b < nblocks; b++) scales[(long)r * nblocks + b] = half_to_float((const uint8_t *)&x[b].d);
        }
        for (int tile = 0; tile < (tokens + 7) / 8; tile++) {
            float out[8][8];
            const panel_block *pb = tiles + (long)tile * nblocks;
            const int count = tokens - 8 * tile < 8 ? tokens - 8 * tile : 8;
            if (count <= 4) tile_q8_0_8x4_avx2(row, scales, nblocks, pb, nblocks, out);
            else tile_q8_0_8x8_avx2(row, scales, nblocks, pb, nblocks, out);
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < count; i++) y[(long)(8 * tile + i) * y_stride + r0 + r] = out[r][i];
            }
        }
    }
    return 1;
}

// A tile of at most four tokens takes the 128-bit kernel.
TARGET static int gemm_avx2(int type, const void *base, long row_bytes, int first, int last, const void *panel, int tokens,
                            int nblocks, float *y, long y_stride, void *scratch) {
    if (type == PAGODA_TYPE_Q8_0) return gemm_q8_0_avx2(base, row_bytes, first, last, panel, tokens, nblocks, y, y_stride, scratch);
    const int per16 = type == PAGODA_TYPE_Q6_K;
    PAGODA_GEMM_ROWS(if (count <= 4) tile_8x4_avx2(codes, scales, offsets, code_stride, scale_stride, pb, nblocks, per16, out);
                     else tile_8x8_avx2(codes, scales, offsets, code_stride, scale_stride, pb, nblocks, per16, out))
}

TARGET int pagoda_gemm(int type, const void *base, long row_bytes, int first, int last, const void *panel, int tokens,
                       int nblocks, float *y, long y_stride, void *scratch, int vnni) {
    return vnni ? gemm_vnni(type, base, row_bytes, first, last, panel, tokens, nblocks, y, y_stride, scratch)
                : gemm_avx2(type, base, row_bytes, first, last, panel, tokens, nblocks, y, y_stride, scratch);
}

#endif  // PAGODA_X86
