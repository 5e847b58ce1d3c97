import Foundation

/// The stats pane's lines about a remote server: what it is, where its figures come from,
/// and each figure it exposes (none is invented for one it does not).
enum ServerStatsView {
    static func lines(_ r: ServerReport) -> [(text: String, style: Style)] {
        var out: [(String, Style)] = []
        func add(_ text: String, _ style: Style = .plain) { out.append((text, style)) }
        add("\(r.kind.rawValue) at \(r.address)")
        add("from \(r.source)", .dim)
        if let usage = r.kvUsage {
            add(String(format: "KV %@ %.1f%% used", meter(usage, width: 16), usage * 100))
            if let blocks = r.kvBlocks {
                add("\(blocks) blocks" + (r.blockTokens.map { " × \($0) tokens" } ?? ""))
            }
        }
        if let rate = r.prefixHitRate {
            var text = String(format: "prefix hits %.1f%%", rate * 100)
            if let hits = r.prefixHits, let queries = r.prefixQueries { text += " · \(count(hits)) of \(count(queries)) tokens" }
            add(text)
        }
        var load: [String] = []
        if let running = r.running { load.append("\(running) running") }
        if let waiting = r.waiting { load.append("\(waiting) waiting") }
        if let preemptions = r.preemptions { load.append("\(preemptions) preempted") }
        if !load.isEmpty { add(load.joined(separator: " · ")) }
        if let prompt = r.promptTokens, let generated = r.generatedTokens {
            add("tokens \(count(prompt)) prompt · \(count(generated)) generated")
        }
        for slot in r.slots {
            add("slot \(slot.id): \(slot.processing ? "busy" : "idle") · context \(slot.contextTokens)"
                + (slot.decoded.map { " · \($0) decoded" } ?? ""))
        }
        for m in r.loaded {
            add("\(m.name): \(mebibytes(m.bytes)) MiB" + (m.videoBytes > 0 ? " (\(mebibytes(m.videoBytes)) on the GPU)" : "")
                + (m.contextTokens.map { " · context \($0)" } ?? ""))
        }
        if let problem = r.problem { add(problem, Style(foreground: .yellow)) }
        return out
    }

    /// "[████······]" for a share of 0…1.
    static func meter(_ share: Double, width: Int) -> String {
        let filled = max(0, min(width, Int((share * Double(width)).rounded())))
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "]"
    }

    /// A token count as people read it: 950, 12.3k, 4.56M.
    static func count(_ n: Double) -> String {
        switch n {
        case ..<10_000: String(Int(n))
        case ..<1_000_000: String(format: "%.1fk", n / 1000)
        default: String(format: "%.2fM", n / 1_000_000)
        }
    }

    static func mebibytes(_ bytes: Int) -> String { String(format: "%.0f", Double(bytes) / 1_048_576) }
}
