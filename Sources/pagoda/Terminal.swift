import ArgumentParser
import Foundation
import PagodaEngine

/// Console helpers for the commands: errors to stderr and pull progress.
enum Terminal {
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// `value` as one line of JSON for scripts: keys sorted, slashes as they are.
    static func jsonLine(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Writes `text` and a newline to stderr; control characters in it (which could come
    /// from a model file) are escaped, lines kept.
    static func printError(_ text: String) {
        let safe = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { UntrustedText.escaped(String($0), limit: 2000) }.joined(separator: "\n")
        FileHandle.standardError.write(Data((safe + "\n").utf8))
    }

    /// Pulls `model` into the store with progress on stderr.
    static func pull(_ model: KnownModel) throws -> URL {
        let store = ModelStore.fromEnvironment()
        if store.isPresent(model) { return store.path(of: model) }
        let interactive = stderrIsTerminal
        printError("fetching \(model.name), \(String(format: "%.0f", Double(model.downloadBytes) / 1e6)) MB, into \(store.modelsFolder.path)")
        // On a terminal one line is redrawn; otherwise a line per part.
        let puller = ModelPuller(store: store) { event in
            switch event {
            case .downloading(let progress):
                if interactive {
                    FileHandle.standardError.write(Data("\r\u{1B}[K\(progress.line)".utf8))
                } else if progress.partBytes == 0 {
                    printError("downloading part \(progress.part) of \(progress.parts), \(String(format: "%.1f", Double(progress.partTotal) / 1e6)) MB")
                }
            case .extracting(let bytes, let total):
                guard interactive else { return }
                let percent = total > 0 ? bytes * 100 / total : 0
                FileHandle.standardError.write(Data("\r\u{1B}[Kassembling the model file: \(percent)%".utf8))
            case .verifying:
                if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                printError("verifying sha256")
            case .done(let url):
                printError("ready: \(url.path)")
            }
        }
        return try puller.pull(model)
    }
}

/// Runs `body`, turning Pagoda's errors into one line on stderr and exit status 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        Terminal.printError("pagoda: \(error)")
        throw ExitCode.failure
    }
}
