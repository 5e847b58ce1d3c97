import CKernels
import Foundation

/// Kernel-level speed, to compare each kernel with the machine: memory read bandwidth (a sum
/// over 512 MiB), then per weight type the GB/s of weights streamed by a mat-vec and the
/// GFLOP/s of a 64-token mat-mat, on a 32768 × 4096 matrix of random blocks (larger than
/// the last-level cache for every type, so mat-vec streams from memory).
public enum KernelBenchmark {
    public struct Row: Sendable {
        public let type: GGMLType
        public let matvecGBps: Double
        public let matmulGFLOPs: Double
    }

    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    static func time(_ body: () -> Void) -> Double {
        let t0 = DispatchTime.now()
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e9
    }

    /// Read bandwidth in GB/s with `pool`'s threads (median of 5 passes): a wrapping integer
    /// sum over 512 MiB, which the compiler vectorizes (a float sum would measure add latency).
    public static func bandwidth(pool: ThreadPool) -> Double {
        let count = 64 << 20  // UInt64 words: 512 MiB
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        defer { buffer.deallocate() }
        for i in 0..<count { buffer[i] = UInt64(truncatingIfNeeded: i) }
        let sums = UnsafeMutablePointer<UInt64>.allocate(capacity: pool.threadCount)
        defer { sums.deallocate() }
        let parts = pool.threadCount
        let rates = (0..<5).map { _ in
            Double(count * 8) / 1e9 / time {
                pool.run { part in
                    let start = count * part / parts, end = count * (part + 1) / parts
                    var sum: UInt64 = 0
                    for i in start..<end { sum &+= buffer[i] }
                    sums[part] = sum
                }
            }
        }
        return median(rates)
    }

    /// Each integer-dot weight type, mat-vec and mat-mat, with `pool`'s threads.
    public static func run(pool: ThreadPool) -> [Row] {
        let rows = 32768, columns = 4096, tokens = 64
        var random = SeededRandom(seed: 3)
        let x = (0..<(columns * tokens)).map { _ in Float(random.nextUnit() * 2 - 1) }
        let blocks = columns / 32
        let activations = UnsafeMutablePointer<pagoda_q8_block>.allocate(capacity: blocks * tokens)
        defer { activations.deallocate() }
        x.withUnsafeBufferPointer { xs in
            for t in 0..<tokens { IntegerDot.quantize(xs.baseAddress! + t * columns, count: columns, into: activations + t * blocks) }
        }
        let y = UnsafeMutablePointer<Float>.allocate(capacity: rows * tokens)
        defer { y.deallocate() }
        let scratchStride = max(columns * 4, QuantizedMatrix.packedScratchBytes(columns: columns))
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: pool.threadCount * scratchStride, alignment: 64)
        defer { scratch.deallocate() }
        let panel = UnsafeMutableRawPointer.allocate(byteCount: QuantizedMatrix.packedActivationBytes(tokens: tokens, columns: columns), alignment: 64)
        defer { panel.deallocate() }
        let parts = pool.threadCount
        return IntegerDot.types.sorted { $0.rawValue < $1.rawValue }.map { type in
            let rowBytes = type.rowBytes(columns)!
            let data = UnsafeMutableRawPointer.allocate(byteCount: rows * rowBytes, alignment: 64)
            defer { data.deallocate() }
            var r = SeededRandom(seed: UInt64(type.rawValue))
            for i in 0..<(rows * rowBytes / 8) { data.storeBytes(of: r.next() & 0x3BFF_3BFF_3BFF_3BFF, toByteOffset: 8 * i, as: UInt64.self) }
            let matrix = try! QuantizedMatrix(name: "bench", type: type, rows: rows, columns: columns, base: data)
            // As the engine runs them: mat-vec for one token; for a prompt's many, the packed
            // kernel (activations packed once), with VNNI or AVX2.
            func product(_ n: Int) {
                let packed = n > 1 && KernelSet.current.hasAVX2
                if packed { QuantizedMatrix.packActivations(activations, tokens: n, columns: columns, into: panel) }
                pool.run { part in
                    let range = (rows * part / parts)..<(rows * (part + 1) / parts)
                    if packed {
                        matrix.multiplyPacked(panel, tokens: n, into: y, yStride: rows, rowRange: range, scratch: scratch + part * scratchStride)
                    } else {
                        matrix.multiplyQuantized(activations, tokens: n, into: y, yStride: rows, rowRange: range,
                                                 decoded: scratch + part * scratchStride)
                    }
                }
            }
            product(1)
            let matvec = median((0..<7).map { _ in Double(rows * rowBytes) / 1e9 / time { product(1) } })
            let matmul = median((0..<3).map { _ in 2 * Double(rows) * Double(columns) * Double(tokens) / 1e9 / time { product(tokens) } })
            return Row(type: type, matvecGBps: matvec, matmulGFLOPs: matmul)
        }
    }
}
