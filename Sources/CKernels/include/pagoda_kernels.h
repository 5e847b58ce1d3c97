#ifndef PAGODA_KERNELS_H
#define PAGODA_KERNELS_H

#include <stdint.h>

// SIMD kernels for x86-64: integer dot products of quantized weight blocks with 8-bit
// activations, float products, attention tiles, conversions. Two sets, AVX2 (with FMA and
// F16C) and AVX-512 VL + VNNI, chosen at run time from pagoda_cpu_kernel_level (Swift's
// KernelSet); every kernel has a scalar Swift twin that the tests compare it with and that
// runs everywhere else. On other architectures only pagoda_cpu_kernel_level and the portable
// functions are built, and it returns 0, so no kernel is ever called. Defining
// PAGODA_PORTABLE_ONLY builds an x86 machine the same way (the CI's check of that build).

#if (defined(__x86_64__) || defined(__i386__)) && !defined(PAGODA_PORTABLE_ONLY)
#define PAGODA_X86 1
#else
#define PAGODA_X86 0
#endif

// 32 activations: scale d, s = d * sum(qs), and the codes.
typedef struct {
    float d;
    float s;
    int8_t qs[32];
} pagoda_q8_block;

// The best kernel set this CPU runs: 0 none (scalar only), 1 AVX2 + FMA + F16C,
// 2 also AVX-512 F, BW, VL and VNNI. Always 0 on other architectures than x86.
int pagoda_cpu_kernel_level(void);

// Quantizes n floats (a multiple of 32) into n/32 blocks: d = max|x| / 127,
// qs = nearest-even(x / d).
void pagoda_quantize_q8(const float *x, int n, pagoda_q8_block *out);

// Sum over nblocks blocks of weight row `w` (GGML layout) times activations `a`.
float pagoda_dot_q4_0(const void *w, const pagoda_q8_block *a, int nblocks);
float pagoda_dot_q4_1(const void *w, const pagoda_q8_block *a, int nblocks);
float pagoda_dot_q5_0(const void *w, const pagoda_q8_block *a, int nblocks);
float pagoda_dot_q8_0(const void *w, const pagoda_q8_block *a, int nblocks);
// K-quants: nblocks counts 32-element activation blocks (8 per 256-element weight block).
float pagoda_dot_q4_k(const void *w, const pagoda_q8_block *a, int nblocks);
float pagoda_dot_q6_k(const void *w, const pagoda_q8_block *a, int nblocks);

// The same with AVX-512 VL + VNNI (vpdpbusd; needs level 2).
float pagoda_dot_q4_0_vnni(const void *w, const pagoda_q8_block *a, int nblocks);
float pagoda_dot_q4_1_vnni(const void *w, const pagoda_q8_block *a, int nblocks);
float pagoda_dot_q5_0_vnni(const void *w, const pagoda_q8_block *a, int nblocks);
float pagoda_dot_q4_k_vnni(const void *w, const pagoda_q8_block *a, int nblocks);
float pagoda_dot_q6_k_vnni(const void *w, const pagoda_q8_block *a, int nblocks);

// y[r] = row r · a for rows [first, last), with the VNNI kernels where there is one if
// `vnni` is 1; 0 if the type has no kernel.
int pagoda_matvec(int type, const void *base, long row_bytes, int first, int last, const pagoda_q8_block *a, int nblocks,
                  float *y, int vnni);

// The Q4_0, Q4_1 and Q5_0 dots for 2 or 3 tokens at once (token t's blocks at a + t·a_stride,
// its result in out[t]), each block's codes decoded once for all of them; every result is
// bit-identical to the single-token kernel's for that token.
void pagoda_dot_q4_0_tokens(const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens, float *out);
void pagoda_dot_q4_1_tokens(const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens, float *out);
void pagoda_dot_q5_0_tokens(const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens, float *out);
void pagoda_dot_q4_0_vnni_tokens(const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens, float *out);
void pagoda_dot_q4_1_vnni_tokens(const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens, float *out);
void pagoda_dot_q5_0_vnni_tokens(const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens, float *out);

// y[t·y_stride + r] = row r · token t for rows [first, last) and `tokens` (2 or 3) tokens of
// `nblocks` blocks each, one after the other, with the kernels above; 0 (nothing written)
// for another type or token count.
int pagoda_matvec_tokens(int type, const void *base, long row_bytes, int first, int last, const pagoda_q8_block *a, int nblocks,
                         int tokens, float *y, long y_stride, int vnni);

// For prefill: a weight row decoded once into signed 8-bit codes with a scale per 16
// elements and a min term per 32 (w = scale * code + min), then dotted with many tokens.
// `type` is the GGML type number; returns 0 if the type has no decoder.
int pagoda_decode_row(int type, const void *w, int nblocks, int8_t *codes, float *scales16, float *mins32);
float pagoda_dot_decoded(const int8_t *codes, const float *scales16, const float *mins32, const pagoda_q8_block *a, int nblocks);

// Products of many tokens (prefill, decode batches) with AVX-512 VNNI or AVX2 (gemm.c).
#define PAGODA_PANEL_BLOCK_BYTES 384

// Bytes of the packed activations of `tokens` tokens of `nblocks` blocks each, and of the
// per-thread scratch pagoda_gemm needs for rows of `nblocks` blocks.
long pagoda_panel_bytes(int tokens, int nblocks);
long pagoda_gemm_scratch_bytes(int nblocks);

// Packs activations (`tokens` × `nblocks` blocks, token after token) into tiles of eight
// tokens, padding the last tile with zeros: tiles [first_tile, last_tile) only, so threads
// can pack disjoint tiles. Done once per product; every thread reads the panel. Portable C.
void pagoda_pack_activation_tiles(const pagoda_q8_block *a, int tokens, int nblocks, int first_tile, int last_tile, void *panel);

// One weight row as unsigned 8-bit codes with, per 16 columns g, a scale and an offset such
// that Σ w·x over the 16 = scale_g · Σ code·q + offset_g · d · Σ q for activations d·q.
// 0 if the type has none.
int pagoda_unpack_row(int type, const void *w, int nblocks, uint8_t *codes, float *scales16, float *offsets16);

// y[t·y_stride + r] = row r · token t for rows [first, last) and every packed token;
// `scratch` holds pagoda_gemm_scratch_bytes(nblocks). With `vnni` 1 the AVX-512 VNNI kernel
// (level 2), else the AVX2 one (level 1). 0 if the type has no kernel.
int pagoda_gemm(int type, const void *base, long row_bytes, int first, int last, const void *panel, int tokens,
                int nblocks, float *y, long y_stride, void *scratch, int vnni);

#endif

#ifndef PAGODA_KERNELS_ATTENTION
#define PAGODA_KERNELS_ATTENTION
// Online-softmax step of one query `q` (d floats) over `rows` keys and values (IEEE halves if
// f16, else floats). Keys are dimension-major: key j's element i at keys[i · key_stride + j];
// values are token-major: value j's element i at values[j · d + i]. Scores s_j = scale · q·k_j,
// then with state = {running max M, running sum S} and `out` the running output O:
// M' = max(M, max s_j), c = e^(M − M'), S' = c·S + Σ e^(s_j − M'), O' = c·O + Σ e^(s_j − M')·v_j.
// `scores` (rows floats) is scratch.
void pagoda_attend_tile(const float *q, const void *keys, int key_stride, const void *values, int rows, int d, int f16,
                        float scale, float *state, float *out, float *scores);

// Query heads one pass of pagoda_attend_tile_heads reads a tile for; its `scores` scratch
// holds this many rows.
#define PAGODA_ATTEND_HEADS_PER_PASS 3

// The same step for `heads` query heads sharing the tile (needs AVX-512 VL: level 2): query h at q + h·d, its {M, S} at state + h·state_stride, its O at
// out + h·out_stride; `scores` holds PAGODA_ATTEND_HEADS_PER_PASS · rows floats. Each key and value element is read
// once for up to three heads.
void pagoda_attend_tile_heads(const float *q, int heads, const void *keys, int key_stride, const void *values, int rows, int d,
                              int f16, float scale, float *state, int state_stride, float *out, int out_stride, float *scores);

// Stores n floats as one key of a dimension-major tile: x[i] at tile[i · stride] (as halves
// if f16).
void pagoda_store_key(const float *x, int n, void *tile, int stride, int f16);
#endif

#ifndef PAGODA_KERNELS_ELEMENTWISE
#define PAGODA_KERNELS_ELEMENTWISE
// gate[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^−gate[i]) · up[i].
void pagoda_swiglu(float *gate, const float *up, int n);
// Σ a[i] · b[i] with FMA, eight lanes times four sums (the float matrix path: F32, F16, BF16 weights).
float pagoda_dot_f32(const float *a, const float *b, int n);
#endif

#ifndef PAGODA_KERNELS_CONVERT
#define PAGODA_KERNELS_CONVERT
// IEEE half <-> float for n values (F16C), for the f16 KV cache.
void pagoda_f16_to_f32(const uint16_t *x, float *y, int n);
void pagoda_f32_to_f16(const float *x, uint16_t *y, int n);
#endif

#ifndef PAGODA_KERNELS_DENSE
#define PAGODA_KERNELS_DENSE
// C[m × n] += alpha · A[m × k] · B[k × n], row-major with leading dimensions lda, ldb, ldc
// (AVX2 + FMA). With first_row ≥ 0, C is the block of a symmetric result whose first row is
// row first_row of the whole, and only tiles touching the upper triangle (column ≥ row) are
// computed; the rest of C is left as it was. first_row < 0 computes every element.
void pagoda_sgemm(int m, int n, int k, const float *a, long lda, const float *b, long ldb, float *c, long ldc, float alpha,
                  int first_row);
// Σ a[i] · b[i] in double with FMA, four sums of four lanes.
double pagoda_dot_f64(const double *a, const double *b, int n);
#endif
