import PagodaEngine

/// `pagoda info`'s report.
extension ModelSummary {
    /// The report as lines of text.
    func render() -> [String] {
        func mib(_ bytes: Int) -> String { String(format: "%.2f MiB", Double(bytes) / 1_048_576) }
        let c = config
        var lines = [
            "file:            \(fileName) (\(fileBytes) bytes, GGUF v\(ggufVersion))",
            "name:            \(displayName)\(name.map { $0 == displayName ? "" : " (general.name: \(UntrustedText.escaped($0, limit: 80)))" } ?? "")",
            "license:         \(license ?? "-")",
            "architecture:    \(c.architecture)" + (ModelConfig.supportedArchitectures.contains(c.architecture) ? "" : " (not supported for inference)"),
            "layers:          \(c.layerCount)",
            "embedding:       \(c.embeddingLength)",
            "feed-forward:    \(c.feedForwardLength)",
            "heads:           \(c.headCount) query, \(c.kvHeadCount) key/value (head dim \(c.headDimension))",
            "rope:            base \(formatNumber(c.ropeBase)), \(c.ropeDimensionCount) dims" + ropeScalingText,
            "rms norm eps:    \(formatNumber(c.rmsNormEpsilon))",
            "family:          \(familyText)",
            "context:         \(c.contextLength) (training)",
            "vocabulary:      \(c.vocabularySize)",
            "tokenizer:       \(tokenizerModel ?? "-")" + (tokenizerPre.map { ", pre-tokenizer \($0)" } ?? "") + ", \(tokenCount) tokens",
            "chat template:   \(hasChatTemplate ? "present" : "absent")",
            "embeddings:      \(tiedEmbeddings ? "tied (output reuses token_embd)" : "separate output.weight")",
            "tensors:         \(tensorCount), \(weightBytes) bytes (\(mib(weightBytes)))",
        ]
        for entry in bytesByType {
            let label = "  \(entry.type.name)".padding(toLength: 17, withPad: " ", startingAt: 0)
            lines.append(label + "\(entry.tensors) tensors, \(entry.bytes) bytes (\(mib(entry.bytes)))")
        }
        let block = EngineOptions.defaultBlockTokens
        for (label, size) in [("f16", 2), ("f32", 4)] {
            let perToken = kvBytesPerToken(bytesPerElement: size)
            lines.append("kv cache \(label):    \(perToken) bytes per token, \(perToken * block) bytes per block of \(block) tokens (\(mib(perToken * block)))")
        }
        return lines
    }

    /// What the family does beyond the plain llama block.
    private var familyText: String {
        let f = config.family
        var parts = [f.ropePairing == .halves ? "rope on halves" : "rope on adjacent pairs"]
        if f.queryKeyNorm { parts.append("q/k head norms") }
        if f.postNorms { parts.append("post-norms") }
        if f.activation == .geluTanh { parts.append("GELU") }
        if let scale = f.embeddingScale { parts.append("embeddings ×\(formatNumber(scale))") }
        if let window = f.slidingWindow {
            parts.append("sliding window \(window)" + (f.slidingWindowPattern > 1 ? " (every \(f.slidingWindowPattern)th layer global)" : ""))
        }
        return parts.joined(separator: ", ")
    }

    private var ropeScalingText: String {
        switch config.ropeScaling {
        case .none: ""
        case .linear(let factor): ", linear scaling ×\(formatNumber(factor))"
        }
    }
}

/// A float printed without trailing noise: `100000`, `1e-05`, `0.5`.
func formatNumber(_ x: Float) -> String {
    if x == x.rounded(), abs(x) < 1e9 { return String(Int(x)) }
    return "\(x)"
}
