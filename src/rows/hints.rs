//! What the whole history declares over columns, so that rows seeded now satisfy what later
//! migrations add: a foreign key added later between existing columns gets child values taken
//! from the parent's rows, and a unique index or constraint added later gets distinct values.
//! Without them a seeded drill reports a forward that fails on the seeder's own values (a
//! foreign key over unrelated synthetic text), which production would never meet.
//!
//! Hints are gathered once per drill from the forward migrations' parse trees, by table and
//! column names as the statements write them. A name stands for what it names when the hint
//! is applied: a table or column renamed between the statement and the seeding round may
//! defeat a hint (it then names nothing, or something else of compatible type), which costs
//! no more than a drill without hints. Seeding applies a hint only where the live table and
//! every column exist and the types match (see [`Hints::apply`]).

use std::collections::BTreeMap;

use super::live::{ForeignKey, LiveTable, UniqueKey};
use crate::migrations::History;
use crate::sql::{self, pb, NodeEnum, QName};

/// Every foreign key and unique key the history declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    pub foreign_keys: Vec<ForeignKeyHint>,
    pub unique: Vec<UniqueHint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyHint {
    pub name: String,
    pub table: QName,
    pub columns: Vec<String>,
    pub parent: QName,
    pub parent_columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueHint {
    pub name: String,
    pub table: QName,
    pub columns: Vec<String>,
}

/// A key the history declares, as [`Hints::key_named`] finds it.
pub struct DeclaredKey<'a> {
    pub table: &'a QName,
    pub columns: &'a [String],
    /// The parent table of a foreign key.
    pub parent: Option<&'a QName>,
}

impl Hints {
    /// The foreign key or unique key the history declares under `name` (a constraint or a
    /// unique index), if one.
    pub fn key_named(&self, name: &str) -> Option<DeclaredKey<'_>> {
        let foreign = self.foreign_keys.iter().find(|k| k.name == name);
        let foreign = foreign.map(|k| DeclaredKey {
            table: &k.table,
            columns: &k.columns,
            parent: Some(&k.parent),
        });
        foreign.or_else(|| {
            let unique = self.unique.iter().find(|k| k.name == name)?;
            Some(DeclaredKey {
                table: &unique.table,
                columns: &unique.columns,
                parent: None,
            })
        })
    }

    /// The hints of every forward migration of `history`. A file that does not parse gives
    /// none (the drill reports it where it applies the file).
    pub fn from_history(history: &History) -> Hints {
        let mut gather = Gather::default();
        for migration in history.forward() {
            let Ok(statements) = sql::parse_file(&migration.sql_path, &migration.sql) else {
                continue;
            };
            for statement in &statements {
                gather.statement(&statement.node);
            }
        }
        gather.finish()
    }

    /// Adds the hints that fit `tables` as they are live: a unique hint becomes a unique key
    /// of its table, a foreign-key hint a foreign key marked `hinted`, when the tables and
    /// columns exist, the types of paired columns match, and the table has no such key yet.
    pub fn apply(&self, tables: &mut [LiveTable]) {
        let index: BTreeMap<QName, usize> = tables
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        for hint in &self.unique {
            let Some(&i) = index.get(&hint.table) else {
                continue;
            };
            let table = &mut tables[i];
            let Some(mut columns) = attnums(table, &hint.columns) else {
                continue;
            };
            columns.sort_unstable();
            let known = table.unique_keys.iter().any(|k| {
                let mut existing = k.columns.clone();
                existing.sort_unstable();
                !k.partial && existing == columns
            });
            if known {
                continue;
            }
            for &attnum in &columns {
                if !table.unique.contains(&attnum) {
                    table.unique.push(attnum);
                }
            }
            table.unique_keys.push(UniqueKey {
                name: hint.name.clone(),
                columns,
                partial: false,
            });
        }
        for hint in &self.foreign_keys {
            let (Some(&child), Some(&parent)) = (index.get(&hint.table), index.get(&hint.parent))
            else {
                continue;
            };
            let Some(key) = foreign_key(&tables[child], &tables[parent], hint) else {
                continue;
            };
            tables[child].foreign_keys.push(key);
        }
    }
}

/// The live foreign key a hint stands for, when it fits and is not there already.
fn foreign_key(child: &LiveTable, parent: &LiveTable, hint: &ForeignKeyHint) -> Option<ForeignKey> {
    let columns = attnums(child, &hint.columns)?;
    let parent_columns = attnums(parent, &hint.parent_columns)?;
    if columns.len() != parent_columns.len() {
        return None;
    }
    let type_of = |table: &LiveTable, attnum: i16| {
        table
            .columns
            .iter()
            .find(|c| c.attnum == attnum)
            .map(|c| (c.base.clone(), c.is_array))
    };
    let types_match = columns
        .iter()
        .zip(&parent_columns)
        .all(|(&c, &p)| type_of(child, c).is_some() && type_of(child, c) == type_of(parent, p));
    let known = child.foreign_keys.iter().any(|fk| fk.columns == columns);
    (types_match && !known).then(|| ForeignKey {
        name: hint.name.clone(),
        columns,
        parent: parent.oid,
        parent_columns: hint.parent_columns.clone(),
        hinted: true,
    })
}

/// The attribute numbers of `names` in `table`, when every one exists.
fn attnums(table: &LiveTable, names: &[String]) -> Option<Vec<i16>> {
    if names.is_empty() {
        return None;
    }
    names
        .iter()
        .map(|n| {
            table
                .columns
                .iter()
                .find(|c| &c.name == n)
                .map(|c| c.attnum)
        })
        .collect()
}

/// Hints as the statements declare them; foreign keys that reference a primary key without
/// naming its columns are resolved at the end.
#[derive(Default)]
struct Gather {
    hints: Hints,
    primary_keys: BTreeMap<QName, Vec<String>>,
}

impl Gather {
    fn statement(&mut self, node: &NodeEnum) {
        match node {
            NodeEnum::CreateStmt(c) => {
                let Some(table) = c.relation.as_ref().map(QName::from_range_var) else {
                    return;
                };
                for element in &c.table_elts {
                    match element.node.as_ref() {
                        Some(NodeEnum::ColumnDef(column)) => self.column(&table, column),
                        Some(NodeEnum::Constraint(constraint)) => {
                            self.constraint(&table, constraint, &[])
                        }
                        _ => {}
                    }
                }
            }
            NodeEnum::AlterTableStmt(a) => {
                let Some(table) = a.relation.as_ref().map(QName::from_range_var) else {
                    return;
                };
                for cmd in &a.cmds {
                    let Some(NodeEnum::AlterTableCmd(cmd)) = cmd.node.as_ref() else {
                        continue;
                    };
                    match cmd.def.as_ref().and_then(|d| d.node.as_ref()) {
                        Some(NodeEnum::ColumnDef(column)) => self.column(&table, column),
                        Some(NodeEnum::Constraint(constraint)) => {
                            self.constraint(&table, constraint, &[])
                        }
                        _ => {}
                    }
                }
            }
            NodeEnum::IndexStmt(i) if i.unique && i.where_clause.is_none() => {
                let Some(table) = i.relation.as_ref().map(QName::from_range_var) else {
                    return;
                };
                let columns: Option<Vec<String>> = i
                    .index_params
                    .iter()
                    .map(|p| match p.node.as_ref() {
                        Some(NodeEnum::IndexElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                        _ => None,
                    })
                    .collect();
                if let Some(columns) = columns {
                    self.hints.unique.push(UniqueHint {
                        name: i.idxname.clone(),
                        table,
                        columns,
                    });
                }
            }
            _ => {}
        }
    }

    fn column(&mut self, table: &QName, column: &pb::ColumnDef) {
        let own = [column.colname.clone()];
        for constraint in &column.constraints {
            if let Some(NodeEnum::Constraint(constraint)) = constraint.node.as_ref() {
                self.constraint(table, constraint, &own);
            }
        }
    }

    /// A table constraint, or (with `own`, its column) a column constraint.
    fn constraint(&mut self, table: &QName, c: &pb::Constraint, own: &[String]) {
        let named = |nodes: &[pb::Node]| match sql::string_list(nodes) {
            names if names.is_empty() => own.to_vec(),
            names => names,
        };
        let kind = pb::ConstrType::try_from(c.contype).ok();
        match kind {
            Some(pb::ConstrType::ConstrPrimary | pb::ConstrType::ConstrUnique) => {
                let columns = named(&c.keys);
                if columns.is_empty() || c.where_clause.is_some() {
                    return;
                }
                if kind == Some(pb::ConstrType::ConstrPrimary) {
                    self.primary_keys.insert(table.clone(), columns.clone());
                }
                self.hints.unique.push(UniqueHint {
                    name: c.conname.clone(),
                    table: table.clone(),
                    columns,
                });
            }
            Some(pb::ConstrType::ConstrForeign) => {
                let Some(parent) = c.pktable.as_ref().map(QName::from_range_var) else {
                    return;
                };
                self.hints.foreign_keys.push(ForeignKeyHint {
                    name: c.conname.clone(),
                    table: table.clone(),
                    columns: named(&c.fk_attrs),
                    parent,
                    parent_columns: sql::string_list(&c.pk_attrs),
                });
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Hints {
        for fk in &mut self.hints.foreign_keys {
            if fk.parent_columns.is_empty() {
                if let Some(key) = self.primary_keys.get(&fk.parent) {
                    fk.parent_columns = key.clone();
                }
            }
        }
        self.hints
            .foreign_keys
            .retain(|fk| !fk.columns.is_empty() && fk.columns.len() == fk.parent_columns.len());
        self.hints
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn gathered(sql: &str) -> Hints {
        let mut gather = Gather::default();
        for statement in crate::sql::parse_file(Path::new("m.sql"), sql).unwrap() {
            gather.statement(&statement.node);
        }
        gather.finish()
    }

    #[test]
    fn keys_as_prisma_writes_them() {
        let hints = gathered(
            r#"CREATE TABLE "User" ("id" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
               CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
               CREATE UNIQUE INDEX "User_lower_key" ON "User"(lower("email"));
               ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId")
                 REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;"#,
        );
        let user = QName::new("", "User");
        assert_eq!(
            hints.unique,
            vec![
                UniqueHint {
                    name: "User_pkey".into(),
                    table: user.clone(),
                    columns: vec!["id".into()]
                },
                UniqueHint {
                    name: "User_email_key".into(),
                    table: user.clone(),
                    columns: vec!["email".into()]
                },
            ]
        );
        assert_eq!(
            hints.foreign_keys,
            vec![ForeignKeyHint {
                name: "Post_authorId_fkey".into(),
                table: QName::new("", "Post"),
                columns: vec!["authorId".into()],
                parent: user,
                parent_columns: vec!["id".into()],
            }]
        );
    }

    #[test]
    fn column_constraints_and_references_to_a_primary_key() {
        let hints = gathered(
            "CREATE TABLE p (id int PRIMARY KEY);
             CREATE TABLE c (id int, p_id int UNIQUE REFERENCES p);",
        );
        assert_eq!(hints.foreign_keys.len(), 1);
        assert_eq!(hints.foreign_keys[0].columns, vec!["p_id".to_string()]);
        assert_eq!(hints.foreign_keys[0].parent_columns, vec!["id".to_string()]);
        assert_eq!(hints.unique.len(), 2);
    }
}
