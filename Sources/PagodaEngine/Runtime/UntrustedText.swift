/// Text that came from outside (a model file's keys and strings, a template's messages),
/// made safe to print on a terminal: control characters (C0, DEL, C1) and the Unicode
/// bidirectional overrides are written as escapes (`\x1b`, `\u{202e}`), a backslash as
/// `\\`, and the text is cut to `limit` characters with an ellipsis. A crafted key can then
/// neither send escape sequences to the terminal nor flood it.
public enum UntrustedText {
    public static func escaped(_ text: String, limit: Int = 200) -> String {
        var out = ""
        var characters = 0
        for scalar in text.unicodeScalars {
            if characters >= limit {
                out += "…"
                break
            }
            let v = scalar.value
            switch v {
            case 0x5C: out += "\\\\"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0..<0x20, 0x7F..<0xA0: out += "\\x" + hex(v, digits: 2)
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: out += "\\u{" + hex(v, digits: 4) + "}"
            default: out.unicodeScalars.append(scalar)
            }
            characters += 1
        }
        return out
    }

    private static func hex(_ v: UInt32, digits: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}
