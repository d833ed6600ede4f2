//! Data fingerprints: per user table, its row count and, per column, an order-independent
//! checksum of the values and the number of NULLs. Two fingerprints of the same data are
//! equal whatever order the rows are stored in, so a drill can compare the data before a
//! forward migration with the data after its undo without reading the rows.
//!
//! The checksum is `sum(hashtextextended(col::text, 0)::numeric)`: every type has a text
//! form, the sum does not depend on row order, and `numeric` cannot overflow. Values that
//! print the same compare equal, so a column converted from `integer` to `bigint` and back
//! keeps its checksum.

use std::collections::{BTreeMap, BTreeSet};

use postgres::Client;
use serde::Serialize;

use super::live;
use super::reach::{Reach, Table};
use crate::sql::quote::{Column, Ident};
use crate::sql::QName;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    pub tables: BTreeMap<QName, TableFingerprint>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableFingerprint {
    /// The table's oid: which table of that name was read (one dropped and created again
    /// is another table).
    pub oid: u32,
    pub rows: i64,
    pub columns: BTreeMap<String, ColumnFingerprint>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnFingerprint {
    /// The sum of the values' hashes, as `numeric` text.
    pub checksum: String,
    pub nulls: i64,
}

/// One difference between two fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataChange {
    #[serde(flatten, serialize_with = "crate::sql::names::json::table")]
    pub table: QName,
    /// `None` for the table's row count.
    pub column: Option<String>,
    /// What changed: "rows 100 → 0", "values differ (NULLs 33 → 100)".
    pub change: String,
}

impl std::fmt::Display for DataChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(column) => write!(f, "{}: {}", Column(&self.table, column), self.change),
            None => write!(f, "{}: {}", self.table, self.change),
        }
    }
}

/// The fingerprint of every user table, one query per table.
pub fn take(client: &mut Client) -> Result<Fingerprint, postgres::Error> {
    let mut fingerprint = Fingerprint::default();
    fingerprint.refresh(client, &Reach::All)?;
    Ok(fingerprint)
}

/// Every user table with its columns (two catalog queries).
fn every_table(client: &mut Client) -> Result<Vec<Table>, postgres::Error> {
    let listed = client.query(&live::tables_sql(), &[])?;
    let oids: Vec<u32> = listed.iter().map(|row| row.get(0)).collect();
    let mut columns: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let rows = client.query(
        "SELECT attrelid, attname::text FROM pg_attribute \
          WHERE attrelid = ANY($1) AND attnum > 0 AND NOT attisdropped \
          ORDER BY attrelid, attnum",
        &[&oids],
    )?;
    for row in rows {
        columns.entry(row.get(0)).or_default().push(row.get(1));
    }
    Ok(listed
        .iter()
        .map(|row| {
            let oid: u32 = row.get(0);
            let names = columns.remove(&oid).unwrap_or_default();
            Table::new(oid, row.get(1), row.get(2), row.get(3), names)
        })
        .collect())
}

/// The settings a value's text depends on, fixed for the fingerprint queries: a migration may
/// set any of them for the session (crates.io's `SET timezone = 'UTC'`), and every
/// `timestamptz` would then read as changed data.
const TEXT_SETTINGS: &str = "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, MDY'; \
    SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; \
    SET LOCAL bytea_output = 'hex'";

fn fingerprint_sql(from: &str, columns: &[String]) -> String {
    let mut select = vec!["count(*)".to_string()];
    for column in columns {
        let c = Ident(column);
        select.push(format!(
            "coalesce(sum(hashtextextended({c}::text, 0)::numeric), 0)::text"
        ));
        select.push(format!("count({c})"));
    }
    format!("SELECT {} FROM {from}", select.join(", "))
}

impl Fingerprint {
    /// Brings the fingerprint up to date after SQL that may have changed the data of the
    /// tables in `reach` only. Every table is read again for [`Reach::All`]; otherwise the
    /// tables found are, and a table of a name the SQL named that was not found (dropped, or
    /// renamed away) leaves the fingerprint. The others keep their entries, so a phase costs
    /// a query per table it reached, not per table in the database.
    pub fn refresh(&mut self, client: &mut Client, reach: &Reach) -> Result<(), postgres::Error> {
        let wanted = match reach {
            Reach::All => {
                let tables = every_table(client)?;
                let live: BTreeSet<&QName> = tables.iter().map(|t| &t.name).collect();
                self.tables.retain(|name, _| live.contains(name));
                tables
            }
            Reach::Tables { found, named } => {
                let found_names: BTreeSet<&QName> = found.iter().map(|t| &t.name).collect();
                self.tables
                    .retain(|q, _| !named.contains(&q.name) || found_names.contains(q));
                found.clone()
            }
        };
        // Read-only, under fixed text settings (see TEXT_SETTINGS), then rolled back.
        let mut reading = client.transaction()?;
        reading.batch_execute(TEXT_SETTINGS)?;
        for table in wanted {
            let row = reading.query_one(&fingerprint_sql(&table.from, &table.columns), &[])?;
            let rows: i64 = row.get(0);
            let mut t = TableFingerprint {
                oid: table.oid,
                rows,
                columns: BTreeMap::new(),
            };
            for (i, column) in table.columns.into_iter().enumerate() {
                let non_null: i64 = row.get(2 + 2 * i);
                t.columns.insert(
                    column,
                    ColumnFingerprint {
                        checksum: row.get(1 + 2 * i),
                        nulls: rows - non_null,
                    },
                );
            }
            self.tables.insert(table.name.clone(), t);
        }
        reading.rollback()
    }

    /// What differs from `self` in `after`, for tables and columns present in both (a table
    /// or column that appears or disappears is a schema difference, which the schema
    /// comparison reports). A table whose row count changed is one change: its columns
    /// differ too, and saying so adds nothing.
    pub fn changes(&self, after: &Fingerprint) -> Vec<DataChange> {
        let mut changes = Vec::new();
        for (name, before) in &self.tables {
            let Some(now) = after.tables.get(name) else {
                continue;
            };
            if before.rows != now.rows {
                changes.push(DataChange {
                    table: name.clone(),
                    column: None,
                    change: format!("rows {} → {}", before.rows, now.rows),
                });
                continue;
            }
            for (column, was) in &before.columns {
                let Some(is) = now.columns.get(column) else {
                    continue;
                };
                if was == is {
                    continue;
                }
                let change = if was.nulls == is.nulls {
                    "values differ".to_string()
                } else {
                    format!("values differ (NULLs {} → {})", was.nulls, is.nulls)
                };
                changes.push(DataChange {
                    table: name.clone(),
                    column: Some(column.clone()),
                    change,
                });
            }
        }
        changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: i64, columns: &[(&str, &str, i64)]) -> TableFingerprint {
        TableFingerprint {
            oid: 0,
            rows,
            columns: columns
                .iter()
                .map(|(name, checksum, nulls)| {
                    (
                        name.to_string(),
                        ColumnFingerprint {
                            checksum: checksum.to_string(),
                            nulls: *nulls,
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn changes_name_rows_and_columns_present_on_both_sides() {
        let user = QName::new("", "User");
        let before = Fingerprint {
            tables: [(user.clone(), table(10, &[("id", "1", 0), ("bio", "2", 3)]))].into(),
        };
        let after = Fingerprint {
            tables: [(
                user.clone(),
                table(10, &[("id", "1", 0), ("bio", "0", 10), ("new", "5", 0)]),
            )]
            .into(),
        };
        let changes = before.changes(&after);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(
            changes[0].to_string(),
            "\"User\".bio: values differ (NULLs 3 → 10)"
        );

        let emptied = Fingerprint {
            tables: [(user, table(0, &[("id", "0", 0), ("bio", "0", 0)]))].into(),
        };
        let changes = before.changes(&emptied);
        assert_eq!(changes[0].to_string(), "\"User\": rows 10 → 0");
        assert_eq!(changes.len(), 1);
        assert!(before.changes(&Fingerprint::default()).is_empty());
    }
}
