import Foundation
import XCTest
@testable import PagodaRemote
import PagodaTUI

/// The JSON each server answers with, read into the pane's figures.
final class ServerProbeTests: XCTestCase {
    /// llama-server's `/slots` (a recent build: `is_processing`, `next_token` a list).
    func testLlamaServerSlots() {
        let body = Data("""
        [{"id":0,"id_task":12,"n_ctx":4096,"speculative":false,"is_processing":true,
          "params":{"n_predict":-1},"next_token":[{"has_next_token":true,"has_new_line":false,"n_remain":-1,"n_decoded":37}]},
         {"id":1,"id_task":-1,"n_ctx":4096,"is_processing":false,"next_token":[{"n_decoded":0}]}]
        """.utf8)
        XCTAssertEqual(ServerProbe.slots(body), [
            ServerReport.Slot(id: 0, contextTokens: 4096, processing: true, decoded: 37),
            ServerReport.Slot(id: 1, contextTokens: 4096, processing: false, decoded: 0),
        ])
        XCTAssertEqual(ServerProbe.slots(Data("{\"error\":\"slots disabled\"}".utf8)), [])
    }

    func testOllamaLoadedModels() {
        let body = Data("""
        {"models":[{"name":"qwen2.5:0.5b","model":"qwen2.5:0.5b","size":1260000000,"digest":"a8b0c5",
          "expires_at":"2026-12-07T18:00:00Z","size_vram":1260000000,"context_length":4096}]}
        """.utf8)
        XCTAssertEqual(ServerProbe.loadedModels(body), [
            ServerReport.LoadedModel(name: "qwen2.5:0.5b", bytes: 1_260_000_000, videoBytes: 1_260_000_000, contextTokens: 4096),
        ])
    }

    /// Error bodies in each server's shape give the server's own words; a status says what
    /// it means for the user.
    func testErrorMessages() {
        let openAI = Data(#"{"error":{"message":"The model `gpt-9` does not exist.","type":"invalid_request_error","code":"model_not_found"}}"#.utf8)
        XCTAssertEqual(RemoteError.status(404, body: openAI, model: "gpt-9").description,
                       "model 'gpt-9' not found (404): The model `gpt-9` does not exist.")
        let ollama = Data(#"{"error":"model \"llama9\" not found, try pulling it first"}"#.utf8)
        XCTAssertTrue(RemoteError.status(404, body: ollama, model: "llama9").description.hasSuffix("try pulling it first"))
        let key = RemoteError.status(401, body: Data(#"{"error":{"message":"Invalid API Key"}}"#.utf8), model: nil)
        XCTAssertEqual(key.description, "the server refused the request (401): Invalid API Key; give its key with --api-key")
        let hostile = RemoteError.status(500, body: Data("\u{1B}[2J boom".utf8), model: nil)
        XCTAssertFalse(hostile.description.contains("\u{1B}"), "terminal escapes from a server are printed escaped")
    }

    func testURLsAreNormalised() throws {
        for url in ["http://h:8080", "http://h:8080/", "http://h:8080/v1", "http://h:8080/v1/"] {
            let s = try RemoteServer(url: url, apiKey: nil)
            XCTAssertEqual(s.root, "http://h:8080", url)
            XCTAssertEqual(s.api, "http://h:8080/v1", url)
        }
        XCTAssertEqual(try RemoteServer(url: "https://gpu.example/v1", apiKey: "").address, "gpu.example")
        XCTAssertNil(try RemoteServer(url: "http://h:1", apiKey: "").apiKey, "an empty key sends none")
        for bad in ["h:8080", "ftp://h/v1", "http://", "not a url"] {
            XCTAssertThrowsError(try RemoteServer(url: bad, apiKey: nil), bad)
        }
    }
}
