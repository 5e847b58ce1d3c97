// Dense float linear algebra for calibrated quantization (GPTQ, AWQ): a float matrix
// product on AVX2 + FMA, and a double dot product for the Cholesky factorizations.
//
// The product keeps a 6 × 16 tile of C in twelve registers while it walks K: per step one
// row of B (16 floats, two loads) and six broadcasts of A. K is cut into panels of 256 and,
// where several tiles read it, each 16-column strip of a panel is first copied to a
// contiguous buffer (16 KB), which stays in L1 across the tiles below it: read in place, its
// rows lie ldb floats apart and for the usual widths (896, 1152, 4864) fall into a few of
// L1's sets and evict each other.
// M is cut into blocks of 192 rows, so the block of A the tiles read (192 KB) stays in L2
// while every strip of B passes it (A is read from memory once per panel, not per strip).

#include "pagoda_kernels.h"
#include "simd_helpers.h"

#if PAGODA_X86

enum { TILE_ROWS = 6, TILE_COLUMNS = 16, K_PANEL = 256, M_BLOCK = 192 };

// C[rows × 16] += alpha · A[rows × k] · B[k × 16] for rows ≤ 6 (full 16 columns).
TARGET static void tile_full(int rows, int k, const float *a, long lda, const float *b, long ldb, float *c, long ldc, float alpha) {
    __m256 acc[TILE_ROWS][2];
    for (int r = 0; r < TILE_ROWS; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    if (rows == TILE_ROWS) {
        for (int p = 0; p < k; p++) {
            const __m256 b0 = _mm256_loadu_ps(b + p * ldb), b1 = _mm256_loadu_ps(b + p * ldb + 8);
            for (int r = 0; r < TILE_ROWS; r++) {
                const __m256 x = _mm256_broadcast_ss(a + r * lda + p);
                acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
            }
        }
    } else {
        for (int p = 0; p < k; p++) {
            const __m256 b0 = _mm256_loadu_ps(b + p * ldb), b1 = _mm256_loadu_ps(b + p * ldb + 8);
            for (int r = 0; r < rows; r++) {
                const __m256 x = _mm256_broadcast_ss(a + r * lda + p);
                acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
            }
        }
    }
    const __m256 s = _mm256_set1_ps(alpha);
    for (int r = 0; r < rows; r++) {
        float *out = c + r * ldc;
        _mm256_storeu_ps(out, _mm256_fmadd_ps(s, acc[r][0], _mm256_loadu_ps(out)));
        _mm256_storeu_ps(out + 8, _mm256_fmadd_ps(s, acc[r][1], _mm256_loadu_ps(out + 8)));
    }
}

// The same for a strip narrower than 16 columns (the right edge), in plain loops.
static void tile_edge(int rows, int columns, int k, const float *a, long lda, const float *b, long ldb, float *c, long ldc, float alpha) {
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < columns; j++) {
            float s = 0;
            for (int p = 0; p < k; p++) s += a[r * lda + p] * b[p * ldb + j];
            c[r * ldc + j] += alpha * s;
        }
    }
}

TARGET void pagoda_sgemm(int m, int n, int k, const float *a, long lda, const float *b, long ldb, float *c, long ldc, float alpha,
                         int first_row) {
    float strip[K_PANEL * TILE_COLUMNS] __attribute__((aligned(32)));
    for (int p0 = 0; p0 < k; p0 += K_PANEL) {
        const int kc = k - p0 < K_PANEL ? k - p0 : K_PANEL;
        for (int m0 = 0; m0 < m; m0 += M_BLOCK) {
            const int m1 = m - m0 < M_BLOCK ? m : m0 + M_BLOCK;
            for (int j0 = 0; j0 < n; j0 += TILE_COLUMNS) {
                const int nc = n - j0 < TILE_COLUMNS ? n - j0 : TILE_COLUMNS;
                // A strip is packed where more than one tile reads it (not for the single
                // tiles of a Gram matrix's rows, where the copy would cost more than it saves).
                const int packed = nc == TILE_COLUMNS && m1 - m0 > TILE_ROWS;
                if (packed)
                    for (int p = 0; p < kc; p++) {
                        const float *row = b + (long)(p0 + p) * ldb + j0;
                        _mm256_store_ps(strip + p * TILE_COLUMNS, _mm256_loadu_ps(row));
                        _mm256_store_ps(strip + p * TILE_COLUMNS + 8, _mm256_loadu_ps(row + 8));
                    }
                for (int i0 = m0; i0 < m1; i0 += TILE_ROWS) {
                    const int mr = m - i0 < TILE_ROWS ? m - i0 : TILE_ROWS;
                    // Upper triangle only: skip tiles wholly left of the diagonal.
                    if (first_row >= 0 && j0 + nc <= first_row + i0) continue;
                    const float *ap = a + (long)i0 * lda + p0, *bp = b + (long)p0 * ldb + j0;
                    float *cp = c + (long)i0 * ldc + j0;
                    if (nc < TILE_COLUMNS) tile_edge(mr, nc, kc, ap, lda, bp, ldb, cp, ldc, alpha);
                    else if (packed) tile_full(mr, kc, ap, lda, strip, TILE_COLUMNS, cp, ldc, alpha);
                    else tile_full(mr, kc, ap, lda, bp, ldb, cp, ldc, alpha);
                }
            }
        }
    }
}

TARGET double pagoda_dot_f64(const double *a, const double *b, int n) {
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd(), s2 = _mm256_setzero_pd(), s3 = _mm256_setzero_pd();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_pd(_mm256_loadu_pd(a + i), _mm256_loadu_pd(b + i), s0);
        s1 = _mm256_fmadd_pd(_mm256_loadu_pd(a + i + 4), _mm256_loadu_pd(b + i + 4), s1);
        s2 = _mm256_fmadd_pd(_mm256_loadu_pd(a + i + 8), _mm256_loadu_pd(b + i + 8), s2);
        s3 = _mm256_fmadd_pd(_mm256_loadu_pd(a + i + 12), _mm256_loadu_pd(b + i + 12), s3);
    }
    for (; i + 4 <= n; i += 4) s0 = _mm256_fmadd_pd(_mm256_loadu_pd(a + i), _mm256_loadu_pd(b + i), s0);
    const __m256d s = _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3));
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
    double total = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
    for (; i < n; i++) total += a[i] * b[i];
    return total;
}

#endif  // PAGODA_X86
