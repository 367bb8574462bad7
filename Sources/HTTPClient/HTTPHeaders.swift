/// HTTP header fields in the order they were sent or received; names compare case-insensitively.
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    public init(_ pairs: KeyValuePairs<String, String>) {
        self.fields = pairs.map { Field(name: $0.key, value: $0.value) }
    }

    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field named `name` with one field holding `value`.
    public mutating func set(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    public mutating func remove(name: String) {
        fields.removeAll { Self.namesMatch($0.name, name) }
    }

    /// The first value of the field named `name`, compared case-insensitively.
    public subscript(name: String) -> String? {
        fields.first(where: { Self.namesMatch($0.name, name) })?.value
    }

    /// Field names are ASCII tokens compared case-insensitively (https://www.rfc-editor.org/rfc/rfc9110#name-field-names).
    /// Compared byte by byte, folding only ASCII letters: `lowercased()` would make two strings per comparison, and
    /// the runtime loop looks up seven fields per invocation.
    static func namesMatch(_ first: String, _ second: String) -> Bool {
        var first = first
        var second = second
        return first.withUTF8 { left in
            second.withUTF8 { right in
                guard left.count == right.count else { return false }
                for index in left.indices where left[index] != right[index] {
                    guard foldedASCII(left[index]) == foldedASCII(right[index]) else { return false }
                }
                return true
            }
        }
    }

    private static func foldedASCII(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }
}
