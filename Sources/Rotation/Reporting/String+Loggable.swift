extension String {
    /// The text with control characters written as `\u{…}`, for user names, hosts and other values from a secret
    /// or a server in log lines and error messages: a name with a line break must not be able to forge a second
    /// log line.
    public var loggable: String {
        var out = ""
        for scalar in unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                || scalar == "\u{2028}" || scalar == "\u{2029}"
            {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
