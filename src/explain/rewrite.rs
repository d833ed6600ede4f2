//! When PostgreSQL rewrites a table: column type changes that are not binary-coercible, and
//! columns added with values it must compute for every row (volatile defaults, serial,
//! identity, stored generated columns). See the facts notes and
//! <https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES>.

use crate::sql::{pb, NodeEnum};

use super::tree::called_functions;

/// Whether a change rewrites the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    No,
    Yes(String),
    /// Cannot tell without the database; the reason says what is unknown.
    Maybe(String),
}

/// Built-in functions that are VOLATILE: a default calling one is evaluated per row, so
/// adding the column rewrites the table. (`now()`, `CURRENT_TIMESTAMP` are STABLE: no rewrite.)
const VOLATILE: &[&str] = &[
    "clock_timestamp",
    "timeofday",
    "random",
    "random_normal",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "nextval",
    "setseed",
    "txid_current",
    "pg_current_xact_id",
];

/// Built-in functions that are not volatile and appear in defaults; any other function call
/// may be a user function, VOLATILE unless declared otherwise.
const NOT_VOLATILE: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_date",
    "lower",
    "upper",
    "coalesce",
    "concat",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array",
    "to_jsonb",
    "to_json",
    "timezone",
    "make_interval",
];

/// Whether `ADD COLUMN def` rewrites the table.
pub fn add_column(def: &pb::ColumnDef) -> Rewrite {
    if let Some(t) = &def.type_name {
        let name = type_base(t);
        if matches!(
            name.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
        ) {
            return Rewrite::Yes(format!(
                "a {name} column gets a sequence default (nextval), computed for every row"
            ));
        }
    }
    for c in &def.constraints {
        let Some(NodeEnum::Constraint(c)) = &c.node else {
            continue;
        };
        match pb::ConstrType::try_from(c.contype) {
            Ok(pb::ConstrType::ConstrIdentity) => {
                return Rewrite::Yes("an identity column is filled for every row".into())
            }
            Ok(pb::ConstrType::ConstrGenerated) if c.generated_kind != "v" => {
                return Rewrite::Yes("a stored generated column is computed for every row".into())
            }
            Ok(pb::ConstrType::ConstrDefault) => {
                if let Some(expr) = &c.raw_expr {
                    let rewrite = default_rewrite(expr);
                    if rewrite != Rewrite::No {
                        return rewrite;
                    }
                }
            }
            _ => {}
        }
    }
    Rewrite::No
}

/// Whether a column default must be computed per row.
pub fn default_rewrite(expr: &pb::Node) -> Rewrite {
    let functions = called_functions(expr);
    if let Some(f) = functions.iter().find(|f| VOLATILE.contains(&f.as_str())) {
        return Rewrite::Yes(format!("the default calls {f}(), which is VOLATILE"));
    }
    if let Some(f) = functions
        .iter()
        .find(|f| !NOT_VOLATILE.contains(&f.as_str()))
    {
        return Rewrite::Maybe(format!(
            "the default calls {f}(); if it is VOLATILE (the default for a user function), the table is rewritten"
        ));
    }
    Rewrite::No
}

/// The type's own name, lowercased, without `pg_catalog` or array bounds.
pub fn type_base(t: &pb::TypeName) -> String {
    t.names
        .last()
        .and_then(crate::sql::string_value)
        .unwrap_or_default()
        .to_lowercase()
}

/// The integer type modifiers (`varchar(20)` → `[20]`, `numeric(10,2)` → `[10, 2]`).
fn typmods(t: &pb::TypeName) -> Option<Vec<i64>> {
    t.typmods
        .iter()
        .map(|m| match &m.node {
            Some(NodeEnum::AConst(c)) => match &c.val {
                Some(pb::a_const::Val::Ival(i)) => Some(i64::from(i.ival)),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Whether `ALTER COLUMN … TYPE new` over a column of type `old` rewrites the table.
/// `using` is the `USING` expression, if any; `column` the column's name.
pub fn type_change(
    old: &pb::TypeName,
    new: &pb::TypeName,
    using: Option<&pb::Node>,
    column: &str,
) -> Rewrite {
    if let Some(expr) = using {
        let plain = matches!(&expr.node, Some(NodeEnum::ColumnRef(_)))
            && crate::sql::refs::column_refs(expr) == [column.to_string()];
        if !plain {
            return Rewrite::Yes("the USING expression is evaluated for every row".into());
        }
    }
    if old.array_bounds.len() != new.array_bounds.len() {
        return Rewrite::Yes("the column changes between array and non-array".into());
    }
    let (from, to) = (canonical(&type_base(old)), canonical(&type_base(new)));
    let (Some(old_mods), Some(new_mods)) = (typmods(old), typmods(new)) else {
        return Rewrite::Maybe("the type modifiers are not plain numbers".into());
    };
    if from == to && old_mods == new_mods {
        return Rewrite::No;
    }
    let widened = |old_mods: &[i64], new_mods: &[i64]| match (old_mods, new_mods) {
        (_, []) => true,
        ([], _) => false,
        ([a], [b]) => b >= a,
        ([p, s], [q, t]) => s == t && q >= p,
        ([p], [q, 0]) => q >= p,
        _ => false,
    };
    let coercible = match (from.as_str(), to.as_str()) {
        // varchar(n) → varchar(m ≥ n), varchar → text, text → varchar without a length.
        ("varchar", "varchar") => widened(&old_mods, &new_mods),
        ("varchar", "text") => true,
        ("text", "varchar") => new_mods.is_empty(),
        // Larger precision (or none) keeps every stored value as it is.
        ("numeric", "numeric")
        | ("timestamp", "timestamp")
        | ("timestamptz", "timestamptz")
        | ("time", "time")
        | ("timetz", "timetz")
        | ("interval", "interval")
        | ("varbit", "varbit")
        | ("bit", "varbit") => widened(&old_mods, &new_mods),
        ("timestamp", "timestamptz") | ("timestamptz", "timestamp") => {
            return Rewrite::Yes(format!(
                "{from} → {to} converts every value (PostgreSQL ≥ 12 skips the rewrite only when the session TimeZone is UTC)"
            ))
        }
        _ => false,
    };
    if coercible {
        Rewrite::No
    } else {
        Rewrite::Yes(format!(
            "{} → {} is not binary-coercible",
            display(old, &from),
            display(new, &to)
        ))
    }
}

/// Aliases PostgreSQL resolves to one type.
fn canonical(name: &str) -> String {
    match name {
        "character varying" => "varchar",
        "int" | "integer" => "int4",
        "bigint" => "int8",
        "smallint" => "int2",
        "decimal" => "numeric",
        "bit varying" => "varbit",
        "bool" => "boolean",
        "float8" | "double precision" => "float8",
        other => other,
    }
    .to_string()
}

fn display(t: &pb::TypeName, base: &str) -> String {
    let mods = typmods(t).unwrap_or_default();
    let mods = if mods.is_empty() {
        String::new()
    } else {
        format!(
            "({})",
            mods.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    let array = if t.array_bounds.is_empty() { "" } else { "[]" };
    format!("{base}{mods}{array}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alter_type(before: &str, after: &str) -> Rewrite {
        let parse = |sql: &str| {
            let NodeEnum::CreateStmt(c) =
                crate::sql::parse_file(std::path::Path::new("t.sql"), sql)
                    .expect("parses")
                    .remove(0)
                    .node
            else {
                panic!("create table");
            };
            let Some(NodeEnum::ColumnDef(d)) = &c.table_elts[0].node else {
                panic!("column");
            };
            d.type_name.clone().expect("type")
        };
        let old = parse(&format!("CREATE TABLE t (a {before})"));
        let new = parse(&format!("CREATE TABLE t (a {after})"));
        type_change(&old, &new, None, "a")
    }

    #[test]
    fn binary_coercible_changes_do_not_rewrite() {
        for (a, b) in [
            ("VARCHAR(10)", "VARCHAR(20)"),
            ("VARCHAR(10)", "TEXT"),
            ("VARCHAR(10)", "VARCHAR"),
            ("TEXT", "VARCHAR"),
            ("NUMERIC(10,2)", "NUMERIC(12,2)"),
            ("TIMESTAMP(3)", "TIMESTAMP(6)"),
            ("TIMESTAMP(3)", "TIMESTAMP"),
            ("INTEGER", "INT"),
        ] {
            assert_eq!(alter_type(a, b), Rewrite::No, "{a} → {b}");
        }
    }

    #[test]
    fn other_changes_rewrite() {
        for (a, b) in [
            ("INTEGER", "BIGINT"),
            ("VARCHAR(20)", "VARCHAR(10)"),
            ("TEXT", "VARCHAR(10)"),
            ("NUMERIC(10,2)", "NUMERIC(10,3)"),
            ("TIMESTAMP(3)", "TIMESTAMPTZ(3)"),
            ("TEXT", "JSONB"),
            ("TEXT", "TEXT[]"),
            ("TIMESTAMP(6)", "TIMESTAMP(3)"),
        ] {
            assert!(matches!(alter_type(a, b), Rewrite::Yes(_)), "{a} → {b}");
        }
    }
}
