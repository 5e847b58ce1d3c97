/// Holds back streamed text that might be the start of a stop string, and reports a stop
/// string once it is complete (text from it on is dropped).
struct StopStringFilter {
    let stops: [String]
    private var held = ""

    init(_ stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
    }

    /// Takes new text; returns what can be shown now and the stop string if one completed.
    mutating func filter(_ text: String) -> (String, String?) {
        guard !stops.isEmpty else { return (text, nil) }
        held += text
        for stop in stops {
            if let range = held.range(of: stop) {
                let shown = String(held[..<range.lowerBound])
                held = ""
                return (shown, stop)
            }
        }
        // Keep the longest tail that is a prefix of some stop string.
        var keep = 0
        for stop in stops {
            for length in stride(from: min(stop.count - 1, held.count), to: 0, by: -1) where held.hasSuffix(String(stop.prefix(length))) {
                keep = max(keep, length)
                break
            }
        }
        let shown = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        return (shown, nil)
    }

    /// At the end of the stream: whatever was held back, plus `tail`.
    mutating func finish(_ tail: String) -> String? {
        let (text, stop) = filter(tail)
        if stop != nil { return text }
        defer { held = "" }
        return text + held
    }
}
