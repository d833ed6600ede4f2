//! Enums and views: `ALTER TYPE … ADD/RENAME VALUE`, `CREATE VIEW` and materialized views.

use super::*;

impl Catalog {
    pub(in crate::catalog) fn alter_enum(&mut self, s: &pb::AlterEnumStmt) {
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

    pub(in crate::catalog) fn create_view(&mut self, mut stmt: pb::ViewStmt) {
        let name = QName::from_range_var(stmt.view.as_ref().expect("view name"));
        stmt.replace = false;
        self.insert_view(name, Parsed::View(stmt));
    }

    /// Records a view, with its `*` expanded against the model as it stands now.
    pub(in crate::catalog) fn insert_view(&mut self, name: QName, mut definition: Parsed) {
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
pub(in crate::catalog) enum Parsed {
    View(pb::ViewStmt),
    Materialized(pb::CreateTableAsStmt),
}
