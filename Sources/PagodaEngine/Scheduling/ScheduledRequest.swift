import Foundation

/// One generation as the scheduler runs it (after vLLM v1's `Request`): the tokens its
/// sequence must hold and how many of them are computed. Prefill and decode are one step,
/// "compute the uncomputed tail", so a prompt's chunk and other requests' next tokens share
/// a forward pass. Touched by the scheduler's prompt queue until it is put in the inbox
/// (under the scheduler's lock), then only on the engine's queue.
final class ScheduledRequest: @unchecked Sendable {
    var request: Engine.Request
    let stop: StopSignal
    let emit: (GenerationEvent) -> Void
    let close: () -> Void
    /// Admission order: older requests are scheduled first and preempted last.
    let order: Int
    var sequence: SequenceID { request.sequence }

    /// The prompt as prepared before admission (rendered, tokenized, fitted), until admitted.
    var report: PromptReport?
    /// The prompt followed by every sampled token that is to be fed back.
    var tokens: [TokenID] = []
    var promptCount = 0
    /// Leading `tokens` whose keys and values are in the cache.
    var computed = 0
    /// Admitted or preempted: the cache is asked what it still holds before the next step.
    var needsPrepare = true
    /// Set once `prepare` ran the first time (prefix-cache figures are from then).
    var prepared = false
    var decoding: Bool { decodeStart != nil }

    var stats = GenerationStats()
    var sampler: Sampler
    var detokenizer: StreamingDetokenizer
    var stops: StopStringFilter
    let start = DispatchTime.now()
    var decodeStart: DispatchTime?

    init(_ request: Engine.Request, tokenizer: Tokenizer, stop: StopSignal, order: Int,
         emit: @escaping (GenerationEvent) -> Void, close: @escaping () -> Void) {
        self.request = request
        self.stop = stop
        self.order = order
        self.emit = emit
        self.close = close
        sampler = Sampler(request.sampling)
        detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        stops = StopStringFilter(request.stopStrings)
    }

    /// Tokens still to compute before the next logits are known.
    var uncomputed: Int { tokens.count - computed }

    func seconds(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9 }
}
