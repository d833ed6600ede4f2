//! Temporary relations: they live in the session's own schema (`pg_temp`) and vanish with
//! it, so the model of the persistent schema never holds them. While a migration is folded,
//! their names are kept so that statements on them can be recognised, by the fold and by the
//! undo rules alike (`undo/temporary.rs`).

use super::Catalog;
use crate::sql::{pb, string_list, NodeEnum};
use pb::ObjectType;

/// What a statement does to the one relation it names, for every statement that can concern
/// a temporary relation.
pub enum RelationUse<'a> {
    /// Creates it; `kind` is the keyword that drops it (`TABLE`, `VIEW`, `SEQUENCE`).
    Creates(&'a pb::RangeVar, &'static str),
    /// Creates an index on it, with this name (empty when PostgreSQL chooses it).
    Indexes(&'a pb::RangeVar, &'a str),
    /// Changes it or its rows.
    ActsOn(&'a pb::RangeVar),
}

impl<'a> RelationUse<'a> {
    pub fn of(stmt: &'a NodeEnum) -> Option<RelationUse<'a>> {
        use RelationUse::*;
        Some(match stmt {
            NodeEnum::CreateStmt(s) => Creates(s.relation.as_ref()?, "TABLE"),
            NodeEnum::CreateTableAsStmt(s) => Creates(s.into.as_ref()?.rel.as_ref()?, "TABLE"),
            NodeEnum::ViewStmt(s) => Creates(s.view.as_ref()?, "VIEW"),
            NodeEnum::CreateSeqStmt(s) => Creates(s.sequence.as_ref()?, "SEQUENCE"),
            NodeEnum::IndexStmt(s) => Indexes(s.relation.as_ref()?, &s.idxname),
            NodeEnum::AlterTableStmt(s) => ActsOn(s.relation.as_ref()?),
            NodeEnum::CreateTrigStmt(s) => ActsOn(s.relation.as_ref()?),
            NodeEnum::InsertStmt(s) => ActsOn(s.relation.as_ref()?),
            NodeEnum::UpdateStmt(s) => ActsOn(s.relation.as_ref()?),
            NodeEnum::DeleteStmt(s) => ActsOn(s.relation.as_ref()?),
            _ => return None,
        })
    }

    pub fn relation(&self) -> &'a pb::RangeVar {
        match self {
            RelationUse::Creates(rv, _) | RelationUse::Indexes(rv, _) | RelationUse::ActsOn(rv) => {
                rv
            }
        }
    }
}

impl Catalog {
    /// Whether a relation written as `names` (`[name]` or `[schema, name]`) is temporary:
    /// in `pg_temp`, or unqualified and created temporary by this migration (it then shadows
    /// a persistent relation of the same name, as in PostgreSQL).
    pub fn is_temporary(&self, names: &[&str]) -> bool {
        match names {
            [name] => self.temporary.contains(*name),
            [.., schema, _] => schema.starts_with("pg_temp"),
            [] => false,
        }
    }

    /// Whether a relation reference or definition is temporary (see [`Catalog::is_temporary`]);
    /// `CREATE TEMP …` marks its relation itself.
    pub fn is_temporary_relation(&self, rv: &pb::RangeVar) -> bool {
        rv.relpersistence == "t"
            || if rv.schemaname.is_empty() {
                self.is_temporary(&[&rv.relname])
            } else {
                self.is_temporary(&[&rv.schemaname, &rv.relname])
            }
    }

    /// The temporary relations a `DROP` names, and whether it names nothing else.
    pub fn temporary_drops(&self, s: &pb::DropStmt) -> (Vec<String>, bool) {
        if !is_relation_drop(s) {
            return (Vec::new(), false);
        }
        let mut names = Vec::new();
        let mut only = !s.objects.is_empty();
        for object in &s.objects {
            let parts = match &object.node {
                Some(NodeEnum::List(l)) => string_list(&l.items),
                _ => Vec::new(),
            };
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            match parts.last() {
                Some(name) if self.is_temporary(&parts) => names.push(name.to_string()),
                _ => only = false,
            }
        }
        (names, only)
    }

    /// Forgets the temporary relations at the end of a migration file. Prisma may run the
    /// next file in the same session, but a migration that relies on another's temporary
    /// table is not modelled: statements on an unknown table get honest manual undos.
    pub fn end_migration(&mut self) {
        self.temporary.clear();
        self.moves.clear();
        // Functions in pg_temp vanish with the session too.
        self.functions.retain(|key, _| !key.starts_with("pg_temp."));
    }
}

/// Whether a `DROP` removes relations (tables, views, indexes, sequences), the kinds a
/// session can create temporary.
fn is_relation_drop(s: &pb::DropStmt) -> bool {
    matches!(
        ObjectType::try_from(s.remove_type),
        Ok(ObjectType::ObjectTable
            | ObjectType::ObjectView
            | ObjectType::ObjectIndex
            | ObjectType::ObjectSequence)
    )
}
