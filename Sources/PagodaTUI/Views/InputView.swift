/// The input line at the bottom: a prompt, the text wrapped over up to five lines (the
/// last ones shown), and the cursor.
enum InputView {
    static let prompt = "› "
    static let promptWidth = 2

    /// Wrapped lines of the input text and the (line, column) of the cursor.
    static func lines(_ input: InputLine, width: Int) -> [String] {
        layout(input, width: width).lines
    }

    static func layout(_ input: InputLine, width: Int) -> (lines: [String], cursor: (line: Int, column: Int)) {
        let w = max(1, width)
        var lines = [""]
        var column = 0
        var cursor = (line: 0, column: 0)
        for (i, c) in input.characters.enumerated() {
            if i == input.cursor { cursor = (lines.count - 1, column) }
            if c == "\n" {
                lines.append("")
                column = 0
                continue
            }
            let cw = displayWidth(c)
            if column + cw > w {
                lines.append("")
                column = 0
            }
            lines[lines.count - 1].append(c)
            column += cw
        }
        if input.cursor >= input.characters.count {
            if column >= w { lines.append(""); column = 0 }
            cursor = (lines.count - 1, column)
        }
        return (lines, cursor)
    }

    static func draw(_ input: InputLine, in r: Layout.Rect, on screen: inout ScreenBuffer, busy: Bool) {
        let (lines, cursor) = layout(input, width: r.width - promptWidth)
        let first = max(0, min(lines.count - r.height, cursor.line - r.height + 1))
        for row in 0..<r.height where first + row < lines.count {
            if row == 0 { screen.put(prompt, x: r.x, y: r.y, style: Style(foreground: busy ? .gray : .cyan, bold: true)) }
            screen.put(lines[first + row], x: r.x + promptWidth, y: r.y + row, maxX: r.x + r.width)
        }
        screen.cursor = (r.x + promptWidth + cursor.column, r.y + cursor.line - first)
    }
}
