import LLaVA
import Serving
import Testing
import WeightIO

/// Conversations rendered by `PromptTemplate.renderConversation` against transformers'
/// `apply_chat_template` with the llava-hf chat templates (Tests/Fixtures/serving/chat_templates.json,
/// from make_chat_template_fixtures.py).
@Suite struct ConversationRenderingTests {
    static let cases: [JSON] = try! JSON.parse(contentsOf: ServingFixtures.fixtures + "/serving/chat_templates.json").requireArray("cases")

    private static func turns(_ messages: [JSON]) throws -> [ChatTurn] {
        try messages.map { message in
            let parts: [ChatTurn.Part] = try message.requireArray("content").map { part in
                try part.requireString("type") == "image" ? .image : .text(try part.requireString("text"))
            }
            return ChatTurn(role: try #require(ChatTurn.Role(rawValue: try message.requireString("role"))), parts: parts)
        }
    }

    @Test(arguments: cases.indices, ["llava-hf", "qwen2"])
    func matchesTransformers(_ index: Int, _ template: String) throws {
        let fixture = Self.cases[index]
        let rendered = try PromptTemplate(name: template).renderConversation(Self.turns(try fixture.requireArray("messages")))
        let name = try fixture.requireString("name")
        #expect(rendered == (try fixture.requireString("rendered", template)), "\(name)")
    }

    @Test func requestMessagesBecomeTurns() throws {
        let request = try ChatCompletionRequest(body: Array("""
        {"messages": [{"role": "developer", "content": "Be brief."},
                      {"role": "user", "content": [{"type": "text", "text": "Look:"}, {"type": "image_url", "image_url": {"url": "data:x"}}]}]}
        """.utf8))
        let turns = request.messages.map(\.turn)
        #expect(turns == [ChatTurn(role: .system, parts: [.text("Be brief.")]), ChatTurn(role: .user, parts: [.text("Look:"), .image])])
        #expect(try PromptTemplate.llavaHF.renderConversation(turns) == "Be brief. USER: <image>\nLook: ASSISTANT:")
    }

    @Test func singleTurnTemplatesRefuseConversations() throws {
        let question = [ChatTurn(role: .user, parts: [.image, .text("What?")])]
        #expect(try PromptTemplate.llavaV1.renderConversation(question) == (try PromptTemplate.llavaV1.render("What?")))
        #expect(try PromptTemplate.mistralInstruct.renderConversation(question) == "[INST] <image>\nWhat? [/INST]")
        #expect(throws: LLaVAError.unsupportedConversation(template: "llava_v1")) {
            try PromptTemplate.llavaV1.renderConversation([ChatTurn(role: .system, parts: [.text("s")])] + question)
        }
    }
}
