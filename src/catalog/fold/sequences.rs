//! Sequences: `CREATE SEQUENCE` and `ALTER SEQUENCE`, with the column that owns one
//! (`OWNED BY`, which makes PostgreSQL drop the sequence with its column or table).

use super::*;

impl Catalog {
    pub(in crate::catalog) fn create_sequence(&mut self, mut stmt: pb::CreateSeqStmt) {
        let name = QName::from_range_var(stmt.sequence.as_ref().expect("sequence name"));
        if stmt.if_not_exists && self.sequences.contains_key(&name) {
            return;
        }
        stmt.if_not_exists = false;
        // The owner is kept apart: a sequence is created again before its table, and owned
        // by its column after (see `undo::recreate::owned_sequences`).
        let owner = take_owner(&mut stmt.options);
        self.sequences.insert(
            name.clone(),
            Sequence {
                name: name.clone(),
                stmt: Packed::from(stmt),
                owned_by: None,
                implicit: None,
            },
        );
        if let Some(owner) = owner {
            self.set_sequence_owner(&name, owner);
        }
    }

    /// `ALTER SEQUENCE`: its owner, and the options the sequence would be created with again
    /// (`RESTART` moves its current value only, which the model does not follow).
    pub(in crate::catalog) fn alter_sequence(&mut self, mut s: pb::AlterSeqStmt) {
        let name = QName::from_range_var(s.sequence.as_ref().expect("sequence name"));
        if !self.sequences.contains_key(&name) {
            return;
        }
        if let Some(owner) = take_owner(&mut s.options) {
            self.set_sequence_owner(&name, owner);
        }
        let Some(sequence) = self.sequences.get_mut(&name) else {
            return;
        };
        sequence.stmt.update(|create| {
            for option in s.options {
                let Some(NodeEnum::DefElem(new)) = &option.node else {
                    continue;
                };
                if new.defname == "restart" {
                    continue;
                }
                create.options.retain(
                    |o| !matches!(&o.node, Some(NodeEnum::DefElem(d)) if d.defname == new.defname),
                );
                create.options.push(option);
            }
        });
    }

    /// Makes `owner` (a table and column, or `None`) own sequence `name`.
    fn set_sequence_owner(&mut self, name: &QName, owner: Option<(QName, String)>) {
        if let Some((table, _)) = &owner {
            self.links.add_sequence(table, name);
        }
        if let Some(sequence) = self.sequences.get_mut(name) {
            sequence.owned_by = owner;
        }
    }
}

/// Takes the `OWNED BY` option out of a sequence's options: `Some(None)` for `OWNED BY NONE`,
/// `Some(Some((table, column)))` for a column, `None` when there is none.
fn take_owner(options: &mut Vec<Node>) -> Option<Option<(QName, String)>> {
    let at = options
        .iter()
        .position(|o| matches!(&o.node, Some(NodeEnum::DefElem(d)) if d.defname == "owned_by"))?;
    let Some(NodeEnum::DefElem(owned_by)) = options.remove(at).node else {
        return None;
    };
    let names = match owned_by.arg.as_deref().and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::List(l)) => string_list(&l.items),
        _ => Vec::new(),
    };
    match names.split_last() {
        Some((column, table)) if !table.is_empty() => {
            Some(Some((QName::from_names(table), column.clone())))
        }
        _ => Some(None),
    }
}
