//! Statements whose effect reaches beyond the database they run in, found from the parse
//! tree: roles and their settings, the server's configuration, other databases, tablespaces,
//! subscriptions, files on the server. A drill on a server given by URL runs in a database of
//! its own, which it drops afterwards; these statements would change the rest of the server
//! for good.
//!
//! [`KINDS`] declares every kind once, with what it changes and a statement that has it (run
//! as a test, as are the statements in the tests below that stay quiet). Decided to stay
//! quiet, because what they change lives in the database and goes with it:
//! `GRANT … ON TABLE … TO role`, `ALTER … OWNER TO role` (a role's dependencies on objects of
//! this database only), `ALTER DEFAULT PRIVILEGES FOR ROLE` (stored per database),
//! `CREATE EVENT TRIGGER`, `CREATE PUBLICATION`, foreign servers and user mappings, `SET` and
//! `SET ROLE` (the session only), `LOAD` (the session's backend only).
//!
//! What cannot be seen: a `DO` block (its statements are text run by PL/pgSQL) or a function
//! the migration calls may do any of this; [`hides_statements`] tells callers to warn.

use serde::Serialize;

use super::{pb, NodeEnum};
use pb::ObjectType as O;
use pg_query::NodeRef;

/// One kind of reach beyond the database.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Kind {
    /// Stable id, for JSON and documentation.
    pub id: &'static str,
    /// What it changes outside the database.
    pub changes: &'static str,
    /// A statement of this kind (checked by a test).
    #[serde(skip)]
    pub example: &'static str,
}

/// Every kind of reach beyond the database.
pub const KINDS: &[Kind] = &[
    Kind {
        id: "role",
        changes: "roles, which every database of the server shares",
        example: "CREATE ROLE app_reader LOGIN",
    },
    Kind {
        id: "role-setting",
        changes: "a role's settings, applied in every database (or the one named)",
        example: "ALTER ROLE app_owner SET statement_timeout = '5s'",
    },
    Kind {
        id: "role-membership",
        changes: "which roles are members of which, for the whole server",
        example: "GRANT app_owner TO app_reader",
    },
    Kind {
        id: "system-setting",
        changes: "the server's configuration (postgresql.auto.conf)",
        example: "ALTER SYSTEM SET work_mem = '13MB'",
    },
    Kind {
        id: "database",
        changes: "databases of the server, or their settings",
        example: "ALTER DATABASE app SET search_path = app",
    },
    Kind {
        id: "tablespace",
        changes: "tablespaces and their directories on the server",
        example: "CREATE TABLESPACE fast LOCATION '/mnt/fast'",
    },
    Kind {
        id: "shared-description",
        changes: "comments or security labels of roles, databases or tablespaces (shared by \
                  every database)",
        example: "COMMENT ON ROLE app_owner IS 'owns the app schema'",
    },
    Kind {
        id: "shared-privilege",
        changes: "privileges on databases, tablespaces or server parameters",
        example: "GRANT CONNECT ON DATABASE app TO app_reader",
    },
    Kind {
        id: "owned-by",
        changes: "what a role owns or may use in other databases too (databases, tablespaces)",
        example: "REASSIGN OWNED BY old_owner TO app_owner",
    },
    Kind {
        id: "subscription",
        changes: "logical replication from another server (and a replication slot there)",
        example: "DROP SUBSCRIPTION app_sync",
    },
    Kind {
        id: "prepared-transaction",
        changes: "prepared transactions, which outlive the session and keep their locks",
        example: "COMMIT PREPARED 'nightly'",
    },
    Kind {
        id: "server-file",
        changes: "files or programs on the server's machine",
        example: "COPY \"User\" TO '/tmp/users.csv'",
    },
    Kind {
        id: "server-function",
        changes: "the server, through a function (configuration reload, replication slots, \
                  other sessions, files, remote databases)",
        example: "SELECT pg_reload_conf()",
    },
];

/// Functions whose effect reaches beyond the database, by name (any schema).
const SERVER_FUNCTIONS: &[&str] = &[
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_promote",
    "pg_switch_wal",
    "pg_create_restore_point",
    "pg_backup_start",
    "pg_backup_stop",
    "pg_create_physical_replication_slot",
    "pg_create_logical_replication_slot",
    "pg_copy_physical_replication_slot",
    "pg_copy_logical_replication_slot",
    "pg_drop_replication_slot",
    "pg_replication_origin_create",
    "pg_replication_origin_drop",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_stat_reset_shared",
    "pg_stat_reset_slru",
    "pg_stat_reset_replication_slot",
    "lo_export",
    "pg_file_write",
    "pg_file_rename",
    "pg_file_unlink",
    "dblink",
    "dblink_exec",
];

/// What a statement reaches beyond its database: its kind, and what it is
/// (`ALTER SYSTEM`, `pg_reload_conf()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub kind: &'static Kind,
    pub what: String,
}

/// The statement's reach beyond the database it runs in, if it has one.
pub fn beyond_database(node: &NodeEnum) -> Option<Reach> {
    let (id, what) = match statement_reach(node) {
        Some(found) => found,
        None => (
            "server-function",
            format!("{}()", called_server_function(node)?),
        ),
    };
    let kind = KINDS
        .iter()
        .find(|k| k.id == id)
        .expect("every reach id is declared in KINDS");
    Some(Reach { kind, what })
}

/// Whether the statement runs statements the parse tree does not show (`DO`), which may
/// reach beyond the database unseen.
pub fn hides_statements(node: &NodeEnum) -> bool {
    matches!(node, NodeEnum::DoStmt(_))
}

fn statement_reach(node: &NodeEnum) -> Option<(&'static str, String)> {
    let found = |id, what: &str| Some((id, what.to_string()));
    match node {
        NodeEnum::CreateRoleStmt(_) => found("role", "CREATE ROLE"),
        NodeEnum::AlterRoleStmt(_) => found("role", "ALTER ROLE"),
        NodeEnum::DropRoleStmt(_) => found("role", "DROP ROLE"),
        NodeEnum::AlterRoleSetStmt(_) => found("role-setting", "ALTER ROLE … SET"),
        NodeEnum::GrantRoleStmt(g) if g.is_grant => found("role-membership", "GRANT role TO role"),
        NodeEnum::GrantRoleStmt(_) => found("role-membership", "REVOKE role FROM role"),
        NodeEnum::AlterSystemStmt(_) => found("system-setting", "ALTER SYSTEM"),
        NodeEnum::CreatedbStmt(_) => found("database", "CREATE DATABASE"),
        NodeEnum::DropdbStmt(_) => found("database", "DROP DATABASE"),
        NodeEnum::AlterDatabaseStmt(_) | NodeEnum::AlterDatabaseRefreshCollStmt(_) => {
            found("database", "ALTER DATABASE")
        }
        NodeEnum::AlterDatabaseSetStmt(_) => found("database", "ALTER DATABASE … SET"),
        NodeEnum::CreateTableSpaceStmt(_) => found("tablespace", "CREATE TABLESPACE"),
        NodeEnum::DropTableSpaceStmt(_) => found("tablespace", "DROP TABLESPACE"),
        NodeEnum::AlterTableSpaceOptionsStmt(_) => found("tablespace", "ALTER TABLESPACE"),
        NodeEnum::RenameStmt(r) => shared_object(r.rename_type)
            .map(|(id, object)| (id, format!("ALTER {object} … RENAME"))),
        NodeEnum::AlterOwnerStmt(a) => shared_object(a.object_type)
            .map(|(id, object)| (id, format!("ALTER {object} … OWNER TO"))),
        NodeEnum::CommentStmt(c) => shared_object(c.objtype)
            .map(|(_, object)| ("shared-description", format!("COMMENT ON {object}"))),
        NodeEnum::SecLabelStmt(s) => shared_object(s.objtype)
            .map(|(_, object)| ("shared-description", format!("SECURITY LABEL ON {object}"))),
        NodeEnum::GrantStmt(g) => shared_privilege(g.objtype).map(|object| {
            let verb = if g.is_grant { "GRANT" } else { "REVOKE" };
            ("shared-privilege", format!("{verb} … ON {object}"))
        }),
        NodeEnum::ReassignOwnedStmt(_) => found("owned-by", "REASSIGN OWNED"),
        NodeEnum::DropOwnedStmt(_) => found("owned-by", "DROP OWNED"),
        NodeEnum::CreateSubscriptionStmt(_) => found("subscription", "CREATE SUBSCRIPTION"),
        NodeEnum::AlterSubscriptionStmt(_) => found("subscription", "ALTER SUBSCRIPTION"),
        NodeEnum::DropSubscriptionStmt(_) => found("subscription", "DROP SUBSCRIPTION"),
        NodeEnum::TransactionStmt(t) => prepared_transaction(t),
        NodeEnum::CopyStmt(c) if c.is_program => found("server-file", "COPY … PROGRAM"),
        NodeEnum::CopyStmt(c) if !c.filename.is_empty() => found(
            "server-file",
            if c.is_from {
                "COPY … FROM file"
            } else {
                "COPY … TO file"
            },
        ),
        _ => None,
    }
}

/// Roles, databases and tablespaces live in the server's shared catalogs.
fn shared_object(object_type: i32) -> Option<(&'static str, &'static str)> {
    match O::try_from(object_type).ok()? {
        O::ObjectRole => Some(("role", "ROLE")),
        O::ObjectDatabase => Some(("database", "DATABASE")),
        O::ObjectTablespace => Some(("tablespace", "TABLESPACE")),
        _ => None,
    }
}

fn shared_privilege(object_type: i32) -> Option<&'static str> {
    match O::try_from(object_type).ok()? {
        O::ObjectDatabase => Some("DATABASE"),
        O::ObjectTablespace => Some("TABLESPACE"),
        O::ObjectParameterAcl => Some("PARAMETER"),
        _ => None,
    }
}

fn prepared_transaction(t: &pb::TransactionStmt) -> Option<(&'static str, String)> {
    use pb::TransactionStmtKind as K;
    let what = match K::try_from(t.kind).ok()? {
        K::TransStmtPrepare => "PREPARE TRANSACTION",
        K::TransStmtCommitPrepared => "COMMIT PREPARED",
        K::TransStmtRollbackPrepared => "ROLLBACK PREPARED",
        _ => return None,
    };
    Some(("prepared-transaction", what.to_string()))
}

/// The first function of [`SERVER_FUNCTIONS`] the statement calls, anywhere in its tree.
fn called_server_function(node: &NodeEnum) -> Option<&'static str> {
    node.nodes().into_iter().find_map(|(inner, ..)| {
        let NodeRef::FuncCall(call) = inner else {
            return None;
        };
        let name = call.funcname.last().and_then(super::string_value)?;
        SERVER_FUNCTIONS
            .iter()
            .find(|f| f.eq_ignore_ascii_case(name))
            .copied()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn reach(sql: &str) -> Option<Reach> {
        let statements = crate::sql::parse_file(Path::new("m.sql"), sql).unwrap();
        assert_eq!(statements.len(), 1, "{sql}");
        beyond_database(&statements[0].node)
    }

    #[test]
    fn every_declared_example_has_its_kind() {
        for kind in KINDS {
            let found = reach(kind.example).unwrap_or_else(|| panic!("{}: no reach", kind.id));
            assert_eq!(found.kind.id, kind.id, "{}", kind.example);
        }
    }

    #[test]
    fn statements_reaching_the_rest_of_the_server_are_found() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "role",
                &[
                    ("CREATE USER app LOGIN PASSWORD 'x'", "CREATE ROLE"),
                    ("CREATE GROUP readers", "CREATE ROLE"),
                    ("ALTER USER app CONNECTION LIMIT 5", "ALTER ROLE"),
                    ("DROP GROUP readers", "DROP ROLE"),
                    ("ALTER ROLE app RENAME TO app2", "ALTER ROLE … RENAME"),
                ],
            ),
            (
                "role-setting",
                &[
                    (
                        "ALTER ROLE app IN DATABASE app SET work_mem = '1MB'",
                        "ALTER ROLE … SET",
                    ),
                    ("ALTER ROLE ALL SET work_mem = '1MB'", "ALTER ROLE … SET"),
                ],
            ),
            (
                "role-membership",
                &[("REVOKE app_owner FROM app_reader", "REVOKE role FROM role")],
            ),
            (
                "system-setting",
                &[("ALTER SYSTEM RESET ALL", "ALTER SYSTEM")],
            ),
            (
                "database",
                &[
                    ("CREATE DATABASE reports", "CREATE DATABASE"),
                    ("DROP DATABASE IF EXISTS reports", "DROP DATABASE"),
                    ("ALTER DATABASE app CONNECTION LIMIT 10", "ALTER DATABASE"),
                    (
                        "ALTER DATABASE app OWNER TO app_owner",
                        "ALTER DATABASE … OWNER TO",
                    ),
                    (
                        "ALTER DATABASE app RENAME TO app2",
                        "ALTER DATABASE … RENAME",
                    ),
                ],
            ),
            (
                "tablespace",
                &[
                    ("DROP TABLESPACE fast", "DROP TABLESPACE"),
                    (
                        "ALTER TABLESPACE fast SET (random_page_cost = 1)",
                        "ALTER TABLESPACE",
                    ),
                ],
            ),
            (
                "shared-description",
                &[
                    ("COMMENT ON DATABASE app IS 'x'", "COMMENT ON DATABASE"),
                    ("COMMENT ON TABLESPACE fast IS 'x'", "COMMENT ON TABLESPACE"),
                    (
                        "SECURITY LABEL ON ROLE app IS 'x'",
                        "SECURITY LABEL ON ROLE",
                    ),
                ],
            ),
            (
                "shared-privilege",
                &[
                    (
                        "GRANT CREATE ON TABLESPACE fast TO app",
                        "GRANT … ON TABLESPACE",
                    ),
                    (
                        "GRANT SET ON PARAMETER work_mem TO app",
                        "GRANT … ON PARAMETER",
                    ),
                    (
                        "REVOKE CONNECT ON DATABASE app FROM PUBLIC",
                        "REVOKE … ON DATABASE",
                    ),
                ],
            ),
            ("owned-by", &[("DROP OWNED BY old_owner", "DROP OWNED")]),
            (
                "subscription",
                &[
                    (
                        "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p",
                        "CREATE SUBSCRIPTION",
                    ),
                    ("ALTER SUBSCRIPTION s DISABLE", "ALTER SUBSCRIPTION"),
                ],
            ),
            (
                "prepared-transaction",
                &[("PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION")],
            ),
            (
                "server-file",
                &[
                    ("COPY a FROM PROGRAM 'curl x'", "COPY … PROGRAM"),
                    ("COPY a FROM '/etc/passwd'", "COPY … FROM file"),
                ],
            ),
            (
                "server-function",
                &[
                    (
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity",
                        "pg_terminate_backend()",
                    ),
                    (
                        "SELECT pg_catalog.pg_create_logical_replication_slot('s', 'pgoutput')",
                        "pg_create_logical_replication_slot()",
                    ),
                    (
                        "INSERT INTO log SELECT dblink_exec('host=x', 'DROP TABLE t')",
                        "dblink_exec()",
                    ),
                ],
            ),
        ];
        for (id, statements) in cases {
            for (sql, what) in statements.iter() {
                let found = reach(sql).unwrap_or_else(|| panic!("{sql}: no reach"));
                assert_eq!((found.kind.id, found.what.as_str()), (*id, *what), "{sql}");
            }
        }
    }

    #[test]
    fn what_stays_in_the_database_is_not_reported() {
        for sql in [
            "CREATE TABLE a (id int)",
            "GRANT SELECT ON a TO app_reader",
            "REVOKE ALL ON SCHEMA public FROM PUBLIC",
            "ALTER TABLE a OWNER TO app_owner",
            "ALTER SCHEMA app OWNER TO app_owner",
            "ALTER DEFAULT PRIVILEGES FOR ROLE app_owner GRANT SELECT ON TABLES TO app_reader",
            "COMMENT ON TABLE a IS 'x'",
            "CREATE EVENT TRIGGER t ON ddl_command_end EXECUTE FUNCTION f()",
            "CREATE PUBLICATION p FOR TABLE a",
            "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw",
            "CREATE USER MAPPING FOR app SERVER s",
            "SET statement_timeout = 0",
            "SET ROLE app_owner",
            "LOAD 'auto_explain'",
            "COPY a FROM STDIN",
            "BEGIN",
            "COMMIT",
            "SELECT set_config('work_mem', '1MB', false)",
            "DO $$ BEGIN CREATE ROLE hidden; END $$",
        ] {
            assert_eq!(reach(sql), None, "{sql}");
        }
    }

    #[test]
    fn a_do_block_hides_its_statements() {
        let statements = crate::sql::parse_file(
            Path::new("m.sql"),
            "DO $$ BEGIN CREATE ROLE hidden; END $$;\nCREATE TABLE a (id int);",
        )
        .unwrap();
        assert!(hides_statements(&statements[0].node));
        assert!(!hides_statements(&statements[1].node));
    }
}
