import LLaVA
import Testing

@Suite struct PromptTemplateTests {
    @Test func rendersEachTemplate() throws {
        #expect(try PromptTemplate.llavaHF.render("What is this?") == "USER: <image>\nWhat is this? ASSISTANT:")
        #expect(try PromptTemplate.mistralInstruct.render("What is this?") == "[INST] <image>\nWhat is this? [/INST]")
        #expect(try PromptTemplate.llavaV1.render("Q") == "A chat between a curious human and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the human's questions. USER: <image>\nQ ASSISTANT:")
        #expect(try PromptTemplate.vicunaV1.render("Q").hasPrefix("A chat between a curious user and"))
        // A question that places the image itself is not given a second placeholder.
        #expect(try PromptTemplate.llavaHF.render("Compare <image> with the text") == "USER: Compare <image> with the text ASSISTANT:")
        #expect(try PromptTemplate.raw.render("<image> caption:") == "<image> caption:")
    }

    @Test func errors() throws {
        #expect(throws: LLaVAError.noImageSlot(prompt: "no image here")) { try PromptTemplate.raw.render("no image here") }
        #expect(throws: LLaVAError.unknownTemplate("chatml")) { try PromptTemplate(name: "chatml") }
    }
}
