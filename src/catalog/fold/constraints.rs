//! Constraints: adding (named as PostgreSQL names them), dropping and renaming, with the
//! index a key constraint owns and the foreign keys that depend on it.

use super::*;
use std::sync::Arc;

impl Catalog {
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

    /// The columns of this table a constraint about to be added covers or mentions (those
    /// whose drop drops it); empty for a kind the model does not record.
    pub fn new_constraint_columns(c: &pb::Constraint) -> Vec<String> {
        constraint_kind(c.contype)
            .map(|kind| constraint_columns(kind, c))
            .unwrap_or_default()
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
                    .and_then(|t| t.primary_key())
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
        if let Some(t) = self.table_mut(table_name) {
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

    pub(in crate::catalog) fn default_constraint_name(
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
                // After its column only when it mentions exactly one (`AddRelationNewConstraints`).
                let only = match columns {
                    [only] => Some(only.as_str()),
                    _ => None,
                };
                choose_name(&table.name.name, only, "check", taken_constraint)
            }
        }
    }

    /// Drops a constraint, its index, and (as `CASCADE` would) foreign keys that depend on a
    /// dropped primary key or unique constraint.
    pub(in crate::catalog) fn drop_constraint(&mut self, table: &QName, name: &str) {
        let Some(t) = self.table_mut(table) else {
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
                if let Some(other) = self.tables.get_mut(name).map(Arc::make_mut) {
                    other.constraints.retain(|c| {
                        !matches!(&c.references, Some((target, cols)) if target == table && cols == &removed.columns)
                    });
                }
            }
        }
    }

    pub(in crate::catalog) fn rename_constraint(&mut self, table: &QName, old: &str, new: &str) {
        let Some(t) = self.table_mut(table) else {
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
}

pub(super) fn constraint_columns(kind: ConstraintKind, c: &pb::Constraint) -> Vec<String> {
    match kind {
        ConstraintKind::ForeignKey => string_list(&c.fk_attrs),
        ConstraintKind::Check => c.raw_expr.as_deref().map(column_refs).unwrap_or_default(),
        ConstraintKind::Exclusion => exclusion_columns(c),
        _ => string_list(&c.keys),
    }
}

pub(super) fn constraint_kind(contype: i32) -> Option<ConstraintKind> {
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
pub(super) fn with_keys(mut c: Box<pb::Constraint>, column: &str) -> Box<pb::Constraint> {
    if c.contype != ConstrType::ConstrCheck as i32 {
        c.keys = vec![build::string(column)];
    }
    c
}

pub(super) fn exclusion_columns(c: &pb::Constraint) -> Vec<String> {
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
