import Foundation

extension Engine {
    /// The prompt tokens for `messages` in the model's chat format, special tokens parsed.
    /// Like transformers' `apply_chat_template(tokenize=True)`: the rendered text is encoded
    /// with special tokens parsed and no BOS added (templates write their own).
    public func applyChatTemplate(_ messages: [ChatMessage], addGenerationPrompt: Bool = true, using template: ChatTemplate? = nil) throws -> [TokenID] {
        let text = try (template ?? self.template).render(messages, addGenerationPrompt: addGenerationPrompt)
        return tokenizer.encode(text, addSpecial: false, parseSpecial: true)
    }

    /// A prompt ready to generate from, and why it is not in the template asked for.
    public struct Prompt: Sendable {
        public var tokens: [TokenID]
        /// Set when the template failed while rendering and ChatML was used instead.
        public var warning: String?
        /// Messages a `ContextPolicy` left out so the prompt fits.
        public var droppedMessages = 0
    }

    /// The most prompt tokens a conversation can have and still leave `reply` tokens (at
    /// most half the room) for its answer: the model's context or the whole KV pool,
    /// whichever is smaller.
    public func promptRoom(reply: Int) -> Int {
        let room = tokenRoom - 1
        return room - min(reply, room / 2)
    }

    /// The most tokens a reply to a prompt of `promptTokens` can have before the context or
    /// the whole pool (every other conversation preempted) is full. At least 0.
    public func replyRoom(promptTokens: Int) -> Int { max(0, tokenRoom - promptTokens) }

    /// Tokens one sequence can hold: the model's context or the whole KV pool.
    var tokenRoom: Int {
        min(facts.contextLength, facts.kvPoolTokens)
    }

    /// The prompt for `messages` as `prompt(for:using:)`, with turns left out by `policy`
    /// until it is at most `limit` tokens. Each try renders and tokenizes the conversation
    /// again: a cost of one render per dropped turn.
    public func prompt(for messages: [ChatMessage], fitting limit: Int, policy: ContextPolicy, using template: ChatTemplate? = nil) -> Prompt {
        var kept = messages
        var result = prompt(for: kept, using: template)
        while result.tokens.count > limit, let drop = policy.nextTurnToDrop(kept) {
            kept.removeSubrange(drop)
            let dropped = result.droppedMessages + drop.count
            result = prompt(for: kept, using: template)
            result.droppedMessages = dropped
        }
        return result
    }

    /// The prompt tokens for `messages`, as `applyChatTemplate`; when the template fails
    /// while rendering (it raised, or passed a bound of `JinjaLimits`), the same messages in
    /// ChatML and the reason. The turn is never lost to a template.
    public func prompt(for messages: [ChatMessage], using template: ChatTemplate? = nil) -> Prompt {
        let chosen = template ?? self.template
        do {
            return Prompt(tokens: try applyChatTemplate(messages, using: chosen))
        } catch {
            let fallback = ChatMLTemplate()
            let tokens = tokenizer.encode(fallback.render(messages, addGenerationPrompt: true), addSpecial: false, parseSpecial: true)
            return Prompt(tokens: tokens, warning: "the chat template '\(chosen.name)' failed while rendering (\(error)); using ChatML for this prompt")
        }
    }
}
