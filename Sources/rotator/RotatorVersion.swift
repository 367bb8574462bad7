enum RotatorVersion {
    static let current = "0.3.0"
}
