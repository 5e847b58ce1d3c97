/// Server-sent events as they arrive, cut into events: the `data:` lines of each event
/// joined with newlines (the only field OpenAI-style streams use; `event:`, `id:`, `retry:`
/// and comments are read past). Bytes may arrive split anywhere, a line may end in LF, CR
/// or CRLF, and a blank line ends an event.
///
/// A line longer than `maxLineBytes` is a broken stream, not a reason to grow without bound.
struct ServerSentEvents {
    struct LineTooLong: Error {}

    static let maxLineBytes = 8 << 20

    private var line: [UInt8] = []
    private var data: [String] = []
    /// The previous byte was a CR: an LF right after it ends nothing more.
    private var afterCR = false

    /// The events completed by `bytes`, in order.
    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws -> [String] where Bytes.Element == UInt8 {
        var events: [String] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            if byte == 0x0A || byte == 0x0D {
                afterCR = byte == 0x0D
                if let event = endLine() { events.append(event) }
            } else {
                guard line.count < Self.maxLineBytes else { throw LineTooLong() }
                line.append(byte)
            }
        }
        return events
    }

    /// Ends the current line; returns an event when the line was blank and data had come.
    private mutating func endLine() -> String? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            guard !data.isEmpty else { return nil }
            defer { data.removeAll() }
            return data.joined(separator: "\n")
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("data:") else { return nil }
        var value = text.dropFirst(5)
        if value.first == " " { value = value.dropFirst() }
        data.append(String(value))
        return nil
    }
}
