import Foundation

/// The token windows calibrated quantization (AWQ, GPTQ) runs the model on: the text
/// tokenized once by the model's tokenizer and cut into `count` windows of `length`
/// tokens, spread evenly over the text (each starting at the model's BOS, as a chunk of
/// `pagoda perplexity` does). Deterministic: the same text gives the same windows.
public struct CalibrationSet: Sendable {
    public let windows: [[TokenID]]

    public static let defaultTokens = 16 * 512
    public static let windowLength = 512

    public var tokenCount: Int { windows.reduce(0) { $0 + $1.count } }

    /// `tokens` in windows of up to `windowLength`; the text must hold at least one window's
    /// worth (or `tokens`, when fewer), otherwise `CalibrationError.tooShort`.
    public init(text: String, tokenizer: Tokenizer, tokens: Int = defaultTokens, source: String) throws {
        guard tokens > 0 else { throw CalibrationError.noTokens }
        let length = min(Self.windowLength, tokens)
        let bos = tokenizer.vocabulary.addBOS ? tokenizer.vocabulary.bos : nil
        let body = tokenizer.encode(text, addSpecial: false)
        let bodyLength = length - (bos == nil ? 0 : 1)
        guard body.count >= bodyLength, bodyLength > 0 else {
            throw CalibrationError.tooShort(source: source, tokens: body.count, needed: bodyLength)
        }
        let count = max(1, tokens / length)
        // Windows spread over the text; where the text is short they overlap.
        let room = body.count - bodyLength
        windows = (0..<count).map { i in
            let start = count == 1 ? 0 : room * i / (count - 1)
            return (bos.map { [$0] } ?? []) + Array(body[start..<(start + bodyLength)])
        }
    }

    init(windows: [[TokenID]]) { self.windows = windows }
}

public enum CalibrationError: Error, CustomStringConvertible, Equatable {
    case missing(method: String)
    case unreadable(String, reason: String)
    case tooShort(source: String, tokens: Int, needed: Int)
    case noTokens
    /// The model's layers are not the plain llama block the calibration forward implements.
    case unsupportedFamily(method: String, architecture: String)

    public var description: String {
        switch self {
        case .missing(let method):
            "--method \(method) needs --calibration FILE: plain text like what the model will see (prose, code, chat), "
                + "a few thousand words or more, and not the text you measure perplexity on"
        case .unreadable(let path, let reason):
            "cannot read the calibration file \(UntrustedText.escaped(path)): \(reason)"
        case .tooShort(let source, let tokens, let needed):
            "the calibration text \(UntrustedText.escaped(source)) is \(tokens) tokens; it needs at least \(needed): use a longer text"
        case .noTokens:
            "--calibration-tokens must be at least 1"
        case .unsupportedFamily(let method, let architecture):
            "--method \(method) calibrates llama and qwen2 layers; \(architecture)'s layers (head norms, post-norms, GELU or "
                + "sliding windows) are not in its forward pass yet: use --method rtn"
        }
    }
}
