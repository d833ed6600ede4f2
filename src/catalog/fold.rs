//! Folding statements into the model, one at a time, in file order. A statement the model
//! does not track leaves it unchanged; undo rules say so for those statements.

use super::*;
use crate::sql::names::{choose_name, index_column_name, make_object_name, name_addition};
use crate::sql::{build, string_list, string_value, Node, NodeEnum};
use pb::{AlterTableType as At, ConstrType, ObjectType};

impl Catalog {
    /// Applies one statement to the model. Takes the statement by value: the parts the
    /// model keeps (types, defaults, constraint and index definitions) are moved in, not
    /// copied, since folding every statement of a history is on the hot path of `generate`.
    pub fn apply(&mut self, stmt: NodeEnum) {
        if self.fold_temporary(&stmt) {
            return;
        }
        match stmt {
            NodeEnum::CreateStmt(s) => self.create_table(s),
            NodeEnum::CreateTableAsStmt(s) => self.create_table_as(*s),
            NodeEnum::AlterTableStmt(s) => self.alter_table(s),
            NodeEnum::IndexStmt(s) => self.create_index(s),
            NodeEnum::DropStmt(s) => self.drop(&s),
            NodeEnum::RenameStmt(s) => self.rename(&s),
            NodeEnum::CreateEnumStmt(s) => {
                let name = QName::from_name_nodes(&s.type_name);
                let values = string_list(&s.vals);
                self.enums.insert(name.clone(), EnumType { name, values });
            }
            NodeEnum::AlterEnumStmt(s) => self.alter_enum(&s),
            NodeEnum::ViewStmt(s) => self.create_view(*s),
            NodeEnum::CreateSeqStmt(mut stmt) => {
                let name = QName::from_range_var(stmt.sequence.as_ref().expect("sequence name"));
                if !(stmt.if_not_exists && self.sequences.contains_key(&name)) {
                    stmt.if_not_exists = false;
                    self.sequences.insert(
                        name.clone(),
                        Sequence {
                            name,
                            stmt: Packed::from(stmt),
                            owned_by: None,
                        },
                    );
                }
            }
            NodeEnum::CreateExtensionStmt(s) if !self.extensions.contains_key(&s.extname) => {
                self.extensions.insert(s.extname.clone(), Packed::from(s));
            }
            NodeEnum::CreateSchemaStmt(s) => {
                self.schemas.insert(s.schemaname);
            }
            NodeEnum::CreateFunctionStmt(s) => {
                self.functions.insert(function_key(&s), Packed::from(s));
            }
            NodeEnum::CreateTrigStmt(s) => {
                let table = QName::from_range_var(s.relation.as_ref().expect("trigger table"));
                self.triggers
                    .insert((table, s.trigname.clone()), Packed::from(s));
            }
            NodeEnum::DoStmt(s) => self.taint_from_do_block(&s),
            NodeEnum::CommentStmt(s) => {
                let key = comment_key(&s);
                if s.comment.is_empty() {
                    self.comments.remove(&key);
                } else {
                    self.comments.insert(key, s.comment);
                }
            }
            _ => {}
        }
    }

    /// Statements on temporary relations: creating one records its name, dropping it
    /// forgets it, anything else on it changes nothing the model tracks. True when `stmt`
    /// was such a statement (and so is fully folded).
    fn fold_temporary(&mut self, stmt: &NodeEnum) -> bool {
        if let NodeEnum::DropStmt(s) = stmt {
            let (names, only) = self.temporary_drops(s);
            for name in names {
                self.temporary.remove(&name);
            }
            return only;
        }
        let Some(relation) = RelationUse::of(stmt) else {
            return false;
        };
        if !self.is_temporary_relation(relation.relation()) {
            return false;
        }
        match relation {
            RelationUse::Creates(rv, _) => {
                self.temporary.insert(rv.relname.clone());
            }
            RelationUse::Indexes(_, index) if !index.is_empty() => {
                self.temporary.insert(index.to_string());
            }
            RelationUse::Indexes(..) | RelationUse::ActsOn(_) => {}
        }
        true
    }

    /// A `DO` block may change any table its code names, in ways the model cannot follow:
    /// such tables stop being trusted for recreation (their undo becomes manual).
    fn taint_from_do_block(&mut self, s: &pb::DoStmt) {
        let body: String = s
            .args
            .iter()
            .filter_map(|a| match &a.node {
                Some(NodeEnum::DefElem(d)) => d.arg.as_deref().and_then(crate::sql::string_value),
                _ => None,
            })
            .collect();
        let lower = body.to_lowercase();
        for table in self.tables.values_mut() {
            let quoted = format!("\"{}\"", table.name.name);
            if body.contains(&quoted) || mentions_word(&lower, &table.name.name.to_lowercase()) {
                table.opaque = Some("a DO block in an earlier migration may have changed it in ways unmigrate cannot follow".into());
            }
        }
    }

    fn create_table(&mut self, s: pb::CreateStmt) {
        let name = QName::from_range_var(s.relation.as_ref().expect("table name"));
        if s.if_not_exists && self.tables.contains_key(&name) {
            return;
        }
        let pb::CreateStmt {
            relation,
            table_elts,
            inh_relations,
            partbound,
            partspec,
            of_typename,
            constraints,
            options,
            oncommit,
            tablespacename,
            access_method,
            ..
        } = s;
        let opaque = (!inh_relations.is_empty() || partbound.is_some() || of_typename.is_some())
            .then(|| {
                "the table inherits its columns (INHERITS, PARTITION OF or OF type)".to_string()
            });
        // Everything but the elements, which the model keeps in its own form.
        let shape = Packed::pack(&pb::CreateStmt {
            relation,
            inh_relations,
            partbound,
            partspec,
            of_typename,
            options,
            oncommit,
            tablespacename,
            access_method,
            ..Default::default()
        });
        self.tables.insert(
            name.clone(),
            Table {
                name: name.clone(),
                columns: Columns::with_capacity(table_elts.len()),
                constraints: Vec::new(),
                shape,
                opaque,
            },
        );
        for element in table_elts {
            match element.node {
                Some(NodeEnum::ColumnDef(def)) => self.add_column(&name, *def),
                Some(NodeEnum::Constraint(c)) => self.add_constraint(&name, c),
                Some(NodeEnum::TableLikeClause(_)) => {
                    if let Some(t) = self.tables.get_mut(&name) {
                        t.opaque = Some("the table copies columns with LIKE".into());
                    }
                }
                _ => {}
            }
        }
        for c in constraints {
            if let Some(NodeEnum::Constraint(c)) = c.node {
                self.add_constraint(&name, c);
            }
        }
    }

    fn create_table_as(&mut self, mut stmt: pb::CreateTableAsStmt) {
        let Some(rel) = stmt.into.as_ref().and_then(|i| i.rel.as_ref()) else {
            return;
        };
        let name = QName::from_range_var(rel);
        if stmt.objtype == ObjectType::ObjectMatview as i32 {
            stmt.if_not_exists = false;
            self.insert_view(name, Parsed::Materialized(stmt));
        } else {
            self.tables.insert(
                name.clone(),
                Table {
                    name,
                    columns: Columns::default(),
                    constraints: Vec::new(),
                    shape: Packed::default(),
                    opaque: Some("the table was created with CREATE TABLE … AS".into()),
                },
            );
        }
    }

    fn add_column(&mut self, table: &QName, def: pb::ColumnDef) {
        let pb::ColumnDef {
            colname,
            type_name,
            raw_default,
            is_not_null,
            coll_clause,
            constraints,
            ..
        } = def;
        let type_name = type_name.unwrap_or_default();
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
        if is_serial(&type_name) {
            let seq = table.sibling(&make_object_name(&table.name, Some(&column.name), "seq"));
            self.links.add_sequence(table, &seq);
            self.sequences.insert(
                seq.clone(),
                Sequence {
                    name: seq,
                    stmt: Packed::default(),
                    owned_by: Some((table.clone(), column.name.clone())),
                },
            );
            column.not_null = true;
        }
        self.note_type_user(table, &type_name);
        let Some(t) = self.tables.get_mut(table) else {
            return;
        };
        if t.column(&column.name).is_some() {
            return; // ADD COLUMN IF NOT EXISTS over an existing column
        }
        t.columns.push(column);
        for c in inline {
            self.add_constraint(table, c);
        }
    }

    /// The name a new table constraint gets: its own, or the one PostgreSQL would choose.
    pub fn new_constraint_name(&self, table_name: &QName, c: &pb::Constraint) -> Option<String> {
        let kind = constraint_kind(c.contype)?;
        if !c.conname.is_empty() {
            return Some(c.conname.clone());
        }
        if !c.indexname.is_empty() {
            // USING INDEX without a name: the index's (see using_index.rs).
            return Some(c.indexname.clone());
        }
        let table = self.tables.get(table_name)?;
        Some(self.default_constraint_name(table, kind, &constraint_columns(kind, c)))
    }

    /// Records a table constraint, naming it as PostgreSQL would when it has no name.
    pub(crate) fn add_constraint(&mut self, table_name: &QName, mut c: Box<pb::Constraint>) {
        let Some(kind) = constraint_kind(c.contype) else {
            if c.contype == ConstrType::ConstrNotnull as i32 {
                self.set_not_null(table_name, &string_list(&c.keys), true);
            }
            return;
        };
        if !c.indexname.is_empty() && !self.take_over_index(table_name, &mut c) {
            return;
        }
        let Some(table) = self.tables.get(table_name) else {
            return;
        };
        let columns = constraint_columns(kind, &c);
        let references = (kind == ConstraintKind::ForeignKey).then(|| {
            let target = QName::from_range_var(c.pktable.as_ref().expect("referenced table"));
            let mut target_columns = string_list(&c.pk_attrs);
            if target_columns.is_empty() {
                target_columns = self
                    .tables
                    .get(&target)
                    .and_then(Table::primary_key)
                    .map(|pk| pk.columns.clone())
                    .unwrap_or_default();
            }
            (target, target_columns)
        });
        let name = if c.conname.is_empty() {
            self.default_constraint_name(table, kind, &columns)
        } else {
            c.conname.clone()
        };
        let mut def = c;
        def.conname = name.clone();
        let not_valid = def.skip_validation;
        let def = Packed::from(def);
        let index_backed = matches!(
            kind,
            ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclusion
        );
        if kind == ConstraintKind::PrimaryKey {
            self.set_not_null(table_name, &columns, true);
        }
        if let Some((target, _)) = &references {
            self.links.add_referrer(target, table_name);
        }
        if index_backed {
            let index_name = table_name.sibling(&name);
            self.links.add_index(table_name, &index_name);
            self.indexes.insert(
                index_name.clone(),
                Index {
                    name: index_name,
                    table: table_name.clone(),
                    stmt: Packed::default(),
                    columns: columns.clone(),
                    constraint: Some(name.clone()),
                },
            );
        }
        if let Some(t) = self.tables.get_mut(table_name) {
            t.constraints.push(Constraint {
                name,
                kind,
                def,
                columns,
                references,
                not_valid,
            });
        }
    }

    fn default_constraint_name(
        &self,
        table: &Table,
        kind: ConstraintKind,
        columns: &[String],
    ) -> String {
        let taken_constraint = |n: &str| {
            table.constraints.iter().any(|c| c.name == n)
                || self.relation_exists(&table.name.sibling(n))
        };
        let addition = name_addition(columns);
        match kind {
            ConstraintKind::PrimaryKey => {
                choose_name(&table.name.name, None, "pkey", taken_constraint)
            }
            ConstraintKind::Unique => {
                choose_name(&table.name.name, Some(&addition), "key", taken_constraint)
            }
            ConstraintKind::Exclusion => {
                choose_name(&table.name.name, Some(&addition), "excl", taken_constraint)
            }
            ConstraintKind::ForeignKey => {
                choose_name(&table.name.name, Some(&addition), "fkey", taken_constraint)
            }
            ConstraintKind::Check => {
                let first = columns.first().map(String::as_str);
                choose_name(&table.name.name, first, "check", taken_constraint)
            }
        }
    }

    fn set_not_null(&mut self, table: &QName, columns: &[String], not_null: bool) {
        if let Some(t) = self.tables.get_mut(table) {
            t.columns.set_not_null(columns, not_null);
        }
    }

    fn alter_table(&mut self, s: pb::AlterTableStmt) {
        let Some(rel) = s.relation.as_ref() else {
            return;
        };
        let table = QName::from_range_var(rel);
        for cmd in s.cmds {
            if let Some(NodeEnum::AlterTableCmd(cmd)) = cmd.node {
                self.alter_table_cmd(&table, *cmd);
            }
        }
    }

    fn alter_table_cmd(&mut self, table: &QName, cmd: pb::AlterTableCmd) {
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
                    if let Some(t) = def.type_name {
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
                if let Some(t) = self.tables.get_mut(table) {
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

    fn column_mut(&mut self, table: &QName, column: &str) -> Option<&mut Column> {
        self.tables.get_mut(table)?.columns.get_mut(column)
    }

    /// Drops a column and everything PostgreSQL drops with it: indexes and constraints that
    /// use it, foreign keys of other tables that reference it, and sequences it owns.
    fn drop_column(&mut self, table: &QName, column: &str) {
        let Some(t) = self.tables.get_mut(table) else {
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
            if let Some(other) = self.tables.get_mut(name) {
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

    /// Drops a constraint, its index, and (as `CASCADE` would) foreign keys that depend on a
    /// dropped primary key or unique constraint.
    fn drop_constraint(&mut self, table: &QName, name: &str) {
        let Some(t) = self.tables.get_mut(table) else {
            return;
        };
        let Some(pos) = t.constraints.iter().position(|c| c.name == name) else {
            return;
        };
        let removed = t.constraints.remove(pos);
        self.indexes.remove(&table.sibling(name));
        if matches!(
            removed.kind,
            ConstraintKind::PrimaryKey | ConstraintKind::Unique
        ) {
            for name in self.links.referrers(table) {
                if let Some(other) = self.tables.get_mut(name) {
                    other.constraints.retain(|c| {
                        !matches!(&c.references, Some((target, cols)) if target == table && cols == &removed.columns)
                    });
                }
            }
        }
    }

    fn create_index(&mut self, s: Box<pb::IndexStmt>) {
        let Some(rel) = s.relation.as_ref() else {
            return;
        };
        let table = QName::from_range_var(rel);
        let name = if s.idxname.is_empty() {
            self.default_index_name(&table, &s)
        } else {
            table.sibling(&s.idxname)
        };
        if self.indexes.contains_key(&name) {
            return; // IF NOT EXISTS over an existing index (otherwise the forward failed)
        }
        let columns = index_columns(&s);
        let mut stmt = s;
        stmt.idxname = name.name.clone();
        stmt.concurrent = false;
        stmt.if_not_exists = false;
        self.links.add_index(&table, &name);
        self.indexes.insert(
            name.clone(),
            Index {
                name,
                table,
                stmt: Packed::from(stmt),
                columns,
                constraint: None,
            },
        );
    }

    /// The name PostgreSQL gives an unnamed index: `<table>_<columns>_idx` (or `_key` for a
    /// unique index), numbered on collision.
    pub fn default_index_name(&self, table: &QName, s: &pb::IndexStmt) -> QName {
        let columns: Vec<String> = s
            .index_params
            .iter()
            .filter_map(|p| match &p.node {
                Some(NodeEnum::IndexElem(e)) => Some(index_column_name(e)),
                _ => None,
            })
            .collect();
        let label = if s.primary {
            "pkey"
        } else if s.unique {
            "key"
        } else {
            "idx"
        };
        let addition = name_addition(&columns);
        table.sibling(&choose_name(&table.name, Some(&addition), label, |n| {
            self.relation_exists(&table.sibling(n))
        }))
    }

    fn drop(&mut self, s: &pb::DropStmt) {
        let kind = ObjectType::try_from(s.remove_type).unwrap_or(ObjectType::Undefined);
        for object in &s.objects {
            match kind {
                ObjectType::ObjectTable => self.drop_table(&object_qname(object)),
                ObjectType::ObjectIndex => {
                    self.indexes.remove(&object_qname(object));
                }
                ObjectType::ObjectView | ObjectType::ObjectMatview => {
                    self.views.remove(&object_qname(object));
                }
                ObjectType::ObjectSequence => {
                    self.sequences.remove(&object_qname(object));
                }
                ObjectType::ObjectType => {
                    if let Some(NodeEnum::TypeName(t)) = &object.node {
                        self.enums.remove(&QName::from_name_nodes(&t.names));
                    }
                }
                ObjectType::ObjectSchema => {
                    if let Some(name) = string_value(object) {
                        self.schemas.remove(name);
                    }
                }
                ObjectType::ObjectExtension => {
                    if let Some(name) = string_value(object) {
                        self.extensions.remove(name);
                    }
                }
                ObjectType::ObjectTrigger => {
                    if let Some(NodeEnum::List(l)) = &object.node {
                        let names = string_list(&l.items);
                        if let Some((trigger, table)) = names.split_last() {
                            self.triggers
                                .remove(&(QName::from_names(table), trigger.clone()));
                        }
                    }
                }
                ObjectType::ObjectFunction | ObjectType::ObjectProcedure => {
                    if let Some(NodeEnum::ObjectWithArgs(o)) = &object.node {
                        let name = QName::from_name_nodes(&o.objname);
                        self.functions
                            .retain(|k, _| !k.starts_with(&format!("{name}(")));
                    }
                }
                _ => {}
            }
        }
    }

    /// Drops a table and what PostgreSQL drops with it.
    pub(crate) fn drop_table(&mut self, name: &QName) {
        self.tables.remove(name);
        for index in self.links.indexes(name) {
            if self.indexes.get(index).is_some_and(|i| &i.table == name) {
                self.indexes.remove(index);
            }
        }
        for sequence in self.links.sequences(name) {
            if self
                .sequences
                .get(sequence)
                .is_some_and(|s| matches!(&s.owned_by, Some((t, _)) if t == name))
            {
                self.sequences.remove(sequence);
            }
        }
        for key in self.triggers_on(name) {
            self.triggers.remove(&key);
        }
        for referrer in self.links.referrers(name) {
            if let Some(other) = self.tables.get_mut(referrer) {
                other
                    .constraints
                    .retain(|c| !matches!(&c.references, Some((t, _)) if t == name));
            }
        }
    }

    fn rename(&mut self, s: &pb::RenameStmt) {
        let kind = ObjectType::try_from(s.rename_type).unwrap_or(ObjectType::Undefined);
        let relation = s.relation.as_ref().map(QName::from_range_var);
        match (kind, relation) {
            (ObjectType::ObjectTable, Some(old)) => self.rename_table(&old, &s.newname),
            (ObjectType::ObjectColumn, Some(table)) => {
                self.rename_column(&table, &s.subname, &s.newname)
            }
            (ObjectType::ObjectIndex, Some(old)) => self.rename_index(&old, &s.newname),
            (ObjectType::ObjectTabconstraint, Some(table)) => {
                self.rename_constraint(&table, &s.subname, &s.newname)
            }
            (ObjectType::ObjectView | ObjectType::ObjectMatview, Some(old)) => {
                if let Some(mut v) = self.views.remove(&old) {
                    v.name = old.sibling(&s.newname);
                    self.views.insert(v.name.clone(), v);
                }
            }
            (ObjectType::ObjectSequence, Some(old)) => {
                if let Some(mut q) = self.sequences.remove(&old) {
                    q.name = old.sibling(&s.newname);
                    if let Some((table, _)) = &q.owned_by {
                        self.links.add_sequence(table, &q.name);
                    }
                    self.sequences.insert(q.name.clone(), q);
                }
            }
            (ObjectType::ObjectType, _) => {
                let old = rename_object_qname(s);
                if let Some(mut e) = self.enums.remove(&old) {
                    e.name = old.sibling(&s.newname);
                    let new = e.name.clone();
                    self.enums.insert(new.clone(), e);
                    self.retype_columns(&old, &new);
                }
            }
            (ObjectType::ObjectSchema, _) => self.rename_schema(&s.subname, &s.newname),
            _ => {}
        }
    }

    fn rename_table(&mut self, old: &QName, new_name: &str) {
        let Some(mut t) = self.tables.remove(old) else {
            return;
        };
        let new = old.sibling(new_name);
        t.name = new.clone();
        // The tables it references now have a referrer of the new name (itself included).
        let targets: Vec<QName> = t
            .constraints
            .iter()
            .filter_map(|c| c.references.as_ref())
            .map(|(target, _)| {
                if target == old {
                    new.clone()
                } else {
                    target.clone()
                }
            })
            .collect();
        self.tables.insert(new.clone(), t);
        self.links.rename_table(old, &new);
        for target in &targets {
            self.links.add_referrer(target, &new);
        }
        self.note_type_users(&new);
        for name in self.links.indexes(&new) {
            if let Some(i) = self.indexes.get_mut(name).filter(|i| &i.table == old) {
                i.table = new.clone();
            }
        }
        for name in self.links.referrers(&new) {
            let Some(t) = self.tables.get_mut(name) else {
                continue;
            };
            for c in &mut t.constraints {
                if let Some((target, _)) = &mut c.references {
                    if target == old {
                        *target = new.clone();
                    }
                }
            }
        }
        for name in self.links.sequences(&new) {
            if let Some((t, _)) = self
                .sequences
                .get_mut(name)
                .and_then(|s| s.owned_by.as_mut())
            {
                if t == old {
                    *t = new.clone();
                }
            }
        }
        for key in self.triggers_on(old) {
            if let Some(trig) = self.triggers.remove(&key) {
                self.triggers.insert((new.clone(), key.1), trig);
            }
        }
    }

    fn rename_column(&mut self, table: &QName, old: &str, new: &str) {
        let rename = |names: &mut Vec<String>| {
            for n in names.iter_mut().filter(|n| n.as_str() == old) {
                *n = new.to_string();
            }
        };
        if let Some(t) = self.tables.get_mut(table) {
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
            let Some(t) = self.tables.get_mut(name) else {
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

    fn rename_index(&mut self, old: &QName, new_name: &str) {
        if let Some(mut index) = self.indexes.remove(old) {
            let new = old.sibling(new_name);
            self.links.add_index(&index.table, &new);
            index.name = new.clone();
            index
                .stmt
                .update(|stmt| stmt.idxname = new_name.to_string());
            if let Some(constraint) = &index.constraint {
                // Renaming a constraint's index renames the constraint too.
                if let Some(t) = self.tables.get_mut(&index.table) {
                    if let Some(c) = t.constraints.iter_mut().find(|c| &c.name == constraint) {
                        c.name = new_name.to_string();
                        c.def.update(|def| def.conname = new_name.to_string());
                    }
                }
                index.constraint = Some(new_name.to_string());
            }
            self.indexes.insert(new, index);
        } else if self.tables.contains_key(old) {
            // ALTER INDEX … RENAME also accepts a table (PostgreSQL renames any relation).
            self.rename_table(old, new_name);
        }
    }

    fn rename_constraint(&mut self, table: &QName, old: &str, new: &str) {
        let Some(t) = self.tables.get_mut(table) else {
            return;
        };
        let Some(c) = t.constraints.iter_mut().find(|c| c.name == old) else {
            return;
        };
        c.name = new.to_string();
        c.def.update(|def| def.conname = new.to_string());
        if let Some(mut index) = self.indexes.remove(&table.sibling(old)) {
            // A constraint's index is renamed with it.
            index.name = table.sibling(new);
            self.links.add_index(table, &index.name);
            index.constraint = Some(new.to_string());
            self.indexes.insert(index.name.clone(), index);
        }
    }

    fn rename_schema(&mut self, old: &str, new: &str) {
        if self.schemas.remove(old) {
            self.schemas.insert(new.to_string());
        }
        let moved = |q: &QName| q.schema == old;
        let tables: Vec<QName> = self.tables.keys().filter(|q| moved(q)).cloned().collect();
        for t in tables {
            // Tables move with their indexes and references; reuse the table rename path
            // by renaming within the new schema.
            if let Some(mut table) = self.tables.remove(&t) {
                let new_q = QName::new(new, &t.name);
                table.name = new_q.clone();
                self.tables.insert(new_q.clone(), table);
                self.note_type_users(&new_q);
            }
        }
        let rekey = |q: &QName| {
            if q.schema == old {
                QName::new(new, &q.name)
            } else {
                q.clone()
            }
        };
        let indexes = std::mem::take(&mut self.indexes);
        self.indexes = indexes
            .into_values()
            .map(|mut i| {
                i.name = rekey(&i.name);
                i.table = rekey(&i.table);
                (i.name.clone(), i)
            })
            .collect();
        for t in self.tables.values_mut() {
            for c in &mut t.constraints {
                if let Some((target, _)) = &mut c.references {
                    *target = rekey(target);
                }
            }
        }
        let enums = std::mem::take(&mut self.enums);
        self.enums = enums
            .into_values()
            .map(|mut e| {
                e.name = rekey(&e.name);
                (e.name.clone(), e)
            })
            .collect();
        self.relink();
    }

    /// The keys of the triggers on `table`.
    fn triggers_on(&self, table: &QName) -> Vec<(QName, String)> {
        self.triggers
            .range((table.clone(), String::new())..)
            .take_while(|((t, _), _)| t == table)
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// After a type rename, columns of that type refer to it by its new name.
    fn retype_columns(&mut self, old: &QName, new: &QName) {
        let mut retyped = Vec::new();
        for t in self.tables.values_mut() {
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
    fn note_type_user(&mut self, table: &QName, type_name: &pb::TypeName) {
        if let Some(name) = type_name.names.last().and_then(string_value) {
            let users = self.type_users.entry(name.to_string()).or_default();
            if !users.contains(table) {
                users.insert(table.clone());
            }
        }
    }

    /// Records the types of every column of `table`, after it moved to this name.
    fn note_type_users(&mut self, table: &QName) {
        let Some(t) = self.tables.get(table) else {
            return;
        };
        let types: Vec<pb::TypeName> = t.columns.iter().map(|c| c.type_name.unpack()).collect();
        for type_name in &types {
            self.note_type_user(table, type_name);
        }
    }

    fn alter_enum(&mut self, s: &pb::AlterEnumStmt) {
        let name = QName::from_name_nodes(&s.type_name);
        let Some(e) = self.enums.get_mut(&name) else {
            return;
        };
        if !s.old_val.is_empty() {
            for v in e.values.iter_mut().filter(|v| **v == s.old_val) {
                *v = s.new_val.clone();
            }
            return;
        }
        if e.values.contains(&s.new_val) {
            return; // ADD VALUE IF NOT EXISTS
        }
        let position = match e.values.iter().position(|v| *v == s.new_val_neighbor) {
            Some(i) if s.new_val_is_after => i + 1,
            Some(i) => i,
            None => e.values.len(),
        };
        e.values.insert(position, s.new_val.clone());
    }

    fn create_view(&mut self, mut stmt: pb::ViewStmt) {
        let name = QName::from_range_var(stmt.view.as_ref().expect("view name"));
        stmt.replace = false;
        self.insert_view(name, Parsed::View(stmt));
    }

    /// Records a view, with its `*` expanded against the model as it stands now.
    fn insert_view(&mut self, name: QName, mut definition: Parsed) {
        let query = match &mut definition {
            Parsed::View(s) => s.query.as_deref_mut(),
            Parsed::Materialized(s) => s.query.as_deref_mut(),
        };
        let reads = query.as_deref().map(relation_refs).unwrap_or_default();
        let not_replayable = query.and_then(|q| super::stars::expand_stars(self, q).err());
        let definition = match definition {
            Parsed::View(s) => ViewDefinition::View(Packed::pack(&s)),
            Parsed::Materialized(s) => ViewDefinition::Materialized(Packed::pack(&s)),
        };
        self.views.insert(
            name.clone(),
            View {
                name,
                definition,
                reads,
                not_replayable,
            },
        );
    }
}

/// A view's definition as parsed, before the model expands its `*` and packs it.
enum Parsed {
    View(pb::ViewStmt),
    Materialized(pb::CreateTableAsStmt),
}

/// Whether `word` occurs in `text` as a whole identifier.
fn mentions_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

fn constraint_columns(kind: ConstraintKind, c: &pb::Constraint) -> Vec<String> {
    match kind {
        ConstraintKind::ForeignKey => string_list(&c.fk_attrs),
        ConstraintKind::Check => c.raw_expr.as_deref().map(column_refs).unwrap_or_default(),
        ConstraintKind::Exclusion => exclusion_columns(c),
        _ => string_list(&c.keys),
    }
}

fn constraint_kind(contype: i32) -> Option<ConstraintKind> {
    match ConstrType::try_from(contype).ok()? {
        ConstrType::ConstrPrimary => Some(ConstraintKind::PrimaryKey),
        ConstrType::ConstrUnique => Some(ConstraintKind::Unique),
        ConstrType::ConstrCheck => Some(ConstraintKind::Check),
        ConstrType::ConstrForeign => Some(ConstraintKind::ForeignKey),
        ConstrType::ConstrExclusion => Some(ConstraintKind::Exclusion),
        _ => None,
    }
}

/// A column constraint (`id int PRIMARY KEY`) as the equivalent table constraint.
fn with_keys(mut c: Box<pb::Constraint>, column: &str) -> Box<pb::Constraint> {
    if c.contype != ConstrType::ConstrCheck as i32 {
        c.keys = vec![build::string(column)];
    }
    c
}

fn exclusion_columns(c: &pb::Constraint) -> Vec<String> {
    c.exclusions
        .iter()
        .filter_map(|pair| match &pair.node {
            Some(NodeEnum::List(l)) => l.items.first(),
            _ => None,
        })
        .flat_map(|elem| match &elem.node {
            Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => vec![e.name.clone()],
            _ => column_refs(elem),
        })
        .collect()
}

fn index_columns(s: &pb::IndexStmt) -> Vec<String> {
    let mut columns = Vec::new();
    for p in s.index_params.iter().chain(&s.index_including_params) {
        match &p.node {
            Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => columns.push(e.name.clone()),
            _ => columns.extend(column_refs(p)),
        }
    }
    if let Some(w) = s.where_clause.as_deref() {
        columns.extend(column_refs(w));
    }
    columns.dedup();
    columns
}

fn is_serial(t: &pb::TypeName) -> bool {
    matches!(
        t.names.as_slice(),
        [name] if matches!(
            string_value(name),
            Some("serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2")
        )
    )
}

/// The qualified name of a relation-like object in a `DROP` list.
pub fn object_qname(object: &Node) -> QName {
    match &object.node {
        Some(NodeEnum::List(l)) => QName::from_name_nodes(&l.items),
        Some(NodeEnum::String(s)) => QName::new("", &s.sval),
        _ => QName::new("", ""),
    }
}

pub fn rename_object_qname(s: &pb::RenameStmt) -> QName {
    match s.object.as_deref().and_then(|o| o.node.as_ref()) {
        Some(NodeEnum::List(l)) => QName::from_name_nodes(&l.items),
        Some(NodeEnum::TypeName(t)) => QName::from_name_nodes(&t.names),
        _ => QName::new("", ""),
    }
}

fn rename_string_nodes(nodes: &mut [Node], old: &str, new: &str) {
    for n in nodes {
        if let Some(NodeEnum::String(s)) = &mut n.node {
            if s.sval == old {
                s.sval = new.to_string();
            }
        }
    }
}

/// A function's identity: qualified name and argument types.
pub fn function_key(s: &pb::CreateFunctionStmt) -> String {
    let name = QName::from_name_nodes(&s.funcname);
    let args: Vec<String> = s
        .parameters
        .iter()
        .filter_map(|p| match &p.node {
            Some(NodeEnum::FunctionParameter(fp)) => fp
                .arg_type
                .as_ref()
                .map(|t| string_list(&t.names).join(".")),
            _ => None,
        })
        .collect();
    format!("{name}({})", args.join(", "))
}

pub fn comment_key(s: &pb::CommentStmt) -> String {
    let object = s
        .object
        .as_deref()
        .map(|o| match &o.node {
            Some(NodeEnum::List(l)) => string_list(&l.items).join("."),
            Some(NodeEnum::String(st)) => st.sval.clone(),
            _ => format!("{o:?}"),
        })
        .unwrap_or_default();
    format!("{}:{object}", s.objtype)
}
