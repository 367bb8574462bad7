enum RotatorVersion {
    static let current = "0.2.0"
}
