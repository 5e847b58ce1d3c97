// GGML's quantized block layouts, declared once (as ggml-common.h does) with their sizes
// checked at compile time against the bytes the GGUF format fixes. Every kernel names
// fields through these; the Swift side (Quant/*.swift) names the same offsets. Not part of
// the public header.
#ifndef PAGODA_BLOCK_LAYOUTS_H
#define PAGODA_BLOCK_LAYOUTS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

// GGML type numbers (GGMLType's raw values in Swift).
enum {
    PAGODA_TYPE_Q4_0 = 2,
    PAGODA_TYPE_Q4_1 = 3,
    PAGODA_TYPE_Q5_0 = 6,
    PAGODA_TYPE_Q8_0 = 8,
    PAGODA_TYPE_Q4_K = 12,
    PAGODA_TYPE_Q6_K = 14,
};

// Elements of a legacy block and of a K-quant super-block.
#define PAGODA_QK 32
#define PAGODA_QK_K 256

typedef uint16_t pagoda_half;  // IEEE binary16 bits

// Q4_0: w = d·(q − 8); element j < 16 in the low nibble of qs[j], j ≥ 16 in the high one.
typedef struct {
    pagoda_half d;
    uint8_t qs[PAGODA_QK / 2];
} block_q4_0;

// Q4_1: w = d·q + m, nibbles as Q4_0.
typedef struct {
    pagoda_half d;
    pagoda_half m;
    uint8_t qs[PAGODA_QK / 2];
} block_q4_1;

// Q5_0: w = d·(q − 16); nibbles as Q4_0, the fifth bit of element j is bit j of qh.
typedef struct {
    pagoda_half d;
    uint8_t qh[4];
    uint8_t qs[PAGODA_QK / 2];
} block_q5_0;

// Q8_0: w = d·q, q signed.
typedef struct {
    pagoda_half d;
    int8_t qs[PAGODA_QK];
} block_q8_0;

// Q4_K: 8 sub-blocks of 32; w = d·scale_j·q − dmin·min_j with 6-bit scales and mins packed
// in 12 bytes (scale_min_k4). Sub-block j uses the low (j even) or high (j odd) nibbles of
// qs[32·(j/2)…+31].
typedef struct {
    pagoda_half d;
    pagoda_half dmin;
    uint8_t scales[12];
    uint8_t qs[PAGODA_QK_K / 2];
} block_q4_k;

// Q6_K: two halves of 128; w = d·scale_g·(q − 32) per 16 elements g. In half h, chunk c
// (32 elements) takes the low (c < 2) or high nibbles of ql[64h + 32·(c & 1)…] and bits
// 2c…2c+1 of qh[32h…] (q6k_codes). d is the block's last 2 bytes.
typedef struct {
    uint8_t ql[PAGODA_QK_K / 2];
    uint8_t qh[PAGODA_QK_K / 4];
    int8_t scales[PAGODA_QK_K / 16];
    pagoda_half d;
} block_q6_k;

_Static_assert(sizeof(block_q4_0) == 18, "Q4_0 block is 18 bytes");
_Static_assert(sizeof(block_q4_1) == 20, "Q4_1 block is 20 bytes");
_Static_assert(sizeof(block_q5_0) == 22, "Q5_0 block is 22 bytes");
_Static_assert(sizeof(block_q8_0) == 34, "Q8_0 block is 34 bytes");
_Static_assert(sizeof(block_q4_k) == 144, "Q4_K block is 144 bytes");
_Static_assert(sizeof(block_q6_k) == 210, "Q6_K block is 210 bytes");
_Static_assert(offsetof(block_q6_k, d) == 208, "Q6_K's d is its last 2 bytes");

// The 6-bit scale and min of sub-block j of a Q4_K block's 12 packed bytes.
static inline void scale_min_k4(int j, const uint8_t *q, int *scale, int *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
        *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// A half's bits as a float, portably (for the plain-C decoders).
static inline float half_bits_to_float(pagoda_half h) {
    _Float16 f;
    memcpy(&f, &h, sizeof f);
    return (float)f;
}

#endif
