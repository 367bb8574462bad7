/// A string with `{{…}}` placeholders, parsed once when the recipe is loaded.
struct Template: Sendable, Equatable {
    enum Variable: Sendable, Equatable, Hashable {
        /// A field of the AWSCURRENT value (at the time of the request), of the version under test, or of
        /// AWSPREVIOUS.
        case current(String)
        case pending(String)
        case previous(String)
        /// The rotation's ClientRequestToken.
        case token
        /// The recipe's `keyName` for this rotation.
        case keyName
        /// The id of the key a revoke acts on.
        case targetID
        /// Now + `ttlSeconds`, as RFC 3339 (`2027-03-01T09:00:00Z`) or as a date (`2027-03-01`).
        case expiresAt, expiresAtDate
        case ttlSeconds

        var name: String {
            switch self {
            case .current(let field): "current.\(field)"
            case .pending(let field): "pending.\(field)"
            case .previous(let field): "previous.\(field)"
            case .token: "token"
            case .keyName: "keyName"
            case .targetID: "target.id"
            case .expiresAt: "expiresAt"
            case .expiresAtDate: "expiresAtDate"
            case .ttlSeconds: "ttlSeconds"
            }
        }

        /// The secret field it reads, if any.
        var field: String? {
            switch self {
            case .current(let field), .pending(let field), .previous(let field): field
            default: nil
            }
        }
    }

    enum Part: Sendable, Equatable {
        case literal(String)
        case variable(Variable)
    }

    let parts: [Part]

    var variables: [Variable] {
        parts.compactMap {
            if case .variable(let variable) = $0 { return variable }
            return nil
        }
    }

    /// The one variable when the template is exactly `{{name}}` (a JSON body leaf that may become a number).
    var soleVariable: Variable? {
        if parts.count == 1, case .variable(let variable) = parts[0] { return variable }
        return nil
    }

    /// - Throws: a message naming what is wrong (the caller adds the recipe and field).
    init(_ text: String) throws(RecipeError) {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex {
                let literal = rest[..<open.lowerBound]
                if literal.contains("}}") { throw RecipeError("has \"}}\" without an opening \"{{\"") }
                parts.append(.literal(String(literal)))
            }
            guard let close = rest[open.upperBound...].firstRange(of: "}}") else {
                throw RecipeError("has \"{{\" without a closing \"}}\"")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingSpaces
            parts.append(.variable(try Self.variable(named: name)))
            rest = rest[close.upperBound...]
        }
        if rest.contains("}}") { throw RecipeError("has \"}}\" without an opening \"{{\"") }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
    }

    private static func variable(named name: String) throws(RecipeError) -> Variable {
        switch name {
        case "token": return .token
        case "keyName": return .keyName
        case "target.id": return .targetID
        case "expiresAt": return .expiresAt
        case "expiresAtDate": return .expiresAtDate
        case "ttlSeconds": return .ttlSeconds
        default:
            let pieces = name.split(separator: ".", maxSplits: 1).map(String.init)
            guard pieces.count == 2, !pieces[1].isEmpty else {
                throw RecipeError(
                    "uses {{\(name)}}; the variables are current.FIELD, pending.FIELD, previous.FIELD, token, "
                        + "keyName, target.id, expiresAt, expiresAtDate and ttlSeconds")
            }
            switch pieces[0] {
            case "current": return .current(pieces[1])
            case "pending": return .pending(pieces[1])
            case "previous": return .previous(pieces[1])
            default:
                throw RecipeError("uses {{\(name)}}; a field comes from current, pending or previous")
            }
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces (index walks: generic `reversed()` chains are slow to start).
    fileprivate var trimmingSpaces: String {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " { start = index(after: start) }
        while end > start, self[index(before: end)] == " " { end = index(before: end) }
        return String(self[start..<end])
    }
}
