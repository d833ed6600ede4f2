//! Columns: `ADD`/`DROP COLUMN`, the `ALTER TABLE` commands on columns (type, default, NOT
//! NULL), renames, and which tables use which types.

use super::*;
use std::sync::Arc;

impl Catalog {
    pub(in crate::catalog) fn add_column(&mut self, table: &QName, def: pb::ColumnDef) {
        let pb::ColumnDef {
            colname,
            type_name,
            raw_default,
            is_not_null,
            coll_clause,
            constraints,
            ..
        } = def;
        let mut type_name = type_name.unwrap_or_default();
        // `serial` is not a type: the column is an integer drawing from its own sequence.
        let serial = serial_base(&type_name);
        if let Some(base) = serial {
            type_name = integer_type(base);
        }
        let mut column = Column {
            name: colname,
            type_name: Packed::pack(&type_name),
            default: raw_default.map(Packed::from),
            not_null: is_not_null,
            generated: None,
            collation: coll_clause.map(Packed::from),
        };
        let mut inline = Vec::new();
        for c in constraints {
            let Some(NodeEnum::Constraint(mut c)) = c.node else {
                continue;
            };
            match ConstrType::try_from(c.contype) {
                Ok(ConstrType::ConstrNotnull) => column.not_null = true,
                Ok(ConstrType::ConstrNull) => column.not_null = false,
                Ok(ConstrType::ConstrDefault) => column.default = c.raw_expr.map(Packed::from),
                Ok(ConstrType::ConstrIdentity) => {
                    column.not_null = true;
                    column.generated = Some(Packed::from(c));
                }
                Ok(ConstrType::ConstrGenerated) => column.generated = Some(Packed::from(c)),
                Ok(ConstrType::ConstrPrimary) => {
                    column.not_null = true;
                    inline.push(with_keys(c, &column.name));
                }
                Ok(ConstrType::ConstrUnique | ConstrType::ConstrCheck) => {
                    inline.push(with_keys(c, &column.name))
                }
                Ok(ConstrType::ConstrForeign) => {
                    c.fk_attrs = vec![build::string(&column.name)];
                    inline.push(c);
                }
                _ => {}
            }
        }
        let mut sequence = None;
        if serial.is_some() {
            let name = self.implicit_sequence_name(table, &column.name);
            column.default = Some(Packed::pack(&nextval(&name)));
            column.not_null = true;
            sequence = Some((name, Implicit::Serial));
        } else if let Some(identity) = &column.generated {
            let identity = identity.unpack();
            if identity.contype == ConstrType::ConstrIdentity as i32 {
                let name = identity_sequence_name(&identity, table)
                    .unwrap_or_else(|| self.implicit_sequence_name(table, &column.name));
                sequence = Some((name, Implicit::Identity));
            }
        }
        self.note_type_user(table, &type_name);
        let Some(t) = self.table_mut(table) else {
            return;
        };
        if t.column(&column.name).is_some() {
            return; // ADD COLUMN IF NOT EXISTS over an existing column
        }
        let name = column.name.clone();
        t.columns.push(column);
        if let Some((sequence, implicit)) = sequence {
            self.add_implicit_sequence(sequence, table, &name, &type_name, implicit);
        }
        for c in inline {
            self.add_constraint(table, c);
        }
    }

    pub(in crate::catalog) fn set_not_null(
        &mut self,
        table: &QName,
        columns: &[String],
        not_null: bool,
    ) {
        if let Some(t) = self.table_mut(table) {
            t.columns.set_not_null(columns, not_null);
        }
    }

    pub(in crate::catalog) fn alter_table(&mut self, s: pb::AlterTableStmt) {
        let Some(rel) = s.relation.as_ref() else {
            return;
        };
        let table = QName::from_range_var(rel);
        if s.objtype == pb::ObjectType::ObjectType as i32 {
            // ALTER TYPE … ADD/DROP/ALTER ATTRIBUTE: the composite type is no longer as
            // created, and the model does not follow attributes.
            if self.composites.remove(&table).is_some() {
                self.untracked_types.insert(table);
            }
            return;
        }
        let mut cmds = s.cmds;
        in_run_order(&mut cmds);
        for cmd in cmds {
            if let Some(NodeEnum::AlterTableCmd(cmd)) = cmd.node {
                self.alter_table_cmd(&table, *cmd);
            }
        }
    }

    pub(in crate::catalog) fn alter_table_cmd(&mut self, table: &QName, cmd: pb::AlterTableCmd) {
        let pb::AlterTableCmd {
            subtype, name, def, ..
        } = cmd;
        let subtype = At::try_from(subtype);
        if matches!(subtype, Ok(At::AtColumnDefault)) {
            if let Some(c) = self.column_mut(table, &name) {
                c.default = def.map(Packed::from);
            }
            return;
        }
        match (subtype, def.and_then(|d| d.node)) {
            (Ok(At::AtAddColumn), Some(NodeEnum::ColumnDef(def))) => self.add_column(table, *def),
            (Ok(At::AtDropColumn), _) => self.drop_column(table, &name),
            (Ok(At::AtSetNotNull), _) => {
                self.set_not_null(table, std::slice::from_ref(&name), true)
            }
            (Ok(At::AtDropNotNull), _) => {
                self.set_not_null(table, std::slice::from_ref(&name), false)
            }
            (Ok(At::AtAlterColumnType), Some(NodeEnum::ColumnDef(def))) => {
                if let Some(t) = &def.type_name {
                    self.note_type_user(table, t);
                }
                if let Some(c) = self.column_mut(table, &name) {
                    // PostgreSQL rejects `TYPE serial` (no such type); keep the model's types real.
                    if let Some(t) = def.type_name.filter(|t| serial_base(t).is_none()) {
                        c.type_name = Packed::pack(&t);
                    }
                    if let Some(coll) = def.coll_clause {
                        c.collation = Some(Packed::from(coll));
                    }
                }
            }
            (Ok(At::AtAddConstraint), Some(NodeEnum::Constraint(c))) => {
                self.add_constraint(table, c)
            }
            (Ok(At::AtDropConstraint), _) => self.drop_constraint(table, &name),
            (Ok(At::AtValidateConstraint), _) => {
                if let Some(t) = self.table_mut(table) {
                    if let Some(c) = t.constraints.iter_mut().find(|c| c.name == name) {
                        c.not_valid = false;
                        c.def.update(|def| {
                            def.skip_validation = false;
                            def.initially_valid = true;
                        });
                    }
                }
            }
            _ => {}
        }
    }

    pub(in crate::catalog) fn column_mut(
        &mut self,
        table: &QName,
        column: &str,
    ) -> Option<&mut Column> {
        self.table_mut(table)?.columns.get_mut(column)
    }

    /// Drops a column and everything PostgreSQL drops with it: indexes and constraints that
    /// use it, foreign keys of other tables that reference it, and sequences it owns.
    pub(in crate::catalog) fn drop_column(&mut self, table: &QName, column: &str) {
        self.forget_column_comment(table, column);
        let Some(t) = self.table_mut(table) else {
            return;
        };
        t.columns.remove(column);
        let dropped: Vec<String> = t
            .constraints
            .iter()
            .filter(|c| c.columns.iter().any(|k| k == column))
            .map(|c| c.name.clone())
            .collect();
        t.constraints.retain(|c| !dropped.contains(&c.name));
        for name in self.links.indexes(table) {
            if self
                .indexes
                .get(name)
                .is_some_and(|i| &i.table == table && i.columns.iter().any(|k| k == column))
            {
                self.indexes.remove(name);
            }
        }
        for name in self.links.referrers(table) {
            if let Some(other) = self.tables.get_mut(name).map(Arc::make_mut) {
                other.constraints.retain(|c| {
                    !matches!(&c.references, Some((target, cols)) if target == table && cols.iter().any(|k| k == column))
                });
            }
        }
        for name in self.links.sequences(table) {
            if self
                .sequences
                .get(name)
                .is_some_and(|s| matches!(&s.owned_by, Some((t, c)) if t == table && c == column))
            {
                self.sequences.remove(name);
            }
        }
    }

    pub(in crate::catalog) fn rename_column(&mut self, table: &QName, old: &str, new: &str) {
        let rename = |names: &mut Vec<String>| {
            for n in names.iter_mut().filter(|n| n.as_str() == old) {
                *n = new.to_string();
            }
        };
        if let Some(t) = self.table_mut(table) {
            t.columns.rename(old, new);
            for c in &mut t.constraints {
                rename(&mut c.columns);
                c.def.update(|def| {
                    rename_string_nodes(&mut def.keys, old, new);
                    rename_string_nodes(&mut def.fk_attrs, old, new);
                    rename_string_nodes(&mut def.including, old, new);
                });
            }
        }
        for name in self.links.referrers(table) {
            let Some(t) = self.tables.get_mut(name).map(Arc::make_mut) else {
                continue;
            };
            for c in &mut t.constraints {
                if let Some((target, cols)) = &mut c.references {
                    if target == table {
                        rename(cols);
                    }
                }
            }
        }
        for name in self.links.indexes(table) {
            let Some(i) = self.indexes.get_mut(name).filter(|i| &i.table == table) else {
                continue;
            };
            if !i.columns.iter().any(|n| n == old) {
                continue; // the key, predicate and INCLUDE list do not mention the column
            }
            rename(&mut i.columns);
            i.stmt.update(|stmt| {
                for p in stmt
                    .index_params
                    .iter_mut()
                    .chain(stmt.index_including_params.iter_mut())
                {
                    if let Some(NodeEnum::IndexElem(e)) = &mut p.node {
                        if e.name == old {
                            e.name = new.to_string();
                        }
                    }
                }
            });
        }
        for name in self.links.sequences(table) {
            if let Some((t, c)) = self
                .sequences
                .get_mut(name)
                .and_then(|s| s.owned_by.as_mut())
            {
                if t == table && c == old {
                    *c = new.to_string();
                }
            }
        }
    }

    /// After a type rename, columns of that type refer to it by its new name.
    pub(in crate::catalog) fn retype_columns(&mut self, old: &QName, new: &QName) {
        let mut retyped = Vec::new();
        for t in self.tables.values_mut() {
            let typed = |c: &crate::catalog::Column| old.is_named_by(&c.type_name.unpack().names);
            if !t.columns.iter().any(typed) {
                continue; // not copied for nothing when a copy of the model shares it
            }
            let t = Arc::make_mut(t);
            for c in t.columns.iter_mut() {
                let mut type_name = c.type_name.unpack();
                if old.is_named_by(&type_name.names) {
                    let bounds = std::mem::take(&mut type_name.array_bounds);
                    type_name = build::type_name(new);
                    type_name.array_bounds = bounds;
                    c.type_name = Packed::pack(&type_name);
                    retyped.push(t.name.clone());
                }
            }
        }
        for table in retyped {
            self.note_type_users(&table);
        }
    }

    /// Records that `table` has a column of this type (see `Catalog::type_users`).
    pub(in crate::catalog) fn note_type_user(&mut self, table: &QName, type_name: &pb::TypeName) {
        if let Some(name) = type_name.names.last().and_then(string_value) {
            let users = self.type_users.entry(name.to_string()).or_default();
            users.insert(table);
        }
    }

    /// Records the types of every column of `table`, after it moved to this name.
    pub(in crate::catalog) fn note_type_users(&mut self, table: &QName) {
        let Some(t) = self.tables.get(table) else {
            return;
        };
        let types: Vec<pb::TypeName> = t.columns.iter().map(|c| c.type_name.unpack()).collect();
        for type_name in &types {
            self.note_type_user(table, type_name);
        }
    }
}

/// The name an identity column's `SEQUENCE NAME` option gives its sequence.
fn identity_sequence_name(identity: &pb::Constraint, table: &QName) -> Option<QName> {
    identity.options.iter().find_map(|o| match &o.node {
        Some(NodeEnum::DefElem(d)) if d.defname == "sequence_name" => match d.arg.as_deref() {
            Some(Node {
                node: Some(NodeEnum::List(l)),
            }) => {
                let name = QName::from_name_nodes(&l.items);
                Some(if l.items.len() == 1 {
                    table.sibling(&name.name)
                } else {
                    name
                })
            }
            _ => None,
        },
        _ => None,
    })
}

/// Puts an `ALTER TABLE`'s commands in the order PostgreSQL runs them: in passes (`AT_PASS_*`
/// in tablecmds.c), each pass in the statement's order. Drops first, then type changes, added
/// columns, then what is built on columns (constraints, NOT NULL, defaults); commands the
/// model does not tell apart keep their place among these. So `ADD CONSTRAINT c CHECK (x …),
/// ADD COLUMN x` adds the column first.
pub fn in_run_order(cmds: &mut [Node]) {
    cmds.sort_by_key(|cmd| {
        let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
            return 5;
        };
        match At::try_from(cmd.subtype).unwrap_or(At::Undefined) {
            At::AtDropColumn | At::AtDropConstraint | At::AtDropNotNull => 0,
            At::AtColumnDefault if cmd.def.is_none() => 0,
            At::AtAlterColumnType => 1,
            At::AtAddColumn => 4,
            _ => 5,
        }
    });
}
