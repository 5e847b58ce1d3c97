/// A calibrated quantization method (AWQ, GPTQ) as `ModelQuantizer` drives it: layer by
/// layer, in order, it returns the final bytes of the layer's tensors it changed, each in
/// the type the plan gives it. Tensors it does not return are converted by RTN.
public protocol LayerCalibration: AnyObject {
    /// `awq`, `gptq`: what the report names.
    var method: String { get }
    /// Layer `layer`'s tensors by name. Called for layers 0, 1, 2, … once each.
    func tensors(layer: Int, plan: [String: QuantizationPlan.Tensor], isCancelled: () -> Bool) throws -> [String: [UInt8]]
    /// Tensors outside the layers that the method computes after the last layer (AWQ's
    /// output matrix and final norm): their places in the file are filled at the end.
    func deferredTensors(plan: [String: QuantizationPlan.Tensor]) -> Set<String>
    /// Those tensors, called once after the last layer's `tensors`.
    func finalTensors(plan: [String: QuantizationPlan.Tensor], isCancelled: () -> Bool) throws -> [String: [UInt8]]
}

extension LayerCalibration {
    public func deferredTensors(plan: [String: QuantizationPlan.Tensor]) -> Set<String> { [] }
    public func finalTensors(plan: [String: QuantizationPlan.Tensor], isCancelled: () -> Bool) throws -> [String: [UInt8]] { [:] }
}

extension LayerCalibration {
    /// Bytes of `type` back as floats (what the next steps of a calibration compute with).
    func dequantized(_ bytes: [UInt8], type: GGMLType, count: Int) throws -> [Float] {
        if type == .f32 { return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } }
        return try bytes.withUnsafeBytes { try Quantization.dequantize(type, $0, count: count) }
    }
}

/// The calibrating methods, by the names `quantize --method` takes.
public enum CalibrationMethod: String, CaseIterable, Sendable {
    case awq, gptq

    /// The method set up for the model in `file` (checked as for inference), calibrating on
    /// `set`. `gptq` carries GPTQ's options (act-order, damping); AWQ ignores it.
    public func calibration(for file: GGUFFile, set: CalibrationSet, gptq: GPTQ = GPTQ(), pool: ThreadPool) throws -> LayerCalibration {
        let config = try ModelConfig(metadata: file.metadata)
        try ModelValidation.check(config, against: file)
        guard config.family.isPlainBlock else { throw CalibrationError.unsupportedFamily(method: rawValue, architecture: config.architecture) }
        let weights = try ModelWeights(file: file, config: config)
        switch self {
        case .awq: return AWQLayers(weights: weights, config: config, calibration: set, pool: pool)
        case .gptq: return GPTQLayers(weights: weights, config: config, calibration: set, gptq: gptq, pool: pool)
        }
    }
}
