// On other architectures than x86-64 the SIMD kernels are not built: pagoda_cpu_kernel_level
// returns 0, so KernelSet is `scalar` and Swift runs the scalar twins. These definitions
// only satisfy the linker; reaching one is a bug, reported loudly before stopping.
#include "pagoda_kernels.h"

#if !PAGODA_X86
#include <stdio.h>
#include <stdlib.h>

static void unavailable(const char *name) {
    fprintf(stderr, "pagoda: internal error: the x86 kernel %s was called on a CPU without it\n", name);
    abort();
}

#define UNAVAILABLE(ret, name, ...) \
    ret name(__VA_ARGS__) { unavailable(#name); return (ret)0; }
#define UNAVAILABLE_VOID(name, ...) \
    void name(__VA_ARGS__) { unavailable(#name); }

UNAVAILABLE_VOID(pagoda_quantize_q8, const float *x, int n, pagoda_q8_block *out)
UNAVAILABLE(float, pagoda_dot_q4_0, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(float, pagoda_dot_q4_1, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(float, pagoda_dot_q5_0, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(float, pagoda_dot_q8_0, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(float, pagoda_dot_q4_k, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(float, pagoda_dot_q6_k, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(float, pagoda_dot_q4_0_vnni, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(float, pagoda_dot_q4_1_vnni, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(float, pagoda_dot_q5_0_vnni, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(float, pagoda_dot_q4_k_vnni, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(float, pagoda_dot_q6_k_vnni, const void *w, const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(int, pagoda_matvec, int type, const void *base, long row_bytes, int first, int last, const pagoda_q8_block *a,
            int nblocks, float *y, int vnni)
UNAVAILABLE_VOID(pagoda_dot_q4_0_tokens, const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens, float *out)
UNAVAILABLE_VOID(pagoda_dot_q4_1_tokens, const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens, float *out)
UNAVAILABLE_VOID(pagoda_dot_q5_0_tokens, const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens, float *out)
UNAVAILABLE_VOID(pagoda_dot_q4_0_vnni_tokens, const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens,
                 float *out)
UNAVAILABLE_VOID(pagoda_dot_q4_1_vnni_tokens, const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens,
                 float *out)
UNAVAILABLE_VOID(pagoda_dot_q5_0_vnni_tokens, const void *w, const pagoda_q8_block *a, long a_stride, int nblocks, int tokens,
                 float *out)
UNAVAILABLE(int, pagoda_matvec_tokens, int type, const void *base, long row_bytes, int first, int last, const pagoda_q8_block *a,
            int nblocks, int tokens, float *y, long y_stride, int vnni)
UNAVAILABLE(float, pagoda_dot_decoded, const int8_t *codes, const float *scales16, const float *mins32,
            const pagoda_q8_block *a, int nblocks)
UNAVAILABLE(int, pagoda_unpack_row, int type, const void *w, int nblocks, uint8_t *codes, float *scales16, float *offsets16)
UNAVAILABLE(int, pagoda_gemm, int type, const void *base, long row_bytes, int first, int last, const void *panel, int tokens,
            int nblocks, float *y, long y_stride, void *scratch, int vnni)
UNAVAILABLE_VOID(pagoda_attend_tile, const float *q, const void *keys, int key_stride, const void *values, int rows, int d,
                 int f16, float scale, float *state, float *out, float *scores)
UNAVAILABLE_VOID(pagoda_attend_tile_heads, const float *q, int heads, const void *keys, int key_stride, const void *values,
                 int rows, int d, int f16, float scale, float *state, int state_stride, float *out, int out_stride,
                 float *scores)
UNAVAILABLE_VOID(pagoda_store_key, const float *x, int n, void *tile, int stride, int f16)
UNAVAILABLE_VOID(pagoda_swiglu, float *gate, const float *up, int n)
UNAVAILABLE(float, pagoda_dot_f32, const float *a, const float *b, int n)
UNAVAILABLE_VOID(pagoda_f16_to_f32, const uint16_t *x, float *y, int n)
UNAVAILABLE_VOID(pagoda_f32_to_f16, const float *x, uint16_t *y, int n)
UNAVAILABLE_VOID(pagoda_sgemm, int m, int n, int k, const float *a, long lda, const float *b, long ldb, float *c, long ldc,
                 float alpha, int first_row)
UNAVAILABLE(double, pagoda_dot_f64, const double *a, const double *b, int n)
#endif
