import Foundation
import PagodaFuzzTargets

// Built with `-D FUZZING -sanitize=fuzzer` (see `.ci/fuzz`), libFuzzer drives the target
// that `PAGODA_FUZZ_TARGET` names. Built plainly, this is a replayer: it runs files (or every
// file of folders) through a target once, which is how a finding is reproduced.

#if FUZZING
/// libFuzzer's entry point for a program that has its own `main` (SwiftPM gives every
/// executable one).
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["PAGODA_FUZZ_TARGET"] ?? ""
    guard let t = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("pagoda-fuzz: set PAGODA_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return t
}()

@main
struct PagodaFuzz {
    static func main() throws {
        try target.warmUp()
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv) { bytes, count in
            target.run(bytes.map { Data(bytes: $0, count: count) } ?? Data())
            return 0
        })
    }
}
#else
@main
struct PagodaFuzz {
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.first == "--write-seeds", args.count == 2 {
            try SeedCorpus.write(to: URL(fileURLWithPath: args[1]))
            return
        }
        guard let name = args.first, let target = FuzzTarget(rawValue: name), args.count > 1 else {
            print("usage: pagoda-fuzz TARGET FILE|FOLDER…   (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            print("       pagoda-fuzz --write-seeds FOLDER")
            exit(2)
        }
        var count = 0
        for path in args.dropFirst() {
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            let files = isFolder.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                target.run(try Data(contentsOf: URL(fileURLWithPath: file)))
                count += 1
            }
        }
        print("\(target.rawValue): \(count) inputs ran")
    }
}
#endif
