/// Reading environment dictionaries the way the SDKs do: a variable set to the empty string counts as unset.
extension Dictionary where Key == String, Value == String {
    func nonEmpty(_ name: String) -> String? {
        guard let value = self[name], !value.isEmpty else { return nil }
        return value
    }
}

extension Optional where Wrapped == String {
    /// `nil` for an empty string as well.
    var nonEmpty: String? {
        guard let value = self, !value.isEmpty else { return nil }
        return value
    }
}
