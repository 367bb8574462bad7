import Rotation

/// Runs a target step and reports a `PostgresError` that escapes it as the `RotationError` the handler maps to
/// a Lambda `errorType`; every other error (reading a secret version, …) passes through unchanged.
func translatingPostgresErrors<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as PostgresError {
        throw error.rotationError
    }
}

/// Logs in with the pending credential and runs a trivial query: `testSecret` for both strategies.
func testPendingLogin(_ pending: PostgresSecret, configuration: PostgresTargetConfiguration,
                      context: RotationContext) throws {
    let connector = PostgresConnector(configuration: configuration, context: context)
    do throws(PostgresError) {
        let connection = try connector.connectProvingPassword(pending, label: "AWSPENDING")
        defer { connection.close() }
        try connection.execute("SELECT NOW()")
    } catch {
        throw error.rotationError(templateMessage: "Unable to log into database with pending secret of secret ARN \(context.secretId)")
    }
    context.logger.info("testSecret: Successfully signed into PostgreSQL DB with AWSPENDING secret in \(context.secretId).")
}
