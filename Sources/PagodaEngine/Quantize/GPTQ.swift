import Foundation

/// GPTQ (Frantar et al., arXiv 2210.17323) for one linear layer: weights are quantized one
/// input column at a time, and each column's rounding error is spread over the columns not
/// yet quantized, weighted by the inverse Hessian of the layer's inputs, so the layer's
/// output on those inputs moves as little as it can.
///
/// - H = 2·X·Xᵀ over the calibration inputs (columns × columns), damped by `damping` × its
///   mean diagonal; dead inputs (zero diagonal) get 1 and their weights 0.
/// - The upper Cholesky factor U of H⁻¹ drives the updates; columns go in batches of
///   `batch` (128) with the error of a batch applied to the rest at once (lazy updates).
/// - The grid is the type's own: when a 32-column block begins, the reference quantizer
///   chooses each row's block scale (and minimum) from the block's current weights; the
///   block's columns are then rounded to that grid.
///
/// Linear algebra in Double. Cost: O(columns³) for the factorization plus
/// O(rows · columns²) for the updates.
public struct GPTQ {
    public var damping = 0.01
    public var batch = 128

    public init() {}

    public static let types = BlockGrid.types

    /// Quantizes `weights` (`rows` × `columns`, row-major: row r holds output r's weights
    /// over the inputs) to `type`, given the inputs' Hessian `hessian` (columns × columns).
    /// Returns the rows in `type`'s block format.
    public func quantize(weights: [Float], rows: Int, columns: Int, hessian: [Double], type: GGMLType) throws -> [UInt8] {
        guard var grid = BlockGrid(type), let format = type.format as? QuantizableFormat.Type, columns % 32 == 0 else {
            throw QuantError.unsupported(type, operation: "GPTQ")
        }
        precondition(weights.count == rows * columns && hessian.count == columns * columns)
        var H = hessian
        var W = weights.map(Double.init)
        // Dead inputs carry no signal: their weights do not matter.
        for i in 0..<columns where H[i * columns + i] == 0 {
            H[i * columns + i] = 1
            for r in 0..<rows { W[r * columns + i] = 0 }
        }
        let meanDiagonal = (0..<columns).reduce(0.0) { $0 + H[$1 * columns + $1] } / Double(columns)
        for i in 0..<columns { H[i * columns + i] += damping * meanDiagonal }
        let U = try Self.upperCholeskyOfInverse(H, n: columns)

        let blockBytes = type.bytesPerBlock, blocksPerRow = columns / 32
        var out = [UInt8](repeating: 0, count: rows * blocksPerRow * blockBytes)
        var codes = [[Int]](repeating: [Int](repeating: 0, count: 32), count: rows)
        var grids = [BlockGrid](repeating: grid, count: rows)
        var errors = [Double](repeating: 0, count: rows * batch)
        var scratch = [Float](repeating: 0, count: 32)
        for start in stride(from: 0, to: columns, by: batch) {
            let end = min(columns, start + batch)
            for i in start..<end {
                if i % 32 == 0 {
                    // A block begins: each row's parameters from its current weights.
                    for r in 0..<rows {
                        for j in 0..<32 { scratch[j] = Float(W[r * columns + i + j]) }
                        out.withUnsafeMutableBytes { bytes in
                            let block = bytes.baseAddress! + (r * blocksPerRow + i / 32) * blockBytes
                            scratch.withUnsafeBufferPointer { format.quantize($0.baseAddress!, into: block) }
                            grid.load(UnsafeRawPointer(block))
                        }
                        grids[r] = grid
                    }
                }
                let d = U[i * columns + i]
                for r in 0..<rows {
                    let w = W[r * columns + i]
                    let (code, value) = grids[r].nearest(Float(w))
                    codes[r][i % 32] = code
                    let e = (w - Double(value)) / d
                    errors[r * batch + (i - start)] = e
                    // Within the batch, at once.
                    for j in (i + 1)..<end { W[r * columns + j] -= e * U[i * columns + j] }
                }
                if i % 32 == 31 {
                    out.withUnsafeMutableBytes { bytes in
                        for r in 0..<rows { grids[r].store(codes[r], into: bytes.baseAddress! + (r * blocksPerRow + i / 32) * blockBytes) }
                    }
                }
            }
            // The batch's errors on every later column.
            guard end < columns else { continue }
            for r in 0..<rows {
                for k in start..<end {
                    let e = errors[r * batch + (k - start)]
                    if e == 0 { continue }
                    for j in end..<columns { W[r * columns + j] -= e * U[k * columns + j] }
                }
            }
        }
        return out
    }

    /// U, upper triangular, with H⁻¹ = Uᵀ·U: H = L·Lᵀ, H⁻¹ from L, then the Cholesky factor
    /// of H⁻¹, transposed. Throws when H is not positive definite (more damping helps).
    static func upperCholeskyOfInverse(_ H: [Double], n: Int) throws -> [Double] {
        let L = try cholesky(H, n: n)
        // L⁻¹ by forward substitution, then H⁻¹ = L⁻ᵀ·L⁻¹.
        var Linv = [Double](repeating: 0, count: n * n)
        for c in 0..<n {
            for r in c..<n {
                var s = r == c ? 1.0 : 0.0
                for k in c..<r { s -= L[r * n + k] * Linv[k * n + c] }
                Linv[r * n + c] = s / L[r * n + r]
            }
        }
        var inverse = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for k in j..<n { s += Linv[k * n + i] * Linv[k * n + j] }
                inverse[i * n + j] = s
                inverse[j * n + i] = s
            }
        }
        let C = try cholesky(inverse, n: n)
        var U = [Double](repeating: 0, count: n * n)
        for r in 0..<n { for c in 0...r { U[c * n + r] = C[r * n + c] } }
        return U
    }

    /// The lower Cholesky factor of a symmetric positive definite matrix.
    static func cholesky(_ A: [Double], n: Int) throws -> [Double] {
        var L = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = A[i * n + j]
                for k in 0..<j { s -= L[i * n + k] * L[j * n + k] }
                if i == j {
                    guard s > 0 else { throw GPTQError.notPositiveDefinite(column: i) }
                    L[i * n + i] = s.squareRoot()
                } else {
                    L[i * n + j] = s / L[j * n + j]
                }
            }
        }
        return L
    }
}

public enum GPTQError: Error, CustomStringConvertible, Equatable {
    case notPositiveDefinite(column: Int)

    public var description: String {
        switch self {
        case .notPositiveDefinite(let c): "the inputs' Hessian is not positive definite (column \(c)): use more calibration text or more damping"
        }
    }
}
