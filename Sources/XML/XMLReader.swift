/// An element of an XML document: its name (without namespace prefix), its children, and its text.
package struct XMLElement: Sendable, Equatable {
    package var name: String
    package var children: [XMLElement] = []
    /// The character data directly inside the element, entities decoded.
    package var text: String = ""

    /// The first child named `name`.
    package func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// Every child named `name`.
    package func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }

    /// The text of the element found by following `path` from here (`["Endpoint", "Address"]`), or `nil`.
    package func text(_ path: String...) -> String? {
        var element = self
        for name in path {
            guard let next = element.child(name) else { return nil }
            element = next
        }
        return element.text
    }
}

/// A failure to read a response as XML. Says where, never what the document held.
package struct XMLReadError: Error, Equatable, CustomStringConvertible {
    package let offset: Int
    package let reason: String
    package var description: String { "not well-formed XML at byte \(offset): \(reason)" }
}

/// A small, strict reader for the XML that AWS's Query APIs answer with
/// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonParameters.html): elements, attributes (read
/// past), character data with the five predefined entities and character references, CDATA, comments and the XML
/// declaration. A document type declaration is refused rather than processed, so no entity can expand.
/// https://www.w3.org/TR/xml/ is the grammar; what it allows beyond this (processing instructions inside the
/// document, external entities) is refused, which AWS never sends.
package enum XMLReader {
    /// Deeper nesting than any AWS answer has is refused, so a hostile document cannot exhaust the stack.
    static let maximumDepth = 64

    package static func parse(_ bytes: [UInt8]) throws(XMLReadError) -> XMLElement {
        var reader = Cursor(bytes: bytes)
        reader.skipProlog()
        if reader.starts(with: "<!DOCTYPE") {
            throw XMLReadError(offset: reader.index, reason: "a document type declaration is not accepted")
        }
        let root = try reader.element(depth: 0)
        reader.skipMisc()
        guard reader.index == bytes.count else {
            throw XMLReadError(offset: reader.index, reason: "content after the root element")
        }
        return root
    }

    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        func starts(with text: String) -> Bool {
            let pattern = Array(text.utf8)
            return bytes.count - index >= pattern.count && Array(bytes[index..<index + pattern.count]) == pattern
        }

        func fail(_ reason: String) -> XMLReadError { XMLReadError(offset: index, reason: reason) }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        /// Skips past `terminator`; returns false when the document ends first.
        mutating func skip(past terminator: String) -> Bool {
            let pattern = Array(terminator.utf8)
            while index + pattern.count <= bytes.count {
                if Array(bytes[index..<index + pattern.count]) == pattern {
                    index += pattern.count
                    return true
                }
                index += 1
            }
            index = bytes.count
            return false
        }

        /// The XML declaration, comments and white space before the root element.
        mutating func skipProlog() {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // A UTF-8 byte-order mark.
            skipMisc()
            if starts(with: "<?xml") {
                _ = skip(past: "?>")
                skipMisc()
            }
        }

        mutating func skipMisc() {
            while true {
                skipSpace()
                guard starts(with: "<!--") else { return }
                _ = skip(past: "-->")
            }
        }

        mutating func name() throws(XMLReadError) -> String {
            let start = index
            while index < bytes.count, !([0x20, 0x09, 0x0A, 0x0D, 0x2F, 0x3E, 0x3D].contains(bytes[index])) {
                index += 1
            }
            guard index > start else { throw fail("a name was expected") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// `<name attributes>children</name>` or `<name attributes/>`, the cursor on its `<`.
        mutating func element(depth: Int) throws(XMLReadError) -> XMLElement {
            guard depth < XMLReader.maximumDepth else { throw fail("nested deeper than \(XMLReader.maximumDepth)") }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { throw fail("an element was expected") }
            index += 1
            let qualified = try name()
            var element = XMLElement(name: Self.localName(qualified))
            // Attributes (xmlns and the like) are read past: nothing AWS answers with needs them.
            while true {
                skipSpace()
                guard index < bytes.count else { throw fail("the document ends inside a start tag") }
                if starts(with: "/>") {
                    index += 2
                    return element
                }
                if bytes[index] == UInt8(ascii: ">") {
                    index += 1
                    break
                }
                _ = try name()
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw fail("'=' was expected") }
                index += 1
                skipSpace()
                guard index < bytes.count, bytes[index] == 0x22 || bytes[index] == 0x27 else {
                    throw fail("a quoted attribute value was expected")
                }
                let quote = bytes[index]
                index += 1
                while index < bytes.count, bytes[index] != quote { index += 1 }
                guard index < bytes.count else { throw fail("the document ends inside an attribute value") }
                index += 1
            }
            var text: [UInt8] = []
            while true {
                guard index < bytes.count else { throw fail("<\(qualified)> is not closed") }
                if starts(with: "</") {
                    index += 2
                    let closing = try name()
                    guard closing == qualified else { throw fail("</\(closing)> closes <\(qualified)>") }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { throw fail("'>' was expected") }
                    index += 1
                    element.text = String(decoding: text, as: UTF8.self)
                    return element
                } else if starts(with: "<!--") {
                    guard skip(past: "-->") else { throw fail("a comment is not closed") }
                } else if starts(with: "<![CDATA[") {
                    index += 9
                    let start = index
                    guard skip(past: "]]>") else { throw fail("a CDATA section is not closed") }
                    text += bytes[start..<index - 3]
                } else if starts(with: "<?") || starts(with: "<!") {
                    throw fail("a declaration or processing instruction inside the document is not accepted")
                } else if bytes[index] == UInt8(ascii: "<") {
                    element.children.append(try self.element(depth: depth + 1))
                } else if bytes[index] == UInt8(ascii: "&") {
                    text += try reference()
                } else {
                    text.append(bytes[index])
                    index += 1
                }
            }
        }

        /// `&amp;` and the other predefined entities, `&#NN;` and `&#xHH;`, as UTF-8.
        mutating func reference() throws(XMLReadError) -> [UInt8] {
            let start = index
            guard let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw fail("an entity reference is not closed")
            }
            let body = String(decoding: bytes[(start + 1)..<semicolon], as: UTF8.self)
            index = semicolon + 1
            switch body {
            case "amp": return [UInt8(ascii: "&")]
            case "lt": return [UInt8(ascii: "<")]
            case "gt": return [UInt8(ascii: ">")]
            case "quot": return [0x22]
            case "apos": return [0x27]
            default:
                let number: UInt32?
                if body.hasPrefix("#x") {
                    number = UInt32(body.dropFirst(2), radix: 16)
                } else if body.hasPrefix("#") {
                    number = UInt32(body.dropFirst(1))
                } else {
                    number = nil
                }
                guard let number, number != 0, let scalar = Unicode.Scalar(number) else {
                    index = start
                    throw fail("an unknown entity reference")
                }
                return Array(String(Character(scalar)).utf8)
            }
        }

        /// `ns:Name` → `Name`.
        static func localName(_ qualified: String) -> String {
            qualified.split(separator: ":").last.map(String.init) ?? qualified
        }
    }
}
