//! Comparing two schema snapshots, object by object, and telling "column order only" apart
//! from differences that matter.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

/// Every object whose normalised definition differs between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaDiff {
    /// What the schema must be, e.g. "before 20240101000000_init".
    pub expected_label: String,
    /// What it is, e.g. "after undo of 20240101000000_init".
    pub actual_label: String,
    /// Sorted by key.
    pub objects: Vec<ObjectDiff>,
}

/// One object that differs. `None` means the object does not exist on that side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectDiff {
    /// Kind and qualified name, e.g. `table public."User"`.
    pub key: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
    /// Both sides hold the same lines and only the column lines are in another order.
    pub column_order_only: bool,
}

impl SchemaDiff {
    /// True when every difference is one of column order alone.
    pub fn column_order_only(&self) -> bool {
        self.objects.iter().all(|o| o.column_order_only)
    }
}

/// Column lines start with this; their order is the table's column order.
const COLUMN_LINE: &str = "  column ";

/// Every key whose definition differs, in key order.
pub(super) fn compare(
    expected: &BTreeMap<String, Arc<str>>,
    actual: &BTreeMap<String, Arc<str>>,
) -> Vec<ObjectDiff> {
    let mut objects = Vec::new();
    let mut push = |key: &str, e: Option<&Arc<str>>, a: Option<&Arc<str>>| {
        let column_order_only = match (e, a) {
            (Some(e), Some(a)) => only_column_order_differs(e, a),
            _ => false,
        };
        objects.push(ObjectDiff {
            key: key.to_string(),
            expected: e.map(|d| d.to_string()),
            actual: a.map(|d| d.to_string()),
            column_order_only,
        });
    };
    let mut left = expected.iter().peekable();
    let mut right = actual.iter().peekable();
    loop {
        match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some((k, e)), None) => {
                push(k, Some(e), None);
                left.next();
            }
            (None, Some((k, a))) => {
                push(k, None, Some(a));
                right.next();
            }
            (Some((ke, e)), Some((ka, a))) => match ke.cmp(ka) {
                Ordering::Less => {
                    push(ke, Some(e), None);
                    left.next();
                }
                Ordering::Greater => {
                    push(ka, None, Some(a));
                    right.next();
                }
                Ordering::Equal => {
                    if !Arc::ptr_eq(e, a) && e != a {
                        push(ke, Some(e), Some(a));
                    }
                    left.next();
                    right.next();
                }
            },
        }
    }
    objects
}

/// The same lines, with only the column lines in another order.
fn only_column_order_differs(expected: &str, actual: &str) -> bool {
    fn split(text: &str) -> (Vec<&str>, Vec<&str>) {
        let (mut columns, mut rest) = (Vec::new(), Vec::new());
        for line in text.lines() {
            if line.starts_with(COLUMN_LINE) {
                columns.push(line);
            } else {
                rest.push(line);
            }
        }
        columns.sort_unstable();
        (columns, rest)
    }
    expected != actual && split(expected) == split(actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(objects: &[(&str, &str)]) -> BTreeMap<String, Arc<str>> {
        objects
            .iter()
            .map(|(k, d)| (k.to_string(), Arc::from(*d)))
            .collect()
    }

    const USER: &str = "table public.u\n  column id integer\n  column name text\n  index i";
    const USER_REORDERED: &str =
        "table public.u\n  column name text\n  column id integer\n  index i";
    const USER_RETYPED: &str =
        "table public.u\n  column name varchar\n  column id integer\n  index i";

    #[test]
    fn equal_snapshots_have_no_differences() {
        let s = snapshot(&[("table public.u", USER)]);
        assert!(compare(&s, &s.clone()).is_empty());
    }

    #[test]
    fn reordered_columns_are_told_apart_from_real_differences() {
        let before = snapshot(&[("table public.u", USER)]);
        let reordered = compare(&before, &snapshot(&[("table public.u", USER_REORDERED)]));
        assert_eq!(reordered.len(), 1);
        assert!(reordered[0].column_order_only);
        let retyped = compare(&before, &snapshot(&[("table public.u", USER_RETYPED)]));
        assert!(!retyped[0].column_order_only);
    }

    #[test]
    fn missing_and_extra_objects_are_differences() {
        let before = snapshot(&[("a", "a"), ("b", "b")]);
        let after = snapshot(&[("b", "b"), ("c", "c")]);
        let diff = compare(&before, &after);
        let keys: Vec<_> = diff.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(keys, ["a", "c"]);
        assert_eq!(diff[0].actual, None);
        assert_eq!(diff[1].expected, None);
        assert!(diff.iter().all(|d| !d.column_order_only));
    }
}
