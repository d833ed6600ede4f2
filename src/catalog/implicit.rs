//! Objects PostgreSQL creates without being asked by name: the sequence behind a `serial`
//! (`bigserial`, `smallserial`) column and behind an identity column.
//!
//! `serial` is not a type: PostgreSQL turns `id serial` into `id integer NOT NULL DEFAULT
//! nextval('t_id_seq'::regclass)` plus a sequence `t_id_seq` (`AS integer`) owned by the
//! column, named by `ChooseRelationName(table, column, "seq")` (the name shortened to 63
//! bytes, a digit appended while a relation of that name exists). The model records it that
//! way, so a rule never sees `serial` as a column's type. The name the sequence is given then
//! stays: renaming the table or the column does not rename it, and the default refers to the
//! sequence itself, not to its name.

use super::{Catalog, Packed, Sequence};
use crate::sql::names::choose_name;
use crate::sql::{build, pb, string_value, NodeEnum, QName};

/// How a sequence came to exist when no `CREATE SEQUENCE` made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implicit {
    /// For a `serial`, `bigserial` or `smallserial` column.
    Serial,
    /// For a `GENERATED … AS IDENTITY` column.
    Identity,
}

/// The integer type behind a serial pseudo-type (`int4` for `serial`), as the parser names
/// integer types (`pg_catalog.int4`), or `None` for any other type.
pub fn serial_base(t: &pb::TypeName) -> Option<&'static str> {
    let [name] = t.names.as_slice() else {
        return None;
    };
    match string_value(name)? {
        "serial" | "serial4" => Some("int4"),
        "bigserial" | "serial8" => Some("int8"),
        "smallserial" | "serial2" => Some("int2"),
        _ => None,
    }
}

/// The serial pseudo-type over an integer type (`serial` for `int4`), when there is one.
pub fn serial_over(t: &pb::TypeName) -> Option<&'static str> {
    if !t.array_bounds.is_empty() {
        return None;
    }
    match t.names.last().and_then(string_value)? {
        "int4" => Some("serial"),
        "int8" => Some("bigserial"),
        "int2" => Some("smallserial"),
        _ => None,
    }
}

/// `pg_catalog.<base>`, as the parser writes `integer`, `bigint`, `smallint`.
pub fn integer_type(base: &str) -> pb::TypeName {
    pb::TypeName {
        names: vec![build::string("pg_catalog"), build::string(base)],
        typemod: -1,
        ..Default::default()
    }
}

/// `nextval('<sequence>'::regclass)`, the default PostgreSQL gives a serial column.
pub fn nextval(sequence: &QName) -> pb::Node {
    let regclass = pb::TypeName {
        names: vec![build::string("regclass")],
        typemod: -1,
        ..Default::default()
    };
    let literal = build::string_constant(&sequence.to_string());
    build::node(NodeEnum::FuncCall(Box::new(pb::FuncCall {
        funcname: vec![build::string("nextval")],
        args: vec![build::cast(literal, regclass)],
        funcformat: pb::CoercionForm::CoerceExplicitCall as i32,
        location: -1,
        ..Default::default()
    })))
}

/// The sequence a `nextval('<name>')` or `nextval('<name>'::regclass)` default draws from.
pub fn nextval_target(expr: &pb::Node) -> Option<QName> {
    let Some(NodeEnum::FuncCall(call)) = &expr.node else {
        return None;
    };
    let [name] = call.funcname.as_slice() else {
        return None;
    };
    if string_value(name) != Some("nextval") || call.args.len() != 1 {
        return None;
    }
    let mut arg = &call.args[0];
    if let Some(NodeEnum::TypeCast(cast)) = &arg.node {
        arg = cast.arg.as_deref()?;
    }
    let Some(NodeEnum::AConst(pb::AConst {
        val: Some(pb::a_const::Val::Sval(literal)),
        ..
    })) = &arg.node
    else {
        return None;
    };
    parse_relation_name(&literal.sval)
}

/// A relation name as `regclass` input reads it: dotted, each part quoted or folded to lower case.
fn parse_relation_name(text: &str) -> Option<QName> {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
        }
        parts.push(part);
        match chars.next() {
            Some('.') => continue,
            None => break,
            Some(_) => return None,
        }
    }
    (parts.len() <= 2 && parts.iter().all(|p| !p.is_empty())).then(|| QName::from_names(&parts))
}

/// `CREATE SEQUENCE <name> AS <type>`, as PostgreSQL creates a serial or identity sequence.
fn sequence_stmt(name: &QName, of: &pb::TypeName) -> pb::CreateSeqStmt {
    pb::CreateSeqStmt {
        sequence: Some(build::range_var(name)),
        options: vec![build::node(NodeEnum::DefElem(Box::new(pb::DefElem {
            defname: "as".into(),
            arg: Some(Box::new(build::node(NodeEnum::TypeName(of.clone())))),
            defaction: pb::DefElemAction::DefelemUnspec as i32,
            location: -1,
            ..Default::default()
        })))],
        ..Default::default()
    }
}

impl Catalog {
    /// The name PostgreSQL gives the sequence of a new serial or identity column: the first
    /// of `<table>_<column>_seq`, `…_seq1`, … that no relation of the schema holds (as far as
    /// the model knows the schema).
    pub(super) fn implicit_sequence_name(&self, table: &QName, column: &str) -> QName {
        let name = choose_name(&table.name, Some(column), "seq", |candidate| {
            self.relation_exists(&table.sibling(candidate))
        });
        table.sibling(&name)
    }

    /// Records the sequence a serial or identity column of `table` owns.
    pub(super) fn add_implicit_sequence(
        &mut self,
        name: QName,
        table: &QName,
        column: &str,
        of: &pb::TypeName,
        implicit: Implicit,
    ) {
        self.links.add_sequence(table, &name);
        self.sequences.insert(
            name.clone(),
            Sequence {
                stmt: Packed::pack(&sequence_stmt(&name, of)),
                name,
                owned_by: Some((table.clone(), column.to_string())),
                implicit: Some(implicit),
            },
        );
    }

    /// The sequence `table.column` owns, if the model knows one.
    pub fn owned_sequence(&self, table: &QName, column: &str) -> Option<&Sequence> {
        self.links
            .sequences(table)
            .iter()
            .filter_map(|name| self.sequences.get(name))
            .find(|s| matches!(&s.owned_by, Some((t, c)) if t == table && c == column))
    }

    /// After a sequence was renamed: a default that drew from `old` draws from `new` (the
    /// default refers to the sequence, not to its name).
    pub(super) fn follow_sequence_rename(&mut self, old: &QName, new: &QName) {
        let Some((table, column)) = self.sequences.get(new).and_then(|s| s.owned_by.clone()) else {
            return;
        };
        if let Some(c) = self.column_mut(&table, &column) {
            if c.default.as_ref().and_then(|d| nextval_target(&d.unpack())) == Some(old.clone()) {
                c.default = Some(Packed::pack(&nextval(new)));
            }
        }
    }

    /// After a sequence was dropped (with `CASCADE`, when a default still used it): the
    /// owning column's default that drew from it is gone too.
    pub(super) fn forget_sequence_default(&mut self, sequence: &Sequence) {
        let Some((table, column)) = &sequence.owned_by else {
            return;
        };
        if let Some(c) = self.column_mut(table, column) {
            let draws = c.default.as_ref().and_then(|d| nextval_target(&d.unpack()));
            if draws.as_ref() == Some(&sequence.name) {
                c.default = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str) -> QName {
        QName::new("", name)
    }

    fn target(sql: &str) -> Option<QName> {
        let stmts = crate::sql::parse_file(std::path::Path::new("t.sql"), sql).expect("parses");
        let Some(NodeEnum::SelectStmt(s)) = stmts.into_iter().next().map(|s| s.node) else {
            panic!("a SELECT");
        };
        let Some(NodeEnum::ResTarget(t)) = s.target_list[0].node.clone() else {
            panic!("a target");
        };
        nextval_target(&t.val.expect("a value"))
    }

    #[test]
    fn nextval_names_its_sequence_as_regclass_reads_it() {
        assert_eq!(
            target(r#"SELECT nextval('"Hook_id_seq"'::regclass)"#),
            Some(q("Hook_id_seq"))
        );
        assert_eq!(
            target("SELECT nextval('Hook_ID_seq')"),
            Some(q("hook_id_seq"))
        );
        assert_eq!(
            target(r#"SELECT nextval('audit."a""b"'::regclass)"#),
            Some(QName::new("audit", "a\"b"))
        );
        assert_eq!(target("SELECT now()"), None);
        assert_eq!(
            target(&format!("SELECT {}", deparsed(&q("T_id_seq")))),
            Some(q("T_id_seq"))
        );
    }

    /// As `tests/undo_serial.rs` checks on PostgreSQL.
    #[test]
    fn serial_sequences_are_named_as_postgresql_names_them() {
        let catalog = Catalog::folded(
            r#"CREATE TABLE "a_table_name_long_enough_that_its_sequence_name_must_be_shortened" ("id" BIGSERIAL);
               CREATE TABLE "t_id_seq" ("x" INT);
               CREATE TABLE "t" ("id" SERIAL);
               CREATE TABLE "Hook" ("id" SERIAL);
               ALTER TABLE "Hook" RENAME TO "Webhook";
               ALTER TABLE "Webhook" RENAME COLUMN "id" TO "key";"#,
        );
        let owned = |table: &str, column: &str| {
            let s = catalog.owned_sequence(&q(table), column).expect("owned");
            assert_eq!(s.implicit, Some(Implicit::Serial));
            s.name.name.clone()
        };
        assert_eq!(owned("Webhook", "key"), "Hook_id_seq");
        assert_eq!(owned("t", "id"), "t_id_seq1");
        let long = "a_table_name_long_enough_that_its_sequence_name_must_be_shorten";
        assert_eq!(
            owned(long, "id"),
            "a_table_name_long_enough_that_its_sequence_name_must_be__id_seq"
        );
        let key = catalog.table(&q("Webhook")).unwrap().column("key").unwrap();
        assert!(key.not_null);
        assert_eq!(serial_over(&key.type_name.unpack()), Some("serial"));
        let default = key.default.as_ref().map(|d| nextval_target(&d.unpack()));
        assert_eq!(default, Some(Some(q("Hook_id_seq"))));
    }

    #[test]
    fn a_sequence_rename_follows_into_the_default_and_a_cascade_drop_removes_it() {
        let catalog = Catalog::folded(
            r#"CREATE TABLE "T" ("id" SERIAL, "n" SMALLSERIAL);
               ALTER SEQUENCE "T_id_seq" RENAME TO "T_key_seq";
               DROP SEQUENCE "T_n_seq" CASCADE;"#,
        );
        let t = catalog.table(&q("T")).unwrap();
        let draws = |c: &str| {
            t.column(c)
                .unwrap()
                .default
                .as_ref()
                .map(|d| nextval_target(&d.unpack()))
        };
        assert_eq!(draws("id"), Some(Some(q("T_key_seq"))));
        assert_eq!(draws("n"), None);
        assert_eq!(
            serial_over(&t.column("n").unwrap().type_name.unpack()),
            Some("smallserial")
        );
    }

    /// `tests/implicit_objects.rs` checks on PostgreSQL that it names them as the model does.
    #[test]
    fn unnamed_constraints_are_named_as_postgresql_names_them() {
        let catalog = Catalog::folded(include_str!("../../tests/fixtures/unnamed_constraints.sql"));
        let mut names: Vec<_> = catalog.tables[&q("Order")]
            .constraints
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        names.sort_unstable();
        assert_eq!(names, EXPECTED);
    }

    const EXPECTED: [&str; 10] = [
        "Order_a_b_fkey",
        "Order_a_b_key",
        "Order_check",
        "Order_check1",
        "Order_code_key",
        "Order_code_key1",
        "Order_parent_fkey",
        "Order_pkey",
        "Order_qty_check",
        "Order_qty_check1",
    ];

    fn deparsed(sequence: &QName) -> String {
        let select = NodeEnum::SelectStmt(Box::new(pb::SelectStmt {
            target_list: vec![build::node(NodeEnum::ResTarget(Box::new(pb::ResTarget {
                val: Some(Box::new(nextval(sequence))),
                location: -1,
                ..Default::default()
            })))],
            limit_option: pb::LimitOption::Default as i32,
            op: pb::SetOperation::SetopNone as i32,
            ..Default::default()
        }));
        let text = crate::sql::deparse(select).expect("deparses");
        assert_eq!(text, r#"SELECT nextval('"T_id_seq"'::regclass)"#);
        text.trim_start_matches("SELECT ").to_string()
    }
}
