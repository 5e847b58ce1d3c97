// Small AVX2 helpers shared by the x86 kernel files (not part of the public header). Every
// file that includes it guards its x86 code with PAGODA_X86; elsewhere this is empty.
#ifndef PAGODA_SIMD_HELPERS_H
#define PAGODA_SIMD_HELPERS_H

#include "pagoda_kernels.h"
#include "block_layouts.h"

#if PAGODA_X86
#include <stdint.h>
#include <string.h>
#include <immintrin.h>

// The instruction sets a function may use: AVX2 (with FMA and F16C), and AVX-512 VL + VNNI
// on 256-bit registers (which also gives 32 of them). Callers check the CPU first
// (pagoda_cpu_kernel_level, through Swift's KernelSet).
#define TARGET __attribute__((target("avx2,fma,f16c")))
#define VNNI __attribute__((target("avx512vnni,avx512vl,avx512bw,avx512f,avx2,fma,f16c")))

// The two halves at p (4 bytes, so it must not be the last 2 bytes of a buffer) as floats.
// A zero-extending vmovd depends on nothing; a vpinsrw (what the compiler makes of a 2-byte
// load) merges into whatever register is free, often an accumulator, which chains each block
// to the one before (measured: Q4_1 mat-vec 8 → 12+ GB/s on one core without it).
TARGET static inline __m128 halves(const uint8_t *p) {
    uint32_t h;
    memcpy(&h, p, 4);
    __m128i v = _mm_cvtsi32_si128((int)h);
    __asm__("" : "+x"(v));  // keep the vmovd: the compiler would narrow it to a vpinsrw
    return _mm_cvtph_ps(v);
}

// The half at p (followed by at least 2 more bytes of the buffer).
TARGET static inline float half_to_float(const uint8_t *p) {
    return _mm_cvtss_f32(halves(p));
}

// The half in the 2 bytes before `end`, as the upper of a 4-byte load that stays before
// `end` (for a field at the end of a block, as Q6_K's d).
TARGET static inline float half_before(const uint8_t *end) {
    return _mm_cvtss_f32(_mm_movehdup_ps(halves(end - 4)));
}

// The 32 nibbles of 16 bytes as 32 bytes: low nibbles (elements 0..15) then high (16..31).
TARGET static inline __m256i nibbles(const uint8_t *p) {
    const __m128i t = _mm_loadu_si128((const __m128i *)p);
    const __m256i bytes = _mm256_insertf128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
    return _mm256_and_si256(_mm256_set1_epi8(0x0F), bytes);
}

// 0xFF where bit i of the 32-bit word at p is set, for each of the 32 bytes.
TARGET static inline __m256i bits_as_bytes(const uint8_t *p) {
    uint32_t w;
    memcpy(&w, p, 4);
    const __m256i shuffle = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0x0000000000000000);
    __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)w), shuffle);
    bytes = _mm256_or_si256(bytes, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
    return _mm256_cmpeq_epi8(bytes, _mm256_set1_epi64x(-1));
}

// Pairwise sums of unsigned x times signed y, widened to 8 floats.
TARGET static inline __m256 dot_unsigned(__m256i x, __m256i y) {
    const __m256i pairs = _mm256_maddubs_epi16(x, y);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

// Signed x times signed y: |x| times y with x's sign.
TARGET static inline __m256 dot_signed(__m256i x, __m256i y) {
    return dot_unsigned(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

TARGET static inline float sum8(__m256 v) {
    __m128 r = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    return _mm_cvtss_f32(r);
}

// e^x: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor polynomial to r⁶ (relative error
// below 2e-7), times 2^n from the exponent bits. x is clamped to [−87.3, 88]: below, about
// 1e-38 instead of underflowing further; above, about 1.7e38 instead of infinity.
TARGET static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);  // ln 2 in two parts
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

// Q5_0 codes (0…31) of the block at p: the nibbles with the fifth bits of qh.
TARGET static inline __m256i q5_codes(const uint8_t *p) {
    const block_q5_0 *x = (const block_q5_0 *)p;
    const __m256i high = _mm256_and_si256(bits_as_bytes(x->qh), _mm256_set1_epi8(0x10));
    return _mm256_or_si256(nibbles(x->qs), high);
}

// The 32 unsigned codes (0…63) of chunk c (0…3) of half `half` (0, 1) of a Q6_K block: the
// low 4 bits from ql, the top 2 from qh (see block_q6_k). Subtract 32 for the signed value.
TARGET static inline __m256i q6k_codes(const block_q6_k *x, int half, int c) {
    const __m256i low_bytes = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * half + 32 * (c & 1)));
    const __m256i low = _mm256_and_si256(c < 2 ? low_bytes : _mm256_srli_epi16(low_bytes, 4), _mm256_set1_epi8(0x0F));
    const __m256i high = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * half));
    const __m256i top = _mm256_and_si256(_mm256_srli_epi16(high, 2 * c), _mm256_set1_epi8(3));
    return _mm256_or_si256(low, _mm256_slli_epi16(top, 4));
}

#endif  // PAGODA_X86
#endif
