import PostgresTarget
import Rotation

/// The targets this binary ships with; the generic target is always included by the library.
/// (`RotatorLambda`, the zip's binary, lists the same.)
enum BuiltInTargets {
    static var all: [TargetChoice] { [PostgresTargetFactory.choice] }
}
