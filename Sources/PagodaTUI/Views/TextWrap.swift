/// Word wrapping by display columns: breaks at spaces where it can, inside a word where it
/// must; keeps explicit newlines.
enum TextWrap {
    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var lineWidth = 0
            var lastSpace: String.Index?
            for c in paragraph {
                let w = displayWidth(c == "\t" ? " " : c)
                if lineWidth + w > width {
                    if c == " " {
                        // Break here; the space itself is dropped.
                        lines.append(line)
                        line = ""
                        lineWidth = 0
                        lastSpace = nil
                        continue
                    }
                    if let space = lastSpace, space > line.startIndex {
                        let rest = String(line[line.index(after: space)...])
                        lines.append(String(line[..<space]))
                        line = rest
                        lineWidth = displayWidth(rest)
                    } else {
                        lines.append(line)
                        line = ""
                        lineWidth = 0
                    }
                    lastSpace = nil
                }
                if c == " " { lastSpace = line.endIndex }
                line.append(c == "\t" ? " " : c)
                lineWidth += w
            }
            lines.append(line)
        }
        return lines
    }
}
