import Foundation

/// AWQ's step 3 (see `AWQLayers`): per row and block, the range the weights are clipped to
/// before the reference quantizer rounds them, chosen by the exact output error over every
/// calibration token.
///
/// The error a change δ to one row's block causes in that row's output, summed over the
/// tokens, is δᵀ·G·δ with G the block's columns' Gram matrix Xᵀ·X: so one Gram matrix per
/// block of input columns (span × span, from all tokens, once per matrix) scores every
/// candidate of every row at span² flops per element-block, without another pass over the
/// tokens.
///
/// Candidates, per block of `span` (32, or the 256 of a K-quant super-block), as AutoAWQ's:
/// |w| clipped to (1 − i/20)·max|w|, i in 0..<10. (Trimming the two ends of an asymmetric
/// grid apart, 19 candidates, lowered the calibration error but raised Qwen2.5-Coder-0.5B
/// Q4_1's mean KL on other text from 0.052 to 0.060: per block, the calibration's Gram
/// matrix has directions it barely sees, and more freedom spends them.)
/// The reference quantizer writes the bytes of each candidate; the least error wins per
/// block. Cost per matrix: the Gram matrices (tokens·columns·span flops), then per
/// candidate one quantization and rows·columns·span·2 flops.
extension AWQLayers {
    /// One candidate's limits for block `b`, given its smallest and largest weight.
    typealias ClipRange = (_ lo: Float, _ hi: Float) -> (lower: Float, upper: Float)

    /// Clips `w` (rows × columns) in place, block by block, to the candidate with the least
    /// output error on inputs `x` (tokens × columns); `grid` 20 gives the steps of 1/20.
    static func clip(_ w: inout [Float], rows: Int, input x: [Float], type: GGMLType, grid: Int, pool: ThreadPool) throws {
        guard type.isQuantized, (w.count / rows) % type.blockSize == 0 else { return }
        let grams = blockGrams(x, columns: w.count / rows, span: type.blockSize, pool: pool)
        try clip(&w, rows: rows, grams: grams, type: type, grid: grid, pool: pool)
    }

    /// The same with the inputs' block Gram matrices (`blockGrams`) given, for a matrix
    /// clipped a slice of rows at a time.
    static func clip(_ w: inout [Float], rows: Int, grams: [Float], type: GGMLType, grid: Int, pool: ThreadPool) throws {
        let columns = w.count / rows, span = type.blockSize, blocks = columns / span
        var lowest = [Float](repeating: 0, count: rows * blocks), largest = lowest
        for r in 0..<rows { for b in 0..<blocks {
            var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
            for j in 0..<span { let v = w[r * columns + b * span + j]; lo = min(lo, v); hi = max(hi, v) }
            lowest[r * blocks + b] = lo; largest[r * blocks + b] = hi
        } }
        let steps = grid / 2
        var bestError = [Double](repeating: .infinity, count: rows * blocks)
        var chosen = [(lower: Float, upper: Float)](repeating: (0, 0), count: rows * blocks)
        /// Tries one candidate (limits per block) and keeps, per block, whichever is better.
        func tryCandidate(_ limits: (Int) -> (lower: Float, upper: Float)) throws {
            let ranges = (0..<(rows * blocks)).map(limits)
            let bytes = try ModelQuantizer.quantizeRows(clipped(w, rows: rows, span: span, ranges: ranges), rowLength: columns, to: type,
                                                        tensor: "clip", pool: pool)
            let q = try bytes.withUnsafeBytes { try Quantization.dequantize(type, $0, count: w.count) }
            let errors = blockErrors(w, q, rows: rows, span: span, grams: grams, pool: pool)
            for i in 0..<errors.count where errors[i] < bestError[i] { bestError[i] = errors[i]; chosen[i] = ranges[i] }
        }
        for i in 0..<steps {
            let ratio = 1 - Float(i) / Float(grid)
            try tryCandidate { k in
                let limit = max(abs(lowest[k]), abs(largest[k])) * ratio
                return (-limit, limit)
            }
        }
        w = clipped(w, rows: rows, span: span, ranges: chosen)
    }

    /// `w` with each row's block k (in row-major block order) clamped to `ranges[k]`.
    static func clipped(_ w: [Float], rows: Int, span: Int, ranges: [(lower: Float, upper: Float)]) -> [Float] {
        var out = w
        let blocks = w.count / span
        out.withUnsafeMutableBufferPointer { o in
            for k in 0..<blocks {
                let (lower, upper) = ranges[k]
                for i in (k * span)..<((k + 1) * span) { o[i] = min(upper, max(lower, o[i])) }
            }
        }
        return out
    }

    /// Per block of `span` columns, XᵀX over every row of x (tokens × columns), divided by
    /// the token count: `columns / span` matrices of span × span, one after another.
    static func blockGrams(_ x: [Float], columns: Int, span: Int, pool: ThreadPool) -> [Float] {
        let tokens = x.count / columns, blocks = columns / span
        var grams = [Float](repeating: 0, count: blocks * span * span)
        var slice = [Float](repeating: 0, count: tokens * span)
        for b in 0..<blocks {
            for t in 0..<tokens { for j in 0..<span { slice[t * span + j] = x[t * columns + b * span + j] } }
            slice.withUnsafeBufferPointer { s in
                grams.withUnsafeMutableBufferPointer { g in
                    DenseProducts.addGram(s.baseAddress!, rows: tokens, columns: span, into: g.baseAddress! + b * span * span, pool: pool)
                }
            }
        }
        let scale = 1 / Float(max(1, tokens))
        for i in 0..<grams.count { grams[i] *= scale }
        return grams
    }

    /// δᵀ·G_b·δ for δ = w − q on every row's block b (rows × blocks, row-major): the output
    /// error per token that replacing w by q causes, block by block.
    static func blockErrors(_ w: [Float], _ q: [Float], rows: Int, span: Int, grams: [Float], pool: ThreadPool) -> [Double] {
        let columns = w.count / rows, blocks = columns / span
        var delta = [Float](repeating: 0, count: w.count)
        for i in 0..<w.count { delta[i] = w[i] - q[i] }
        var product = [Float](repeating: 0, count: w.count)
        delta.withUnsafeBufferPointer { d in
            grams.withUnsafeBufferPointer { g in
                product.withUnsafeMutableBufferPointer { p in
                    for b in 0..<blocks {
                        DenseProducts.multiplyAdd(m: rows, n: span, k: span, a: d.baseAddress! + b * span, lda: columns,
                                                  b: g.baseAddress! + b * span * span, ldb: span,
                                                  c: p.baseAddress! + b * span, ldc: columns, pool: pool)
                    }
                }
            }
        }
        var errors = [Double](repeating: 0, count: rows * blocks)
        for r in 0..<rows { for b in 0..<blocks {
            var e: Float = 0
            for j in (r * columns + b * span)..<(r * columns + (b + 1) * span) { e += product[j] * delta[j] }
            errors[r * blocks + b] = Double(e)
        } }
        return errors
    }
}
