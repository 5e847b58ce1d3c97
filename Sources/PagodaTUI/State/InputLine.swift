import Foundation

/// The text being typed, its cursor, and the history of past inputs, with the editing keys
/// of a shell line (Ctrl-A/E/K/U/W, arrows, Home/End, Up/Down through history).
///
/// The unit of editing is the `Character`, an extended grapheme cluster: Left steps over
/// "👨‍👩‍👧" or "é" (e and a combining accent) at once, Backspace deletes it whole.
public struct InputLine: Equatable, Sendable {
    public private(set) var characters: [Character] = []
    public private(set) var cursor = 0
    public private(set) var history: [String] = []
    private var historyIndex: Int?
    private var draft: [Character] = []

    public init() {}

    public var text: String { String(characters) }
    public var isEmpty: Bool { characters.isEmpty }

    public mutating func setText(_ s: String) {
        characters = Array(s)
        cursor = characters.count
        historyIndex = nil
    }

    /// Inserts text at the cursor; control characters (from a paste) become spaces, except
    /// newlines and tabs, which stay.
    public mutating func insert(_ s: String) {
        let clean = s.map { c -> Character in
            if c == "\n" || c == "\r\n" || c == "\r" { return "\n" }
            if c == "\t" { return " " }
            if let v = c.unicodeScalars.first?.value, v < 0x20 || v == 0x7F || (0x80..<0xA0).contains(v) { return " " }
            return c
        }
        // Keys arrive one scalar at a time, so "👨‍👩‍👧" comes as five inserts: the line is
        // regrouped into characters (extended grapheme clusters) each time, and the cursor
        // stays just after what was inserted. O(length of the line).
        let after = characters[cursor...]
        let regrouped = Array(String(characters[..<cursor]) + String(clean) + String(after))
        // What follows keeps its characters, unless the first of them joined the inserted text.
        let suffix = Array(String(after))
        let keptSuffix = regrouped.count >= suffix.count && Array(regrouped.suffix(suffix.count)) == suffix ? suffix.count : max(0, suffix.count - 1)
        characters = regrouped
        cursor = max(0, min(characters.count, characters.count - keptSuffix))
    }

    public mutating func backspace() {
        guard cursor > 0 else { return }
        characters.remove(at: cursor - 1)
        cursor -= 1
    }

    public mutating func deleteForward() {
        guard cursor < characters.count else { return }
        characters.remove(at: cursor)
    }

    public mutating func moveLeft() { cursor = max(0, cursor - 1) }
    public mutating func moveRight() { cursor = min(characters.count, cursor + 1) }
    public mutating func moveToStart() { cursor = 0 }
    public mutating func moveToEnd() { cursor = characters.count }

    /// Ctrl-K: delete from the cursor to the end.
    public mutating func killToEnd() { characters.removeSubrange(cursor...) }

    /// Ctrl-U: delete from the start to the cursor.
    public mutating func killToStart() {
        characters.removeSubrange(..<cursor)
        cursor = 0
    }

    /// Ctrl-W: delete the word before the cursor (and the spaces after it).
    public mutating func deleteWordBack() {
        var start = cursor
        while start > 0, characters[start - 1].isWhitespace { start -= 1 }
        while start > 0, !characters[start - 1].isWhitespace { start -= 1 }
        characters.removeSubrange(start..<cursor)
        cursor = start
    }

    /// Up: the previous history entry (keeping what was being typed to come back to).
    public mutating func historyBack() {
        guard !history.isEmpty else { return }
        if historyIndex == nil { draft = characters }
        let index = max(0, (historyIndex ?? history.count) - 1)
        historyIndex = index
        characters = Array(history[index])
        cursor = characters.count
    }

    /// Down: the next history entry, or the draft after the newest.
    public mutating func historyForward() {
        guard let index = historyIndex else { return }
        if index + 1 < history.count {
            historyIndex = index + 1
            characters = Array(history[index + 1])
        } else {
            historyIndex = nil
            characters = draft
        }
        cursor = characters.count
    }

    /// Takes the text for sending: clears the line and records it in history.
    public mutating func submit() -> String {
        let s = text
        if !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, history.last != s { history.append(s) }
        characters = []
        cursor = 0
        historyIndex = nil
        draft = []
        return s
    }
}
