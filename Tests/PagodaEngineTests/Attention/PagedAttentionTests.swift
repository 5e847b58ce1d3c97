import CKernels
import Foundation
import XCTest
@testable import PagodaEngine

/// Tiled attention over scattered blocks equals naive softmax(QKᵀ/√d)V.
final class PagedAttentionTests: XCTestCase {
    /// softmax(q·kᵀ/√d)·v for query positions first..<first+tokens, causal, contiguous K/V
    /// of shape (positions, kvHeads, d); with a window W, the query at p sees p−W+1…p only.
    func naiveAttention(q: [Float], k: [Float], v: [Float], tokens: Int, first: Int, heads: Int, kvHeads: Int, d: Int,
                        window: Int? = nil) -> [Float] {
        var out = [Float](repeating: 0, count: tokens * heads * d)
        let group = heads / kvHeads
        for t in 0..<tokens {
            for h in 0..<heads {
                let g = h / group
                let n = first + t + 1
                let start = window.map { max(0, n - $0) } ?? 0
                var scores = [Double](repeating: -.infinity, count: n)
                for j in start..<n {
                    var s = 0.0
                    for i in 0..<d { s += Double(q[(t * heads + h) * d + i]) * Double(k[(j * kvHeads + g) * d + i]) }
                    scores[j] = s / Double(d).squareRoot()
                }
                let m = scores.max()!
                let e = scores.map { exp($0 - m) }
                let z = e.reduce(0, +)
                for i in 0..<d {
                    var acc = 0.0
                    for j in start..<n { acc += e[j] / z * Double(v[(j * kvHeads + g) * d + i]) }
                    out[(t * heads + h) * d + i] = Float(acc)
                }
            }
        }
        return out
    }

    func check(blockTokens B: Int, heads: Int, kvHeads: Int, d: Int, first: Int, tokens: Int, element: KVCacheLayout.Element, seed: UInt32,
               window: Int? = nil) {
        var rng = XorShift32(seed: seed)
        let length = first + tokens
        let layers = 2, layer = 1
        let layout = KVCacheLayout(layerCount: layers, kvHeadCount: kvHeads, headDimension: d, blockTokens: B, element: element)
        let needed = (length + B - 1) / B
        let pool = BlockPool(layout: layout, blockCount: needed + 5)
        // Random physical placement: a shuffled choice of distinct blocks.
        var ids = Array(0..<pool.blockCount)
        for i in stride(from: ids.count - 1, to: 0, by: -1) { ids.swapAt(i, rng.nextInt(0..<(i + 1))) }
        let table = Array(ids.prefix(needed))

        func random(_ n: Int, scale: Float) -> [Float] {
            (0..<n).map { _ in
                let x = rng.nextSigned() * scale
                return element == .f16 ? Float(Float16(x)) : x
            }
        }
        let k = random(length * kvHeads * d, scale: 2)
        let v = random(length * kvHeads * d, scale: 1)
        let q = random(tokens * heads * d, scale: 2)
        for p in 0..<length {
            let base = pool.blockBase(table[p / B])
            for g in 0..<kvHeads {
                k.withUnsafeBufferPointer { kb in
                    KVRows.storeKey(kb.baseAddress! + (p * kvHeads + g) * d, n: d, to: base, tile: layout.tileOffset(layer: layer, value: false, head: g),
                                    row: p % B, blockTokens: B, element: element)
                }
                v.withUnsafeBufferPointer { vb in
                    KVRows.store(vb.baseAddress! + (p * kvHeads + g) * d, n: d, to: base,
                                 index: layout.tileOffset(layer: layer, value: true, head: g) + (p % B) * d, element: element)
                }
            }
        }
        let expected = naiveAttention(q: q, k: k, v: v, tokens: tokens, first: first, heads: heads, kvHeads: kvHeads, d: d, window: window)
        // On one thread and split over a pool of two.
        for threads in [nil, ThreadPool(threads: 2)] {
            let kernel = PagedAttention(layout: layout, headCount: heads, maxTokens: tokens, threads: 2)
            var out = [Float](repeating: .nan, count: tokens * heads * d)
            q.withUnsafeBufferPointer { qb in
                out.withUnsafeMutableBufferPointer { ob in
                    kernel.run(queries: qb.baseAddress!, tokens: tokens, first: first, table: table, layer: layer, pool: pool,
                               out: ob.baseAddress!, window: window, threads: threads)
                }
            }
            var worst: Float = 0
            for (a, b) in zip(out, expected) {
                worst = max(worst, abs(a - b) / max(1, abs(b)))
            }
            XCTAssertLessThanOrEqual(worst, 1e-5, "B=\(B) heads=\(heads)/\(kvHeads) d=\(d) first=\(first) tokens=\(tokens) \(element) window=\(window.map(String.init) ?? "-") threads=\(threads?.threadCount ?? 1)")
        }
    }

    /// The AVX2 tile step against its scalar twin, f32 and f16 tiles, head sizes with a tail,
    /// tiles wider than their filled rows.
    func testTileKernelMatchesItsScalarTwin() throws {
        try XCTSkipUnless(KernelSet.current.hasAVX2, "this CPU has no AVX2/F16C: only the scalar step runs")
        var rng = XorShift32(seed: 404)
        for (rows, stride, d) in [(1, 1, 8), (7, 16, 64), (16, 16, 64), (16, 16, 20), (3, 5, 100), (40, 64, 64), (25, 32, 128)] {
            for f16 in [false, true] {
                func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float(Float16(rng.nextSigned() * 2)) } }
                let q = random(d), keys = random(stride * d), values = random(rows * d)
                let start = random(d)  // a running output from earlier tiles
                var scalarOut = start, simdOut = start
                var scores = [Float](repeating: 0, count: stride)
                var scalarState: (max: Float, sum: Float) = (0.5, 1.7)
                q.withUnsafeBufferPointer { qb in
                    PagedAttention.attendTileScalar(qb.baseAddress!, keys: keys, keyStride: stride, values: values, rows: rows, d: d, scale: 0.3,
                                                    state: &scalarState, out: &scalarOut, scores: &scores)
                }
                var simdState: [Float] = [0.5, 1.7]
                if f16 {
                    let kh = keys.map { Float16($0).bitPattern }, vh = values.map { Float16($0).bitPattern }
                    pagoda_attend_tile(q, kh, Int32(stride), vh, Int32(rows), Int32(d), 1, 0.3, &simdState, &simdOut, &scores)
                } else {
                    pagoda_attend_tile(q, keys, Int32(stride), values, Int32(rows), Int32(d), 0, 0.3, &simdState, &simdOut, &scores)
                }
                let label = "rows \(rows) of \(stride), d \(d), f16 \(f16)"
                XCTAssertEqual(simdState[0], scalarState.max, accuracy: 1e-5 * max(1, abs(scalarState.max)), label)
                XCTAssertEqual(simdState[1], scalarState.sum, accuracy: 1e-5 * scalarState.sum, label)
                for (a, b) in zip(simdOut, scalarOut) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), label) }
            }
        }
    }

    /// The several-heads step against the scalar twin run head by head: 1 to 7 heads (whole
    /// and partial groups of three), head dims 64 and 20, both element types.
    func testSeveralHeadsKernelMatchesTheScalarTwin() throws {
        try XCTSkipUnless(KernelSet.current.hasVNNI, "this CPU has no AVX-512 VL: heads are run one at a time")
        var rng = XorShift32(seed: 808)
        for (heads, rows, d) in [(1, 16, 64), (3, 13, 64), (7, 16, 64), (2, 5, 20), (4, 16, 20)] {
            for f16 in [false, true] {
                func random(_ n: Int) -> [Float] { (0..<n).map { _ in Float(Float16(rng.nextSigned() * 2)) } }
                let stride = 16
                let q = random(heads * d), keys = random(stride * d), values = random(rows * d)
                let start = random(heads * d)
                // States two floats apart, outputs d apart (as unsplit units keep them).
                var states = (0..<heads).flatMap { h in [Float(0.2) * Float(h), 1 + Float(h)] }
                var outputs = start
                var scores = [Float](repeating: 0, count: 3 * rows)
                if f16 {
                    let kh = keys.map { Float16($0).bitPattern }, vh = values.map { Float16($0).bitPattern }
                    pagoda_attend_tile_heads(q, Int32(heads), kh, Int32(stride), vh, Int32(rows), Int32(d), 1, 0.125, &states, 2, &outputs, Int32(d), &scores)
                } else {
                    pagoda_attend_tile_heads(q, Int32(heads), keys, Int32(stride), values, Int32(rows), Int32(d), 0, 0.125, &states, 2, &outputs, Int32(d), &scores)
                }
                for h in 0..<heads {
                    var state: (max: Float, sum: Float) = (0.2 * Float(h), 1 + Float(h))
                    var out = Array(start[(h * d)..<((h + 1) * d)])
                    var s = [Float](repeating: 0, count: rows)
                    Array(q[(h * d)..<((h + 1) * d)]).withUnsafeBufferPointer { qb in
                        PagedAttention.attendTileScalar(qb.baseAddress!, keys: keys, keyStride: stride, values: values, rows: rows, d: d,
                                                        scale: 0.125, state: &state, out: &out, scores: &s)
                    }
                    let label = "head \(h) of \(heads), rows \(rows), d \(d), f16 \(f16)"
                    XCTAssertEqual(states[2 * h], state.max, accuracy: 1e-5 * max(1, abs(state.max)), label)
                    XCTAssertEqual(states[2 * h + 1], state.sum, accuracy: 1e-5 * state.sum, label)
                    for i in 0..<d { XCTAssertEqual(outputs[h * d + i], out[i], accuracy: 1e-4 * max(1, abs(out[i])), label) }
                    // And bit for bit the one-head AVX2 step, so prefill and decode agree exactly.
                    var oneState: [Float] = [0.2 * Float(h), 1 + Float(h)]
                    var oneOut = Array(start[(h * d)..<((h + 1) * d)])
                    let qh = Array(q[(h * d)..<((h + 1) * d)])
                    if f16 {
                        let kh = keys.map { Float16($0).bitPattern }, vh = values.map { Float16($0).bitPattern }
                        pagoda_attend_tile(qh, kh, Int32(stride), vh, Int32(rows), Int32(d), 1, 0.125, &oneState, &oneOut, &s)
                    } else {
                        pagoda_attend_tile(qh, keys, Int32(stride), values, Int32(rows), Int32(d), 0, 0.125, &oneState, &oneOut, &s)
                    }
                    XCTAssertEqual(oneState, Array(states[(2 * h)..<(2 * h + 2)]), label)
                    XCTAssertEqual(oneOut, Array(outputs[(h * d)..<((h + 1) * d)]), label)
                }
            }
        }
    }

    /// Keys go into a tile as columns and come back out whole, both element types, with the
    /// F16C store and its scalar twin.
    func testKeysStoreAsColumnsOfTheTile() {
        let versions = KernelSet.current.hasAVX2 ? [false, true] : [false]
        for element in KVCacheLayout.Element.allCases {
            for simd in versions {
                let layout = KVCacheLayout(layerCount: 1, kvHeadCount: 1, headDimension: 12, blockTokens: 5, element: element)
                let pool = BlockPool(layout: layout, blockCount: 1)
                let base = pool.blockBase(0)
                let keys = (0..<5).map { j in (0..<12).map { Float(16 * j + $0) } }
                for (j, key) in keys.enumerated() {
                    KVRows.storeKey(key, n: 12, to: base, tile: 0, row: j, blockTokens: 5, element: element, simd: simd)
                }
                var column = [Float](repeating: 0, count: 5)
                KVRows.load(base, index: 3 * 5, n: 5, element: element, into: &column)
                XCTAssertEqual(column, keys.map { $0[3] }, "dimension 3 of every key, \(element), simd \(simd)")
                var key = [Float](repeating: 0, count: 12)
                KVRows.loadKey(base, tile: 0, row: 4, n: 12, blockTokens: 5, element: element, into: &key)
                XCTAssertEqual(key, keys[4])
            }
        }
    }

    func testMatchesNaiveAttentionOnRandomShapes() {
        var rng = XorShift32(seed: 11)
        for trial in 0..<40 {
            let B = [1, 16, 64, 3, 7][trial % 5]
            let kvHeads = [1, 2, 3][rng.nextInt(0..<3)]
            let group = [1, 2, 3, 4][rng.nextInt(0..<4)]
            let d = [8, 16, 64][rng.nextInt(0..<3)]
            let first = rng.nextInt(0..<90)
            let tokens = 1 + rng.nextInt(0..<12)
            check(blockTokens: B, heads: kvHeads * group, kvHeads: kvHeads, d: d, first: first, tokens: tokens,
                  element: trial % 2 == 0 ? .f32 : .f16, seed: UInt32(100 + trial))
        }
    }

    /// Sliding-window layers: the window starting mid-block, on a block edge, shorter than a
    /// block, of one key, longer than the context; decode (split over threads) and prefill.
    func testSlidingWindowMatchesNaiveAttentionWithTheWindow() {
        var seed: UInt32 = 900
        for (B, window, first, tokens) in [(16, 20, 60, 1), (16, 32, 64, 1), (16, 5, 40, 3), (16, 1, 10, 4), (16, 500, 30, 8),
                                           (7, 12, 0, 30), (16, 24, 100, 17), (4, 9, 200, 1)] {
            for element in [KVCacheLayout.Element.f32, .f16] {
                seed += 1
                check(blockTokens: B, heads: 6, kvHeads: 2, d: 64, first: first, tokens: tokens, element: element, seed: seed, window: window)
                check(blockTokens: B, heads: 4, kvHeads: 4, d: 24, first: first, tokens: tokens, element: element, seed: seed + 100, window: window)
            }
        }
    }

    func testDecodeAndPrefillEdgeCases() {
        check(blockTokens: 16, heads: 9, kvHeads: 3, d: 64, first: 0, tokens: 1, element: .f32, seed: 1)   // one token
        check(blockTokens: 16, heads: 9, kvHeads: 3, d: 64, first: 15, tokens: 1, element: .f32, seed: 2)  // fills a block
        check(blockTokens: 16, heads: 9, kvHeads: 3, d: 64, first: 16, tokens: 1, element: .f32, seed: 3)  // starts a block
        check(blockTokens: 16, heads: 14, kvHeads: 2, d: 64, first: 0, tokens: 40, element: .f16, seed: 4) // prefill across blocks
        check(blockTokens: 1, heads: 4, kvHeads: 4, d: 16, first: 30, tokens: 5, element: .f32, seed: 5)   // no GQA, B = 1
        // Decode split over threads (split-K): one KV head in 4 ranges, two in 2, 2 tokens.
        check(blockTokens: 16, heads: 8, kvHeads: 1, d: 64, first: 200, tokens: 1, element: .f16, seed: 6)
        check(blockTokens: 16, heads: 14, kvHeads: 2, d: 64, first: 77, tokens: 1, element: .f16, seed: 7)
        check(blockTokens: 7, heads: 3, kvHeads: 1, d: 24, first: 50, tokens: 2, element: .f32, seed: 8)
    }
}
