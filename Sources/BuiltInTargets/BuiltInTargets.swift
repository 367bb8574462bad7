import APIKeyTarget
import MariaDBTarget
import PostgresTarget
import RedisTarget
import Rotation

/// The targets this project's binaries ship with (`rotator` and `RotatorLambda`, the zip's binary), listed once;
/// the generic target is always included by the library.
package enum BuiltInTargets {
    package static var all: [TargetChoice] {
        [
            PostgresDriver.choice, RedshiftDriver.choice, MySQLDriver.mysqlChoice, MySQLDriver.mariaDBChoice,
            RedisDriver.choice,
            APIKeyTarget.choice,
        ]
    }
}
