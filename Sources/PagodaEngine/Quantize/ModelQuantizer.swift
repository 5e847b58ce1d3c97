import Foundation

/// Writes a copy of a model with its tensors converted by a `QuantizationPlan`, each from
/// the precision it has (dequantized to f32 where it is quantized) with the reference
/// quantizers, which match llama.cpp's `quantize_row_*_ref` byte for byte. This is
/// round-to-nearest (RTN) quantization: no calibration.
///
/// Memory: one tensor as f32 and its converted bytes at a time (the largest tensor, e.g.
/// a 151936 × 896 embedding, is 545 MB as f32); the input stays mapped. Rows are converted
/// in parallel over the thread pool. The output is written to a temporary file and renamed
/// into place, so an error or a cancellation leaves no partial file.
public struct ModelQuantizer {
    /// How far a run has come, after each tensor.
    public struct Progress: Sendable {
        public let tensor: Int  // 1-based
        public let tensorCount: Int
        public let name: String
        /// Elements converted so far, of all (a fair measure of work). With a calibration,
        /// only the layers' elements count: the rest is rounded to nearest in seconds.
        public let elementsDone: Int
        public let elementsTotal: Int
        public let seconds: Double

        public var secondsLeft: Double? {
            elementsDone > 0 && seconds > 0.5 ? seconds * Double(elementsTotal - elementsDone) / Double(elementsDone) : nil
        }
    }

    /// What was written: a row per tensor, sizes and time.
    public struct Report: Sendable, Codable {
        public struct Row: Sendable, Codable {
            public let name: String
            public let from: String
            public let to: String
            public let fellBack: Bool
            public let bytes: Int
        }
        public let output: String
        public let target: String
        public let method: String
        public let tensors: [Row]
        public let inputBytes: Int
        public let outputBytes: Int
        public let parameters: Int
        public let seconds: Double

        /// Bits per weight of the output's tensor data.
        public var bitsPerWeight: Double { parameters > 0 ? Double(8 * tensors.reduce(0) { $0 + $1.bytes }) / Double(parameters) : 0 }
    }

    /// Quantized tensors may be converted to another quantized type (which cannot win back
    /// what the first quantization lost); without it that is an error. Converting to F32,
    /// F16 or BF16 is always allowed: it is how a reference copy is made.
    public var allowRequantize = false
    public var pool: ThreadPool

    public init(pool: ThreadPool = ThreadPool(threads: ThreadPool.availableCores), allowRequantize: Bool = false) {
        self.pool = pool
        self.allowRequantize = allowRequantize
    }

    /// Checks the plan against the rules for `input` before anything is written.
    public func validate(_ plan: QuantizationPlan) throws {
        for t in plan.tensors where t.isConverted {
            guard t.from == .f32 || t.from.canDequantize else { throw QuantizeError.cannotRead(tensor: t.name, type: t.from) }
            guard t.to == .f32 || t.to.canQuantize else { throw QuantizeError.cannotWrite(tensor: t.name, type: t.to) }
            if t.from.isQuantized, t.to.isQuantized, !allowRequantize {
                throw QuantizeError.requantize(tensor: t.name, from: t.from, to: t.to)
            }
        }
    }

    /// Converts `input` by `plan` into a new file at `path`. `isCancelled` is asked between
    /// tensors; a cancelled run throws `QuantizeError.cancelled` and leaves nothing at `path`.
    @discardableResult
    /// With `calibration` (AWQ, GPTQ), each layer's tensors come from it, computed when the
    /// layer's first tensor is due; tensors it does not return are converted by RTN. Tensors
    /// it defers (AWQ's output matrix) keep their places in the file and are written after
    /// the last layer.
    public func quantize(_ input: GGUFFile, inputPath: String, plan: QuantizationPlan, to path: String,
                         calibration: LayerCalibration? = nil,
                         progress: (Progress) -> Void = { _ in }, isCancelled: () -> Bool = { false }) throws -> Report {
        let inputURL = URL(fileURLWithPath: inputPath).resolvingSymlinksInPath()
        let outputURL = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        guard inputURL.path != outputURL.path else { throw QuantizeError.sameFile(path) }
        try validate(plan)
        let start = DispatchTime.now()

        // As llama-quantize (gguf's set moves a key to the end): the same bytes, not only
        // the same tensors.
        var metadata = input.metadata
        for (key, value) in [("general.quantization_version", GGUFValue.uint32(2)), ("general.file_type", .uint32(plan.target.fileType))] {
            metadata.remove(key)
            metadata.set(key, value)
        }
        let writer = try GGUFStreamWriter(path: path, metadata: metadata, layout: plan.tensors.map { ($0.name, $0.shape, $0.to) },
                                          alignment: input.alignment)
        let parameters = plan.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
        func work(_ t: QuantizationPlan.Tensor) -> Int {
            calibration != nil && QuantizationPlan.layer(of: t.name) == nil ? 0 : t.shape.reduce(1, *)
        }
        let total = plan.tensors.reduce(0) { $0 + work($1) }
        var done = 0
        var rows: [Report.Row] = []
        var calibrated: [String: [UInt8]] = [:], calibratedLayer = -1
        let planned = Dictionary(plan.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let deferred = calibration?.deferredTensors(plan: planned) ?? []
        var skipped: [Int] = []
        /// The bytes of tensor `t`: the calibration's, the source's, or the source converted.
        func bytes(of t: QuantizationPlan.Tensor, index: Int, calibrated: inout [String: [UInt8]], write: (UnsafeRawBufferPointer) throws -> Void) throws {
            guard let info = input.tensor(named: t.name) else { throw QuantizeError.cannotRead(tensor: t.name, type: t.from) }
            let source = input.data(of: info)
            if let bytes = calibrated.removeValue(forKey: t.name) {
                guard bytes.count == writer.tensors[index].byteCount else { throw QuantizeError.cannotWrite(tensor: t.name, type: t.to) }
                try bytes.withUnsafeBytes(write)
            } else if !t.isConverted {
                try write(source)
            } else {
                try convert(source, info: info, to: t.to).withUnsafeBytes(write)
            }
        }
        do {
            for (index, t) in plan.tensors.enumerated() {
                if isCancelled() { throw QuantizeError.cancelled }
                if let calibration, let layer = QuantizationPlan.layer(of: t.name), layer > calibratedLayer {
                    calibrated = try calibration.tensors(layer: layer, plan: planned, isCancelled: isCancelled)
                    calibratedLayer = layer
                }
                if deferred.contains(t.name) {
                    try writer.skip()
                    skipped.append(index)
                } else {
                    try bytes(of: t, index: index, calibrated: &calibrated) { try writer.append($0) }
                }
                done += work(t)
                rows.append(.init(name: t.name, from: t.from.name, to: t.to.name, fellBack: t.fellBack, bytes: writer.tensors[index].byteCount))
                progress(Progress(tensor: index + 1, tensorCount: plan.tensors.count, name: t.name, elementsDone: done, elementsTotal: total,
                                  seconds: Self.seconds(since: start)))
            }
            if let calibration, !skipped.isEmpty {
                var final = try calibration.finalTensors(plan: planned, isCancelled: isCancelled)
                for index in skipped { try bytes(of: plan.tensors[index], index: index, calibrated: &final) { try writer.fill(index, $0) } }
            }
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        let outputBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        let inputBytes = (try? FileManager.default.attributesOfItem(atPath: inputPath)[.size] as? Int) ?? 0
        return Report(output: path, target: plan.target.description, method: calibration?.method ?? "rtn", tensors: rows, inputBytes: inputBytes,
                      outputBytes: outputBytes, parameters: parameters, seconds: Self.seconds(since: start))
    }

    /// One tensor's bytes in `type`: rows dequantized to f32 (unless they are f32) and
    /// quantized, in parallel.
    func convert(_ source: UnsafeRawBufferPointer, info: GGUFTensorInfo, to type: GGMLType) throws -> [UInt8] {
        let count = info.elementCount
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { buffer in
            if info.type == .f32 {
                _ = memcpy(buffer.baseAddress!, source.baseAddress!, count * 4)
            } else {
                try Quantization.dequantize(info.type, source, count: count, into: buffer.baseAddress!)
            }
        }
        return try Self.quantizeRows(values, rowLength: info.rowLength, to: type, tensor: info.name, pool: pool)
    }

    /// `values` (rows of `rowLength`) in `type` by the reference quantizers, rows in parallel.
    static func quantizeRows(_ values: [Float], rowLength: Int, to type: GGMLType, tensor: String, pool: ThreadPool) throws -> [UInt8] {
        if type == .f32 { return values.withUnsafeBytes { Array($0) } }
        guard let format = type.format as? QuantizableFormat.Type, let rowBytes = type.rowBytes(rowLength) else {
            throw QuantizeError.cannotWrite(tensor: tensor, type: type)
        }
        let rowCount = values.count / max(1, rowLength)
        var out = [UInt8](repeating: 0, count: rowBytes * rowCount)
        let blocksPerRow = rowLength / type.blockSize, blockSize = type.blockSize, blockBytes = type.bytesPerBlock
        values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBytes { y in
                nonisolated(unsafe) let src = x.baseAddress!
                nonisolated(unsafe) let dst = y.baseAddress!
                pool.parallelFor(rowCount) { rows in
                    for row in rows {
                        for b in 0..<blocksPerRow {
                            format.quantize(src + row * rowLength + b * blockSize, into: dst + row * rowBytes + b * blockBytes)
                        }
                    }
                }
            }
        }
        return out
    }

    static func seconds(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9 }
}

public enum QuantizeError: Error, CustomStringConvertible, Equatable {
    case sameFile(String)
    case requantize(tensor: String, from: GGMLType, to: GGMLType)
    case cannotRead(tensor: String, type: GGMLType)
    case cannotWrite(tensor: String, type: GGMLType)
    case unknownType(String)
    /// A name that is not a single type, where one tensor's type is asked for.
    case unknownTensorType(String)
    case unknownMethod(String)
    case cancelled

    public var description: String {
        switch self {
        case .sameFile(let path):
            "the output \(UntrustedText.escaped(path)) is the input: write the quantized model to another file"
        case .requantize(let tensor, let from, let to):
            "tensor \(UntrustedText.escaped(tensor)) is \(from.name) already; quantizing it to \(to.name) adds the errors of both. "
                + "Quantize from an F32 copy (pagoda quantize IN REF.gguf --type F32), or pass --allow-requantize"
        case .cannotRead(let tensor, let type):
            "tensor \(UntrustedText.escaped(tensor)) is \(type.name), which Pagoda cannot dequantize"
        case .cannotWrite(let tensor, let type):
            "tensor \(UntrustedText.escaped(tensor)) would be \(type.name), which Pagoda cannot quantize to"
        case .unknownType(let name):
            "unknown type '\(UntrustedText.escaped(name))': one of \(QuantTarget.names.joined(separator: ", "))"
        case .unknownTensorType(let name):
            "unknown tensor type '\(UntrustedText.escaped(name))': one of \(QuantTarget.names.filter { QuantMix(rawValue: $0) == nil }.joined(separator: ", "))"
        case .unknownMethod(let name):
            "unknown method '\(UntrustedText.escaped(name))': rtn, awq or gptq"
        case .cancelled:
            "quantization interrupted: nothing was written"
        }
    }
}
