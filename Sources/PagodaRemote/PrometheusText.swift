import Foundation

/// Prometheus's text exposition format read into samples: `name{labels} value`, one a line;
/// `#` lines (HELP, TYPE) and anything unreadable are passed over.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let samples: [Sample]

    init(_ text: String) {
        samples = text.split(whereSeparator: \.isNewline).compactMap { Self.sample(String($0)) }
    }

    /// Every series of `name` added up (counters and gauges split by labels, such as
    /// vLLM's per-engine series); nil when the name is absent.
    func sum(_ name: String) -> Double? {
        let values = samples.filter { $0.name == name }.map(\.value)
        return values.isEmpty ? nil : values.reduce(0, +)
    }

    /// The first series of `name`.
    func first(_ name: String) -> Sample? { samples.first { $0.name == name } }

    /// Whether any series is named with `prefix` (a server's namespace: "vllm:", "llamacpp:").
    func has(prefix: String) -> Bool { samples.contains { $0.name.hasPrefix(prefix) } }

    static func sample(_ line: String) -> Sample? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard let head = trimmed.first, head != "#" else { return nil }
        var name = ""
        var labels: [String: String] = [:]
        var rest = Substring(trimmed)
        if let brace = rest.firstIndex(of: "{") {
            name = String(rest[..<brace])
            guard let close = closingBrace(rest, from: brace) else { return nil }
            labels = parseLabels(rest[rest.index(after: brace)..<close])
            rest = rest[rest.index(after: close)...]
        } else {
            guard let space = rest.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return nil }
            name = String(rest[..<space])
            rest = rest[space...]
        }
        let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard !name.isEmpty, let text = fields.first else { return nil }
        let value: Double? = switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
        return value.map { Sample(name: name, labels: labels, value: $0) }
    }

    /// The `}` closing the label set opened at `open`, skipping quoted values.
    private static func closingBrace(_ s: Substring, from open: Substring.Index) -> Substring.Index? {
        var quoted = false, escaped = false
        var i = s.index(after: open)
        while i < s.endIndex {
            let c = s[i]
            if escaped { escaped = false } else if c == "\\" { escaped = quoted } else if c == "\"" { quoted.toggle() } else if c == "}" && !quoted { return i }
            i = s.index(after: i)
        }
        return nil
    }

    /// `a="1",b="x\"y"` into a dictionary.
    private static func parseLabels(_ s: Substring) -> [String: String] {
        var labels: [String: String] = [:]
        var i = s.startIndex
        while i < s.endIndex {
            guard let eq = s[i...].firstIndex(of: "=") else { break }
            let key = s[i..<eq].trimmingCharacters(in: [" ", ","])
            var j = s.index(after: eq)
            guard j < s.endIndex, s[j] == "\"" else { break }
            j = s.index(after: j)
            var value = ""
            while j < s.endIndex, s[j] != "\"" {
                if s[j] == "\\", s.index(after: j) < s.endIndex {
                    j = s.index(after: j)
                    value.append(s[j] == "n" ? "\n" : s[j])
                } else {
                    value.append(s[j])
                }
                j = s.index(after: j)
            }
            labels[key] = value
            i = j < s.endIndex ? s.index(after: j) : j
        }
        return labels
    }
}
