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
/// - The grid is the type's own (`BlockGrid`): when a block begins (32 columns, or a K-quant's
///   256-column super-block), the reference quantizer chooses each row's block scales (and
///   minimums) from the block's current weights; its columns are then rounded to that grid.
///
/// The factorization in Double, the updates in Float (as the reference implementation).
/// Cost: columns³/2 flops for the factorization plus rows · columns² for the updates,
/// threaded over the pool.
public struct GPTQ {
    public var damping = 0.01
    public var batch = 128
    /// Quantize the blocks whose inputs carry the most energy first (`--act-order`).
    public var actOrder = false

    public init() {}

    public static let types = BlockGrid.types

    /// Quantizes `weights` (`rows` × `columns`, row-major: row r holds output r's weights
    /// over the inputs) to `type`, given the inputs' Hessian `hessian` (columns × columns,
    /// any positive multiple of X·Xᵀ). Returns the rows in `type`'s block format.
    public func quantize(weights: [Float], rows: Int, columns: Int, hessian: [Double], type: GGMLType,
                         pool: ThreadPool = ThreadPool(threads: 1)) throws -> [UInt8] {
        guard let grid = BlockGrid(type), columns % grid.span == 0 else {
            throw QuantError.unsupported(type, operation: "GPTQ")
        }
        guard actOrder else { return try quantizeInOrder(weights: weights, rows: rows, columns: columns, hessian: hessian, grid: grid, pool: pool) }
        // Act-order on a block grid: whole blocks, the largest Hessian diagonal first (a
        // block's columns share its scale, so they cannot be reordered apart).
        let span = grid.span, blocks = columns / span
        let energy = (0..<blocks).map { b in (0..<span).reduce(0.0) { $0 + hessian[(b * span + $1) * (columns + 1)] } }
        let order = (0..<blocks).sorted { energy[$0] != energy[$1] ? energy[$0] > energy[$1] : $0 < $1 }
        let column = order.flatMap { b in (b * span)..<(b * span + span) }
        var W = [Float](repeating: 0, count: weights.count), H = [Double](repeating: 0, count: hessian.count)
        for r in 0..<rows { for (j, c) in column.enumerated() { W[r * columns + j] = weights[r * columns + c] } }
        for (i, a) in column.enumerated() { for (j, b) in column.enumerated() { H[i * columns + j] = hessian[a * columns + b] } }
        let permuted = try quantizeInOrder(weights: W, rows: rows, columns: columns, hessian: H, grid: grid, pool: pool)
        let blockBytes = type.bytesPerBlock
        var out = [UInt8](repeating: 0, count: permuted.count)
        for r in 0..<rows {
            for (position, b) in order.enumerated() {
                let from = (r * blocks + position) * blockBytes, to = (r * blocks + b) * blockBytes
                out[to..<(to + blockBytes)] = permuted[from..<(from + blockBytes)]
            }
        }
        return out
    }

    private func quantizeInOrder(weights: [Float], rows: Int, columns: Int, hessian: [Double], grid: BlockGrid,
                                 pool: ThreadPool) throws -> [UInt8] {
        let type = grid.type
        precondition(weights.count == rows * columns && hessian.count == columns * columns)
        var H = hessian
        var W = weights
        // Dead inputs carry no signal: their weights do not matter.
        for i in 0..<columns where H[i * columns + i] == 0 {
            H[i * columns + i] = 1
            for r in 0..<rows { W[r * columns + i] = 0 }
        }
        let meanDiagonal = (0..<columns).reduce(0.0) { $0 + H[$1 * columns + $1] } / Double(columns)
        for i in 0..<columns { H[i * columns + i] += damping * meanDiagonal }
        let U = try Cholesky.upperFactorOfInverse(H, n: columns, pool: pool).map(Float.init)

        let span = grid.span, blockBytes = type.bytesPerBlock, blocksPerRow = columns / span
        let batch = max(span, self.batch / span * span)
        var out = [UInt8](repeating: 0, count: rows * blocksPerRow * blockBytes)
        var errors = [Float](repeating: 0, count: rows * batch)
        let format = type.format as! QuantizableFormat.Type
        W.withUnsafeMutableBufferPointer { w in
            U.withUnsafeBufferPointer { u in
                out.withUnsafeMutableBytes { o in
                    errors.withUnsafeMutableBufferPointer { e in
                        nonisolated(unsafe) let W = w.baseAddress!, U = u.baseAddress!, out = o.baseAddress!, E = e.baseAddress!
                        for start in stride(from: 0, to: columns, by: batch) {
                            let end = min(columns, start + batch)
                            // The batch's columns, one at a time, each row on its own (rows are independent).
                            pool.parallelFor(rows) { part in
                                var grid = grid
                                var codes = [Int](repeating: 0, count: span)
                                for r in part {
                                    let row = W + r * columns
                                    for i in start..<end {
                                        let j = i % span
                                        let block = out + (r * blocksPerRow + i / span) * blockBytes
                                        if j == 0 {
                                            // A block begins: its parameters from the row's current weights.
                                            format.quantize(row + i, into: block)
                                            grid.load(UnsafeRawPointer(block))
                                        }
                                        let (code, value) = grid.nearest(row[i], element: j)
                                        codes[j] = code
                                        let err = (row[i] - value) / U[i * columns + i]
                                        E[r * batch + i - start] = err
                                        let ui = U + i * columns
                                        for k in (i + 1)..<end { row[k] -= err * ui[k] }
                                        if j == span - 1 { grid.store(codes, into: block) }
                                    }
                                }
                            }
                            // The batch's errors on every later column at once: W[:, end...] -= E · U[batch, end...].
                            guard end < columns else { continue }
                            DenseProducts.multiplyAdd(m: rows, n: columns - end, k: end - start, a: E, lda: batch,
                                                      b: U + start * columns + end, ldb: columns, c: W + end, ldc: columns,
                                                      alpha: -1, pool: pool)
                        }
                    }
                }
            }
        }
        return out
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
