import ArgumentParser
import Foundation
import PagodaEngine

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Write a copy of a model at another precision (RTN with llama.cpp's rules and bytes, AWQ or GPTQ).",
        discussion: """
        Types: \(QuantTarget.names.joined(separator: ", ")). A single type goes to every weight matrix, as \
        `llama-quantize --pure`; Q4_K_S, Q4_K_M and Q5_K_M are llama.cpp's mixes. F32, F16 or BF16 of a quantized \
        model is its dequantized copy: the reference to compare quantizations against, since no unquantized \
        small model is at hand. Quantizing a quantized tensor to another quantized type needs --allow-requantize.

        --method awq and --method gptq calibrate on --calibration FILE (plain text, not the text you evaluate on): \
        AWQ rescales each layer's input channels by their activations and clips its weights; GPTQ rounds each \
        matrix column by column, spreading the error over the columns left. Both write an ordinary GGUF of the type.
        """
    )

    @Argument(help: "The model to read: a GGUF path or a known model's name.")
    var input: String

    @Argument(help: "The GGUF file to write (not the input).")
    var output: String

    @Option(name: .long, help: "The type or mix to make.")
    var type: String

    @Option(name: .long, help: "The type of token_embd.weight, whatever --type gives the rest (a tied output is this matrix).")
    var tokenEmbeddingType: String?

    @Option(name: .long, help: "The type of output.weight, whatever --type gives the rest.")
    var outputTensorType: String?

    @Option(name: .long, help: "rtn (round to nearest, the default), awq or gptq.")
    var method = "rtn"

    @Option(name: .long, help: "Plain text to calibrate awq and gptq on.")
    var calibration: String?

    @Option(name: .long, help: "Calibration tokens, in windows of 512 (default 8192).")
    var calibrationTokens = CalibrationSet.defaultTokens

    @Flag(help: "gptq: quantize the blocks with the most input energy first.")
    var actOrder = false

    @Flag(help: "Allow quantized tensors to be quantized again to another quantized type.")
    var allowRequantize = false

    @Flag(help: "Print a JSON summary (a row per tensor) to stdout at the end.")
    var json = false

    @Option(name: [.customShort("t"), .long], help: "Threads (default: every core).")
    var threads: Int?

    func run() throws {
        try reportingErrors {
            guard let target = QuantTarget(name: type) else { throw QuantizeError.unknownType(type) }
            let path = try ModelOptions(model: input).resolve()
            let file = try GGUFFile(path: path)
            let architecture = try file.metadata.string("general.architecture")
            let layers = try file.metadata.int("\(architecture).block_count")
            let plan = QuantizationPlan(target: target, tensors: file.tensors, layerCount: layers,
                                        tokenEmbeddingType: try singleType(tokenEmbeddingType), outputType: try singleType(outputTensorType))
            var quantizer = ModelQuantizer(allowRequantize: allowRequantize)
            if let threads { quantizer.pool = ThreadPool(threads: max(1, threads)) }
            try quantizer.validate(plan)
            let calibrated = try calibratedMethod(file: file, target: target, pool: quantizer.pool)
            Interruption.install()
            let interactive = Terminal.stderrIsTerminal
            let fallbacks = plan.tensors.filter(\.fellBack).count
            Terminal.printError("quantizing \(file.name) to \(target) (\(plan.tensors.filter(\.isConverted).count) of \(plan.tensors.count) tensors converted"
                                + (fallbacks > 0 ? ", \(fallbacks) fall back: rows the type's blocks do not divide" : "") + ")")
            let report = try quantizer.quantize(file, inputPath: path, plan: plan, to: output, calibration: calibrated, progress: { p in
                let left = p.secondsLeft.map { String(format: " · %.0f s left", $0) } ?? ""
                let line = String(format: "%@[%d/%d] %@ · %d%% · %.1f s", calibrated == nil ? "" : method + " ", p.tensor, p.tensorCount, p.name, Int(100 * Double(p.elementsDone) / Double(max(1, p.elementsTotal))), p.seconds) + left
                if interactive {
                    FileHandle.standardError.write(Data("\r\u{1B}[K\(UntrustedText.escaped(line))".utf8))
                } else {
                    Terminal.printError(line)
                }
            }, isCancelled: { Interruption.requested })
            if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            Terminal.printError(String(format: "wrote %@ (%@): %.1f MiB, %.2f bits per weight, in %.1f s", output, report.method, Double(report.outputBytes) / 1_048_576, report.bitsPerWeight, report.seconds))
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            }
        }
    }
}

extension QuantizeCommand {
    /// A single type named by an option (not a mix), or nil when the option is not given.
    func singleType(_ name: String?) throws -> GGMLType? {
        guard let name else { return nil }
        guard case .pure(let type)? = QuantTarget(name: name) else { throw QuantizeError.unknownTensorType(name) }
        return type
    }

    /// The calibration for --method awq or gptq (nil for rtn), after the checks a user
    /// needs before a long run: a quantized target, a readable calibration text.
    func calibratedMethod(file: GGUFFile, target: QuantTarget, pool: ThreadPool) throws -> LayerCalibration? {
        let method = method.lowercased()
        guard method != "rtn" else {
            if calibration != nil { Terminal.printError("note: --calibration is only used by --method awq and gptq") }
            return nil
        }
        guard CalibrationMethod(rawValue: method) != nil else { throw QuantizeError.unknownMethod(self.method) }
        guard target.baseType.isQuantized else {
            throw QuantizeError.unknownMethod("\(method) for \(target): AWQ and GPTQ make quantized types; F32, F16 and BF16 are copies")
        }
        guard let calibration else { throw CalibrationError.missing(method: method) }
        let text: String
        do {
            text = try String(contentsOfFile: calibration, encoding: .utf8)
        } catch {
            throw CalibrationError.unreadable(calibration, reason: (error as NSError).localizedDescription)
        }
        let tokenizer = try Tokenizer(metadata: file.metadata)
        let set = try CalibrationSet(text: text, tokenizer: tokenizer, tokens: calibrationTokens, source: calibration)
        Terminal.printError("calibrating on \(set.tokenCount) tokens of \(UntrustedText.escaped(calibration)) (\(set.windows.count) windows)")
        var gptq = GPTQ()
        gptq.actOrder = actOrder
        return try CalibrationMethod(rawValue: method)!.calibration(for: file, set: set, gptq: gptq, pool: pool)
    }
}

/// Ctrl-C (SIGINT) and SIGTERM during a long command: a flag the work checks between
/// steps, so it can clean up (remove a partial file) and stop with an error.
enum Interruption {
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    static var requested: Bool { flag != 0 }

    static func install() {
        for s in [SIGINT, SIGTERM] { signal(s, { _ in Interruption.flag = 1 }) }
    }
}
