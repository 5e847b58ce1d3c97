// Weight rows decoded into signed 8-bit codes for prefill without VNNI: plain C (vectorized
// by the compiler, portable); each 32-element block gets 32 codes, two scales (one per 16)
// and one min, so that w = scale · code + min.
#include "pagoda_kernels.h"

#include <string.h>

#include "block_layouts.h"

// Codes and scales of one legacy block with signed codes q − offset (Q4_0, Q4_1, Q5_0).
static void decode_legacy(const uint8_t qs[16], uint32_t qh, int offset, float d, float m, int8_t *c, float *scales16, float *min32) {
    for (int j = 0; j < 16; j++) {
        const int lo = (qs[j] & 0x0F) | (int)(((qh >> j) & 1) << 4);
        const int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
        c[j] = (int8_t)(lo - offset);
        c[j + 16] = (int8_t)(hi - offset);
    }
    scales16[0] = scales16[1] = d;
    *min32 = m;
}

// Code l (0…31, unsigned 0…63) of chunk c of half `half` of a Q6_K block (see block_q6_k).
static inline int q6k_code(const block_q6_k *x, int half, int c, int l) {
    const uint8_t byte = x->ql[64 * half + 32 * (c & 1) + l];
    const int low = c < 2 ? byte & 0x0F : byte >> 4;
    const int top = (x->qh[32 * half + l] >> (2 * c)) & 3;
    return low | (top << 4);
}

int pagoda_decode_row(int type, const void *w, int nblocks, int8_t *codes, float *scales16, float *mins32) {
    switch (type) {
    case PAGODA_TYPE_Q4_0: {
        const block_q4_0 *x = (const block_q4_0 *)w;
        for (int b = 0; b < nblocks; b++)
            decode_legacy(x[b].qs, 0, 8, half_bits_to_float(x[b].d), 0.0f, codes + 32 * b, scales16 + 2 * b, mins32 + b);
        return 1;
    }
    case PAGODA_TYPE_Q4_1: {
        const block_q4_1 *x = (const block_q4_1 *)w;
        for (int b = 0; b < nblocks; b++)
            decode_legacy(x[b].qs, 0, 0, half_bits_to_float(x[b].d), half_bits_to_float(x[b].m), codes + 32 * b, scales16 + 2 * b, mins32 + b);
        return 1;
    }
    case PAGODA_TYPE_Q5_0: {
        const block_q5_0 *x = (const block_q5_0 *)w;
        for (int b = 0; b < nblocks; b++) {
            uint32_t qh;
            memcpy(&qh, x[b].qh, sizeof qh);
            decode_legacy(x[b].qs, qh, 16, half_bits_to_float(x[b].d), 0.0f, codes + 32 * b, scales16 + 2 * b, mins32 + b);
        }
        return 1;
    }
    case PAGODA_TYPE_Q8_0: {
        const block_q8_0 *x = (const block_q8_0 *)w;
        for (int b = 0; b < nblocks; b++) {
            memcpy(codes + 32 * b, x[b].qs, PAGODA_QK);
            scales16[2 * b] = scales16[2 * b + 1] = half_bits_to_float(x[b].d);
            mins32[b] = 0.0f;
        }
        return 1;
    }
    case PAGODA_TYPE_Q4_K: {
        const block_q4_k *x = (const block_q4_k *)w;
        for (int b = 0; b < nblocks / 8; b++) {
            const float d = half_bits_to_float(x[b].d), dmin = half_bits_to_float(x[b].dmin);
            for (int j = 0; j < 8; j++) {
                int scale, min;
                scale_min_k4(j, x[b].scales, &scale, &min);
                const uint8_t *q = x[b].qs + 32 * (j / 2);
                int8_t *c = codes + 32 * (8 * b + j);
                for (int l = 0; l < 32; l++) c[l] = (int8_t)(j % 2 ? q[l] >> 4 : q[l] & 0x0F);
                scales16[2 * (8 * b + j)] = scales16[2 * (8 * b + j) + 1] = d * (float)scale;
                mins32[8 * b + j] = -dmin * (float)min;
            }
        }
        return 1;
    }
    case PAGODA_TYPE_Q6_K: {
        const block_q6_k *x = (const block_q6_k *)w;
        for (int b = 0; b < nblocks / 8; b++) {
            const float d = half_bits_to_float(x[b].d);
            for (int half = 0; half < 2; half++) {
                for (int c = 0; c < 4; c++) {
                    const int chunk = 8 * b + 4 * half + c;
                    int8_t *out = codes + 32 * chunk;
                    for (int l = 0; l < 32; l++) out[l] = (int8_t)(q6k_code(&x[b], half, c, l) - 32);
                    scales16[2 * chunk] = d * (float)x[b].scales[8 * half + 2 * c];
                    scales16[2 * chunk + 1] = d * (float)x[b].scales[8 * half + 2 * c + 1];
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
