/// Problems assembling or running a LLaVA model. `description` is one line naming the folder,
/// field or counts involved.
public enum LLaVAError: Error, CustomStringConvertible, Equatable {
    case unknownLayout(path: String, hint: String)
    case missingFile(path: String, what: String)
    case invalidConfig(path: String, reason: String)
    case imageTokenMismatch(slots: Int, features: Int)
    case noImageSlot(prompt: String)
    case imageSlotCount(slots: Int, images: Int)
    case featureWidth(expected: Int, found: Int)
    case unknownTemplate(String)
    case towerLacks(tower: String, what: String)
    case unsupportedConversation(template: String)

    public var description: String {
        switch self {
        case let .unknownLayout(path, hint): return "\(path): not a LLaVA checkpoint layout I know: \(hint)"
        case let .missingFile(path, what): return "\(path): missing \(what)"
        case let .invalidConfig(path, reason): return "\(path): \(reason)"
        case let .imageTokenMismatch(slots, features):
            return "the prompt has \(slots) image-token slots but the image gives \(features) features"
        case let .imageSlotCount(slots, images):
            return "the prompt has \(slots) <image> slot\(slots == 1 ? "" : "s") but \(images) image\(images == 1 ? " was" : "s were") given"
        case let .featureWidth(expected, found):
            return "image features are \(found) wide, the language model's hidden size is \(expected)"
        case let .noImageSlot(prompt): return "the prompt has no <image> placeholder: \(prompt.debugDescription)"
        case let .unknownTemplate(name):
            return "unknown template '\(name)' (expected auto, llava-hf, llava_v1, vicuna_v1, mistral_instruct, qwen2 or raw)"
        case let .towerLacks(tower, what): return "the \(tower) vision tower has no \(what)"
        case let .unsupportedConversation(template):
            return "the \(template) template renders one user message only (no system message, no earlier turns); use llava-hf or qwen2"
        }
    }
}
