/// Cholesky factorizations in Double for GPTQ.
enum Cholesky {
    /// The lower factor L of a symmetric positive definite `A` (n × n, row-major), A = L·Lᵀ.
    /// Row by row, each entry one dot product of two contiguous row prefixes. Throws when a
    /// pivot is not positive. Cost: n³/3 flops.
    static func lower(_ A: [Double], n: Int) throws -> [Double] {
        var L = [Double](repeating: 0, count: n * n)
        try L.withUnsafeMutableBufferPointer { l in
            let L = l.baseAddress!
            for i in 0..<n {
                let li = L + i * n
                for j in 0...i {
                    let s = A[i * n + j] - DenseProducts.dot(li, L + j * n, j)
                    if i == j {
                        guard s > 0 else { throw GPTQError.notPositiveDefinite(column: i) }
                        li[i] = s.squareRoot()
                    } else {
                        li[j] = s / L[j * n + j]
                    }
                }
            }
        }
        return L
    }

    /// U, upper triangular with a positive diagonal, such that H⁻¹ = Uᵀ·U: the upper
    /// Cholesky factor of the inverse, which GPTQ's updates use, without forming H⁻¹.
    ///
    /// With J the order-reversing permutation, factor J·H·J = L·Lᵀ; then H = R·Rᵀ with
    /// R = J·L·J upper triangular, so H⁻¹ = R⁻ᵀ·R⁻¹ and U = R⁻¹ = J·L⁻¹·J (a Cholesky factor
    /// is unique). L⁻¹ is found column by column, columns in parallel over `pool`.
    /// Cost: n³/3 + n³/3 flops.
    static func upperFactorOfInverse(_ H: [Double], n: Int, pool: ThreadPool) throws -> [Double] {
        var flipped = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { flipped[i * n + j] = H[(n - 1 - i) * n + (n - 1 - j)] } }
        let L = try lower(flipped, n: n)
        // Row c of `inverseT` is column c of L⁻¹: inverseT[c][r] = (δ(r, c) − Σₖ L[r][k]·inverseT[c][k]) / L[r][r], k in c..<r.
        var inverseT = [Double](repeating: 0, count: n * n)
        L.withUnsafeBufferPointer { l in
            inverseT.withUnsafeMutableBufferPointer { m in
                nonisolated(unsafe) let L = l.baseAddress!, M = m.baseAddress!
                // Column c costs ~(n − c)²: pair c with n − 1 − c so the parts balance.
                pool.parallelFor((n + 1) / 2) { part in
                    for p in part {
                        for c in Set([p, n - 1 - p]) {
                            let row = M + c * n
                            for r in c..<n {
                                let s = (r == c ? 1 : 0) - DenseProducts.dot(L + r * n + c, row + c, r - c)
                                row[r] = s / L[r * n + r]
                            }
                        }
                    }
                }
            }
        }
        // U[i][j] = L⁻¹[n−1−i][n−1−j] = inverseT[n−1−j][n−1−i].
        var U = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { U[i * n + j] = inverseT[(n - 1 - j) * n + (n - 1 - i)] } }
        return U
    }
}
