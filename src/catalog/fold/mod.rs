//! Folding statements into the model, one at a time, in file order. A statement the model
//! does not track leaves it unchanged; undo rules say so for those statements.
//!
//! [`Catalog::apply`] dispatches each statement to the family that folds it: tables,
//! columns, constraints, indexes, and types (enums and views), one file each.

mod columns;
pub use columns::in_run_order;
mod constraints;
mod indexes;
mod sequences;
pub use indexes::index_columns;
mod tables;
mod types;

use super::implicit::{integer_type, nextval, serial_base};
use super::*;
use crate::sql::names::{choose_name, index_column_name, name_addition};
use crate::sql::{build, string_list, string_value, Node, NodeEnum};
use constraints::with_keys;
use pb::{AlterTableType as At, ConstrType, ObjectType};
use std::sync::Arc;
use types::Parsed;

impl Catalog {
    /// Applies one statement to the model. Takes the statement by value: the parts the
    /// model keeps (types, defaults, constraint and index definitions) are moved in, not
    /// copied, since folding every statement of a history is on the hot path of `generate`.
    pub fn apply(&mut self, stmt: NodeEnum) {
        if self.fold_temporary(&stmt) {
            return;
        }
        let mut moves = std::mem::take(&mut self.moves);
        moves.observe(self, &stmt);
        self.moves = moves;
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
            NodeEnum::CreateSeqStmt(stmt) => self.create_sequence(stmt),
            NodeEnum::AlterSeqStmt(s) => self.alter_sequence(s),
            NodeEnum::CreateExtensionStmt(s) if !self.extensions.contains_key(&s.extname) => {
                self.extensions.insert(s.extname.clone(), Packed::from(s));
            }
            NodeEnum::CompositeTypeStmt(s) => {
                if let Some(rv) = &s.typevar {
                    self.composites
                        .insert(QName::from_range_var(rv), Packed::from(s));
                }
            }
            NodeEnum::CreateDomainStmt(s) => {
                self.untracked_types
                    .insert(QName::from_name_nodes(&s.domainname));
            }
            NodeEnum::CreateRangeStmt(s) => {
                self.untracked_types
                    .insert(QName::from_name_nodes(&s.type_name));
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
            NodeEnum::DoStmt(s) => self.fold_do_block(&s),
            NodeEnum::CommentStmt(s) => {
                let key = self.comment_key(&s);
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

    /// Whether a statement of the block changes nothing: a `SELECT` (its functions are checked
    /// apart, and `FOR UPDATE` only locks rows until the migration commits), or an `ALTER TABLE
    /// … ADD CONSTRAINT` of a constraint the table already has, or a `CREATE INDEX` of an index
    /// that already stands: run, it would have failed and the migration with it, so a guard in
    /// the block skipped it (a migration re-applied after a rebase).
    pub fn changes_nothing_in_block(&self, node: &NodeEnum) -> bool {
        match node {
            NodeEnum::SelectStmt(s) => s.into_clause.is_none(),
            NodeEnum::AlterTableStmt(s) if s.objtype == pb::ObjectType::ObjectTable as i32 => {
                let Some(table) = s.relation.as_ref().map(QName::from_range_var) else {
                    return false;
                };
                let Some(model) = self.table(&table) else {
                    return false;
                };
                s.cmds.iter().all(|cmd| match &cmd.node {
                    Some(NodeEnum::AlterTableCmd(cmd))
                        if cmd.subtype == At::AtAddConstraint as i32 =>
                    {
                        match cmd.def.as_deref().and_then(|d| d.node.as_ref()) {
                            Some(NodeEnum::Constraint(c)) => {
                                !c.conname.is_empty() && model.constraint(&c.conname).is_some()
                            }
                            _ => false,
                        }
                    }
                    _ => false,
                })
            }
            NodeEnum::IndexStmt(s) if !s.if_not_exists && !s.idxname.is_empty() => {
                let Some(table) = s.relation.as_ref().map(QName::from_range_var) else {
                    return false;
                };
                self.relation_exists(&table.sibling(&s.idxname))
            }
            _ => false,
        }
    }

    /// A `DO` block whose body runs, on every path, only `ALTER TABLE … ADD CONSTRAINT` and
    /// `CREATE INDEX` (the shape of Prisma's "add the foreign key if it is missing" blocks) is
    /// folded as those statements: afterwards the constraint or index stands, whether the block
    /// added it or found it. A block whose statements change nothing (they read, or re-add
    /// what stands: [`Catalog::changes_nothing_in_block`]) leaves the model as it is. Any other
    /// block taints the tables it names.
    fn fold_do_block(&mut self, s: &pb::DoStmt) {
        // Only names the model does not hold yet: a block that found the object in place
        // leaves the model's definition as it is, which folding again would duplicate.
        let known_constraint = |name: &str| {
            self.tables
                .values()
                .any(|t| t.constraints.iter().any(|c| c.name == name))
        };
        let adds_only = |node: &NodeEnum| match node {
            NodeEnum::IndexStmt(i) => {
                !i.idxname.is_empty() && !self.indexes.keys().any(|k| k.name == i.idxname)
            }
            NodeEnum::AlterTableStmt(a) => {
                a.objtype == ObjectType::ObjectTable as i32
                    && a.cmds.iter().all(|c| match &c.node {
                        Some(NodeEnum::AlterTableCmd(cmd)) => {
                            cmd.subtype == pb::AlterTableType::AtAddConstraint as i32
                                && matches!(cmd.def.as_deref().and_then(|d| d.node.as_ref()),
                                    Some(NodeEnum::Constraint(c))
                                        if !c.conname.is_empty() && !known_constraint(&c.conname))
                        }
                        _ => false,
                    })
            }
            _ => false,
        };
        let Ok(body) = crate::sql::plpgsql::do_body(s) else {
            return self.taint_from_do_block(s);
        };
        // A block that only reads (or re-adds what stands) changes nothing, whatever path
        // it takes; one that adds must take them all (no branch) for the model to follow.
        let nothing = |node: &NodeEnum| self.changes_nothing_in_block(node);
        if body.statements.iter().all(|(_, node)| nothing(node)) {
            return;
        }
        let follows = !body.branches
            && (body.statements.iter()).all(|(_, node)| nothing(node) || adds_only(node));
        if !follows {
            return self.taint_from_do_block(s);
        }
        for (_, node) in body.statements {
            if !self.changes_nothing_in_block(&node) {
                self.apply(node);
            }
        }
    }

    /// A `DO` block may change any table its code names, in ways the model cannot follow:
    /// such tables stop being trusted for recreation (their undo becomes manual).
    fn taint_from_do_block(&mut self, s: &pb::DoStmt) {
        let body = do_text(s);
        let lower = body.to_lowercase();
        for table in self.tables.values_mut() {
            let quoted = format!("\"{}\"", table.name.name);
            if body.contains(&quoted) || mentions_word(&lower, &table.name.name.to_lowercase()) {
                Arc::make_mut(table).opaque = Some("a DO block in an earlier migration may have changed it in ways unmigrate cannot follow".into());
            }
        }
    }

    fn drop(&mut self, s: &pb::DropStmt) {
        let kind = ObjectType::try_from(s.remove_type).unwrap_or(ObjectType::Undefined);
        let cascade = s.behavior == pb::DropBehavior::DropCascade as i32;
        for object in &s.objects {
            match kind {
                ObjectType::ObjectTable => {
                    if cascade {
                        self.forget_views_depending_on(&object_qname(object));
                    }
                    self.drop_table(&object_qname(object))
                }
                ObjectType::ObjectIndex => {
                    let name = object_qname(object);
                    self.indexes.remove(&name);
                    self.forget_comments(&[ObjectType::ObjectIndex], &name);
                }
                ObjectType::ObjectView | ObjectType::ObjectMatview => {
                    let name = object_qname(object);
                    if cascade {
                        self.forget_views_depending_on(&name);
                    }
                    self.forget_view(&name);
                }
                ObjectType::ObjectSequence => {
                    if let Some(sequence) = self.sequences.remove(&object_qname(object)) {
                        self.forget_sequence_default(&sequence);
                    }
                }
                ObjectType::ObjectType => {
                    if let Some(NodeEnum::TypeName(t)) = &object.node {
                        let name = QName::from_name_nodes(&t.names);
                        self.enums.remove(&name);
                        self.composites.remove(&name);
                        self.untracked_types.remove(&name);
                        self.forget_comments(&[ObjectType::ObjectType], &name);
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
                        self.forget_function_comments(&name);
                    }
                }
                _ => {}
            }
        }
    }

    fn rename(&mut self, s: &pb::RenameStmt) {
        let kind = ObjectType::try_from(s.rename_type).unwrap_or(ObjectType::Undefined);
        let relation = s.relation.as_ref().map(QName::from_range_var);
        match (kind, relation) {
            (ObjectType::ObjectTable, Some(old)) => {
                self.rename_table(&old, &s.newname);
                self.follow_rename_in_views(&old, &s.newname);
                let kinds = [ObjectType::ObjectTable];
                self.move_comments(&kinds, &old, &old.sibling(&s.newname));
            }
            (ObjectType::ObjectColumn, Some(table)) => {
                self.rename_column(&table, &s.subname, &s.newname);
                self.follow_column_rename_in_views(&table, &s.subname, &s.newname);
                self.move_column_comment(&table, &s.subname, &s.newname);
            }
            (ObjectType::ObjectIndex, Some(old)) => {
                self.rename_index(&old, &s.newname);
                let kinds = [ObjectType::ObjectIndex];
                self.move_comments(&kinds, &old, &old.sibling(&s.newname));
            }
            (ObjectType::ObjectTabconstraint, Some(table)) => {
                self.rename_constraint(&table, &s.subname, &s.newname)
            }
            (ObjectType::ObjectView | ObjectType::ObjectMatview, Some(old)) => {
                if let Some(mut v) = self.views.remove(&old) {
                    v.name = old.sibling(&s.newname);
                    self.views.insert(v.name.clone(), v);
                    self.follow_rename_in_views(&old, &s.newname);
                    let kinds = [ObjectType::ObjectView, ObjectType::ObjectMatview];
                    self.move_comments(&kinds, &old, &old.sibling(&s.newname));
                }
            }
            (ObjectType::ObjectSequence, Some(old)) => {
                if let Some(mut q) = self.sequences.remove(&old) {
                    q.name = old.sibling(&s.newname);
                    if let Some((table, _)) = &q.owned_by {
                        self.links.add_sequence(table, &q.name);
                    }
                    let new = q.name.clone();
                    self.sequences.insert(new.clone(), q);
                    self.follow_sequence_rename(&old, &new);
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
                if let Some(mut c) = self.composites.remove(&old) {
                    let new = old.sibling(&s.newname);
                    c.update(|c| c.typevar = Some(build::range_var(&new)));
                    self.composites.insert(new.clone(), c);
                    self.retype_columns(&old, &new);
                }
            }
            (ObjectType::ObjectSchema, _) => self.rename_schema(&s.subname, &s.newname),
            _ => {}
        }
    }

    /// The keys of the triggers on `table`.
    pub(in crate::catalog) fn triggers_on(&self, table: &QName) -> Vec<(QName, String)> {
        self.triggers
            .range((table.clone(), String::new())..)
            .take_while(|((t, _), _)| t == table)
            .map(|(key, _)| key.clone())
            .collect()
    }
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

pub(super) fn rename_string_nodes(nodes: &mut [Node], old: &str, new: &str) {
    for n in nodes {
        if let Some(NodeEnum::String(s)) = &mut n.node {
            if s.sval == old {
                s.sval = new.to_string();
            }
        }
    }
}

/// The types of the parameters of a function's identity, which `DROP FUNCTION` and `COMMENT
/// ON FUNCTION` name: not `OUT` parameters, nor the columns of `RETURNS TABLE`.
pub fn function_identity(s: &pb::CreateFunctionStmt) -> Vec<pb::TypeName> {
    use pb::FunctionParameterMode as M;
    s.parameters
        .iter()
        .filter_map(|p| match &p.node {
            Some(NodeEnum::FunctionParameter(fp))
                if !matches!(
                    M::try_from(fp.mode),
                    Ok(M::FuncParamOut | M::FuncParamTable)
                ) =>
            {
                fp.arg_type.clone()
            }
            _ => None,
        })
        .collect()
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

/// The text of a `DO` block's arguments (its body, and its language if named).
fn do_text(s: &pb::DoStmt) -> String {
    s.args
        .iter()
        .filter_map(|a| match &a.node {
            Some(NodeEnum::DefElem(d)) => d.arg.as_deref().and_then(crate::sql::string_value),
            _ => None,
        })
        .collect()
}
