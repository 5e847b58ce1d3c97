import Foundation

/// What `pagoda info` reports about a GGUF model: identity, hyperparameters, tokenizer,
/// tensors by type and the memory a KV cache block will take.
public struct ModelSummary: Sendable {
    public let fileName: String
    public let fileBytes: Int
    public let ggufVersion: UInt32
    public let name: String?
    /// The name to show a person: the file's name when it names the model (it usually
    /// carries the size and quantization too: `SmolLM2-135M-Instruct.Q4_1`), else
    /// `general.basename`, `size_label` and `finetune`, else `general.name`.
    public let displayName: String
    public let license: String?
    public let config: ModelConfig
    public let tokenizerModel: String?
    public let tokenizerPre: String?
    public let tokenCount: Int
    public let hasChatTemplate: Bool
    public let tensorCount: Int
    /// Per tensor type: how many tensors and their bytes, largest first.
    public let bytesByType: [(type: GGMLType, tensors: Int, bytes: Int)]
    public let weightBytes: Int
    public let tiedEmbeddings: Bool

    static func displayName(fileName: String, metadata m: GGUFMetadata, fallback: String?) -> String {
        let stem = fileName.hasSuffix(".gguf") ? String(fileName.dropLast(5)) : fileName
        let basename = (try? m.string("general.basename", default: nil)) ?? nil
        if let basename, !basename.isEmpty {
            if stem.lowercased().contains(basename.lowercased()) { return stem }
            let parts = [basename, (try? m.string("general.size_label", default: nil)) ?? nil, (try? m.string("general.finetune", default: nil)) ?? nil]
            return parts.compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        }
        return fallback ?? stem
    }

    public init(file: GGUFFile) throws {
        let m = file.metadata
        let arch = try m.string("general.architecture")
        fileName = file.name
        fileBytes = file.bytes.count
        ggufVersion = file.version
        name = try m.string("general.name", default: nil)
        displayName = Self.displayName(fileName: file.name, metadata: m, fallback: name)
        license = try m.string("general.license", default: nil)
        config = try ModelConfig(metadata: m, architecture: arch)
        if ModelConfig.supportedArchitectures.contains(arch) { try ModelValidation.check(config, against: file) }
        tokenizerModel = try m.string("tokenizer.ggml.model", default: nil)
        tokenizerPre = try m.string("tokenizer.ggml.pre", default: nil)
        if case .array(_, let tokens)? = m["tokenizer.ggml.tokens"] { tokenCount = tokens.count } else { tokenCount = 0 }
        hasChatTemplate = m.contains("tokenizer.chat_template")
        tensorCount = file.tensors.count
        var byType: [GGMLType: (Int, Int)] = [:]
        for t in file.tensors {
            let (n, b) = byType[t.type] ?? (0, 0)
            byType[t.type] = (n + 1, b + t.byteCount)
        }
        bytesByType = byType.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.bytes > $1.bytes }
        weightBytes = file.tensorBytes
        tiedEmbeddings = file.tensor(named: "output.weight") == nil
    }

    /// KV cache bytes one token takes with elements of `bytesPerElement` bytes.
    public func kvBytesPerToken(bytesPerElement: Int) -> Int {
        config.kvElementsPerToken * bytesPerElement
    }
}
