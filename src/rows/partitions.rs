//! A value of a partitioned table's key that one of its partitions takes, so seeded rows have
//! somewhere to go: the generated values (timestamps from 2024, numbers from 1) rarely fall in
//! the ranges a history's partitions cover. Read for a key of one column partitioned by
//! `RANGE` (a partition's lower bound) or `LIST` (a partition's first value); a table with a
//! `DEFAULT` partition takes any value, and other keys (several columns, expressions, `HASH`)
//! are left to the generated values. A partitioned table without a partition (its partitions
//! are made at run time, outside the migrations) takes no row at all.

use std::collections::BTreeMap;

use postgres::Client;

use super::live::literal;
use crate::sql::{self, pb, NodeEnum};

/// What seeding knows of a partitioned table's partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Partitions {
    /// It has none: no row can go in.
    None,
    /// A value of its key column (`attnum`), as SQL, that one of them takes.
    Take { attnum: i16, sql: String },
}

/// Each partitioned table of the given ones, with its partitions' bounds as `pg_get_expr`
/// shows them (none: one row with NULL) and, for a key of one column partitioned by `RANGE`
/// or `LIST`, that column.
const PARTITIONS_SQL: &str = "\
SELECT p.partrelid, \
       CASE WHEN p.partnatts = 1 AND p.partattrs[0] > 0 AND p.partstrat IN ('r', 'l') \
            THEN p.partattrs[0] END, \
       pg_get_expr(c.relpartbound, c.oid) \
  FROM pg_partitioned_table p \
  LEFT JOIN pg_inherits i ON i.inhparent = p.partrelid \
  LEFT JOIN pg_class c ON c.oid = i.inhrelid \
 WHERE p.partrelid = ANY($1) \
 ORDER BY p.partrelid, c.relname";

/// What seeding needs to know of the partitions of each partitioned table (by oid) among
/// `oids`: that it has none, or a key value one of them takes. Tables with a `DEFAULT`
/// partition, or whose key is not read, are left out.
pub fn of_tables(
    client: &mut Client,
    oids: &[u32],
) -> Result<BTreeMap<u32, Partitions>, postgres::Error> {
    let mut bounds: BTreeMap<u32, (Option<i16>, Vec<String>)> = BTreeMap::new();
    for row in client.query(PARTITIONS_SQL, &[&oids])? {
        let entry = bounds
            .entry(row.get(0))
            .or_insert_with(|| (row.get(1), Vec::new()));
        entry.1.extend(row.get::<_, Option<String>>(2));
    }
    Ok(bounds
        .into_iter()
        .filter_map(|(oid, (attnum, bounds))| {
            if bounds.is_empty() {
                return Some((oid, Partitions::None));
            }
            if bounds.iter().any(|b| b == "DEFAULT") {
                return None;
            }
            let sql = bounds.iter().find_map(|b| value_within(b))?;
            Some((
                oid,
                Partitions::Take {
                    attnum: attnum?,
                    sql,
                },
            ))
        })
        .collect())
}

/// A value inside `bound` (`FOR VALUES FROM ('2024-01-01') TO (…)`, `FOR VALUES IN (1, 2)`),
/// as a literal: the range's lower bound, or the list's first value; `None` for a range open
/// below (`MINVALUE`) or a list of NULL.
fn value_within(bound: &str) -> Option<String> {
    let spec = sql::partition_bound(bound)?;
    // As parsed, not analysed: a bound is a constant, or `MINVALUE` as a column name.
    let first = match spec.strategy.as_str() {
        "r" => spec.lowerdatums.first()?,
        "l" => spec.listdatums.first()?,
        _ => return None,
    };
    let Some(NodeEnum::AConst(constant)) = first.node.as_ref() else {
        return None;
    };
    match constant.val.as_ref()? {
        pb::a_const::Val::Ival(i) => Some(i.ival.to_string()),
        pb::a_const::Val::Fval(f) => Some(f.fval.clone()),
        pb::a_const::Val::Sval(s) => Some(literal(&s.sval)),
        pb::a_const::Val::Boolval(b) => Some(b.boolval.to_string()),
        pb::a_const::Val::Bsval(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::value_within;

    #[test]
    fn a_range_gives_its_lower_bound_and_a_list_its_first_value() {
        let range = "FOR VALUES FROM ('2020-01-01 00:00:00') TO ('2021-01-01 00:00:00')";
        assert_eq!(
            value_within(range).as_deref(),
            Some("'2020-01-01 00:00:00'")
        );
        assert_eq!(
            value_within("FOR VALUES FROM (10) TO (20)").as_deref(),
            Some("10")
        );
        assert_eq!(
            value_within("FOR VALUES IN ('eu', 'us')").as_deref(),
            Some("'eu'")
        );
        assert_eq!(value_within("FOR VALUES FROM (MINVALUE) TO (5)"), None);
        assert_eq!(value_within("FOR VALUES IN (NULL)"), None);
        assert_eq!(value_within("DEFAULT"), None);
    }
}
