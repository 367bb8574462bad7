import DatabaseRotation

/// What `rotator doctor` asks PostgreSQL about the logged-in role; read-only.
extension PostgresConnection {
    /// A role may always change its own password, except on RDS with `rds.restrict_password_commands` on, where it
    /// must be a member of `rds_password`
    /// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.Roles.html).
    /// A master for alternating users needs CREATEROLE (or to be a superuser).
    package func missingPrivileges(for duty: PrivilegeDuty) throws(DatabaseError) -> [String] {
        var missing: [String] = []
        let restricted = try execute("SELECT current_setting('rds.restrict_password_commands', true)").first?.first
        if restricted == "on" {
            let member = try execute(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'rds_password') "
                    + "THEN pg_has_role(current_user, 'rds_password', 'MEMBER') ELSE false END"
            ).first?.first
            if member != "t" { missing.append("membership of rds_password (rds.restrict_password_commands is on)") }
        }
        if duty.isMasters {
            let creates = try execute(
                "SELECT rolcreaterole OR rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user"
            ).first?.first
            if creates != "t" { missing.append("CREATEROLE") }
        }
        return missing
    }
}
