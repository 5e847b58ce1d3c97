import CKernels

/// Float matrix products for calibrated quantization: the layer-by-layer calibration
/// forward, the inputs' Gram matrices (GPTQ's Hessians) and GPTQ's lazy batch updates.
/// Row-major throughout. The AVX2 kernel (`pagoda_sgemm`) runs where the CPU has it; the
/// scalar loops are its twin, compared in the tests, and run everywhere else.
enum DenseProducts {
    /// `C[m × n] += alpha · A[m × k] · B[k × n]`, the rows of C split over `pool`.
    /// Cost: 2·m·n·k flops.
    static func multiplyAdd(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, pool: ThreadPool,
                            simd: Bool = KernelSet.current.hasAVX2) {
        guard m > 0, n > 0, k > 0 else { return }
        nonisolated(unsafe) let a = a, b = b, c = c
        // Whole tiles of six rows per part, so every part runs the fast kernel.
        let tiles = (m + 5) / 6
        pool.parallelFor(tiles) { part in
            let first = part.lowerBound * 6, last = min(m, part.upperBound * 6)
            block(rows: last - first, n: n, k: k, a: a + first * lda, lda: lda, b: b, ldb: ldb, c: c + first * ldc, ldc: ldc,
                  alpha: alpha, firstRow: -1, simd: simd)
        }
    }

    /// `G[n × n] += Xᵀ·X` for `X` of `rows` × `n` (GPTQ's Hessian without its factor 2):
    /// the upper triangle is computed, then mirrored. `X` is transposed in slices of 512
    /// rows (scratch of 512·n floats). Cost: rows·n² flops.
    static func addGram(_ x: UnsafePointer<Float>, rows: Int, columns n: Int, into g: UnsafeMutablePointer<Float>, pool: ThreadPool,
                        simd: Bool = KernelSet.current.hasAVX2) {
        guard rows > 0, n > 0 else { return }
        let slice = 512
        let transposed = UnsafeMutablePointer<Float>.allocate(capacity: slice * n)
        defer { transposed.deallocate() }
        nonisolated(unsafe) let t = transposed, g = g
        // Tile pairs (i, last − i) per work item, so the two halves of the triangle balance.
        let tiles = (n + 5) / 6, pairs = (tiles + 1) / 2
        for start in stride(from: 0, to: rows, by: slice) {
            let count = min(slice, rows - start)
            for r in 0..<count { for c in 0..<n { t[c * count + r] = x[(start + r) * n + c] } }
            nonisolated(unsafe) let xs = x + start * n
            pool.parallelFor(pairs) { part in
                for p in part {
                    for tile in Set([p, tiles - 1 - p]) {
                        let first = tile * 6, height = min(6, n - first)
                        block(rows: height, n: n, k: count, a: t + first * count, lda: count, b: xs, ldb: n, c: g + first * n, ldc: n,
                              alpha: 1, firstRow: first, simd: simd)
                    }
                }
            }
        }
        mirrorUpper(g, n: n)
    }

    /// Copies the upper triangle of `g` (n × n) onto the lower.
    static func mirrorUpper(_ g: UnsafeMutablePointer<Float>, n: Int) {
        for i in 0..<n { for j in 0..<i { g[i * n + j] = g[j * n + i] } }
    }

    /// One part's rows, by the kernel or by its scalar twin. `firstRow` ≥ 0 skips tiles of
    /// six rows that lie wholly below the diagonal, as the kernel does.
    static func block(rows: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                      c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, firstRow: Int, simd: Bool) {
        if simd {
            return pagoda_sgemm(Int32(rows), Int32(n), Int32(k), a, lda, b, ldb, c, ldc, alpha, Int32(firstRow))
        }
        for r in 0..<rows {
            let tileStart = firstRow >= 0 ? firstRow + r / 6 * 6 : 0
            for j in 0..<n {
                if firstRow >= 0, (j / 16 * 16 + min(16, n - j / 16 * 16)) <= tileStart { continue }
                var s: Float = 0
                for p in 0..<k { s += a[r * lda + p] * b[p * ldb + j] }
                c[r * ldc + j] += alpha * s
            }
        }
    }

    /// Σ a[i]·b[i] in Double.
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int, simd: Bool = KernelSet.current.hasAVX2) -> Double {
        if simd { return pagoda_dot_f64(a, b, Int32(n)) }
        var s = 0.0
        for i in 0..<n { s += a[i] * b[i] }
        return s
    }
}
