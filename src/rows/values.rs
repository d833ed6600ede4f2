//! Synthetic values as SQL expressions of a row key `k` (a `bigint`), one per type.
//!
//! Seeding inserts rows set-based (`INSERT … SELECT … FROM generate_series(1, N) AS g(i)`),
//! so a value is not a Rust value but an expression the server evaluates per row. The same
//! `k` always gives the same value, and different `k`s give different values as far as the
//! type allows (a `boolean` has two, a `varchar(2)` a hundred): the seeder passes `k = i` for
//! columns that must be unique and `k = (i + 1) / 2` for the others, so that those hold
//! duplicates as real data does (a new UNIQUE index over them must fail, as it would in
//! production).
//!
//! Values are small and positive (numbers from 1, text starting with the column's name,
//! dates from 2024-01-01), which satisfies the CHECK constraints migrations usually write
//! (`> 0`, `<> ''`, `length(…) > 0`).

use super::live::{literal, BaseType};

/// An expression of type `base` (before the cast to the column's own type) for row key `k`,
/// or `None` when there is no generator for the type. `column` names the column, so text
/// values say where they belong; `rows` is the number of rows, so text can stay distinct
/// within a length limit.
pub fn expression(base: &BaseType, column: &str, k: &str, rows: u64) -> Option<String> {
    let e = match (base.category, base.name.as_str()) {
        (_, "int2") => format!("({k} % 32767)::int2"),
        (_, "int4") => format!("({k} % 2147483647)::int4"),
        (_, "int8") => k.to_string(),
        (_, "oid") => format!("{k}::oid"),
        (_, "numeric") => numeric(base.typmod, k),
        (_, "float4" | "float8") => format!("({k} + 0.25)::float8"),
        (_, "money") => format!("{k}::numeric::money"),
        (_, "bool") => format!("({k} % 2 = 0)"),
        (_, "uuid") => format!("md5({} || {k})::uuid", literal(column)),
        (_, "json" | "jsonb") => format!("json_build_object({}, {k})", literal(column)),
        (_, "xml") => format!("xmlelement(name v, {k})"),
        (_, "bytea") => format!("convert_to({k}::text, 'UTF8')"),
        (_, "date") => format!("date '2024-01-01' + ({k} % 1000000)::int4"),
        (_, "timestamp" | "timestamptz") => {
            format!("timestamp '2024-01-01' + {k} * interval '1 minute'")
        }
        (_, "time" | "timetz") => format!("time '00:00' + ({k} % 86400) * interval '1 second'"),
        (_, "interval") => format!("{k} * interval '1 second'"),
        (_, "inet") => format!("'10.0.0.0'::inet + {k}"),
        (_, "cidr") => format!("('10.0.0.0'::inet + {k})::cidr"),
        (_, "macaddr") => format!("('08002b' || lpad(to_hex({k} % 16777216), 6, '0'))::macaddr"),
        (_, "tsvector") => format!("to_tsvector('simple', 'w' || {k})"),
        // The `ltree` extension's label paths (crates.io's category trees): one label per
        // row, made of letters and digits; text reaches the type through its input function.
        (_, "ltree") => format!("('n' || {k})"),
        ('E', _) if base.enum_labels > 0 => format!(
            "(enum_range(NULL::{}))[1 + ({k} % {})::int4]",
            base.sql, base.enum_labels
        ),
        ('S', _) => text(base, column, k, rows),
        _ => return None,
    };
    Some(e)
}

/// `numeric(p, s)`: the key modulo the largest integer part that fits, so a value never
/// overflows the precision; plain `numeric` takes the key as it is.
fn numeric(typmod: i32, k: &str) -> String {
    if typmod < 4 {
        return format!("{k}::numeric");
    }
    let precision = ((typmod - 4) >> 16) & 0xffff;
    let scale = (typmod - 4) & 0xffff;
    match precision - scale {
        digits @ 1..=18 => format!("({k} % {})::numeric", 10_i64.pow(digits as u32)),
        digits if digits > 18 => format!("{k}::numeric"),
        // No integer digits at all (`numeric(3, 3)`): a fraction.
        _ => format!("(({k} % 1000)::numeric / 1000)"),
    }
}

/// Text that starts with the column's name (`email_12`) when the length limit leaves room
/// for it and the largest key; only the key otherwise (a cast to `varchar(n)` cuts values,
/// so the digits that tell rows apart must come first). An underscore, not a space, joins
/// them: slugs, keys and labels that a trigger or an index expression parses (crates.io
/// turns a category's slug into an `ltree` path) take letters, digits and underscores.
fn text(base: &BaseType, column: &str, k: &str, rows: u64) -> String {
    // varchar(n) and char(n) keep n + 4 in the modifier.
    let limit = (base.typmod >= 4).then(|| (base.typmod - 4) as usize);
    let digits = rows.max(1).to_string().len();
    let prefix = format!("{column}_");
    match limit {
        Some(limit) if prefix.chars().count() + digits > limit => format!("{k}::text"),
        _ => format!("{} || {k}", literal(&prefix)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(name: &str, category: char, typmod: i32) -> BaseType {
        BaseType {
            name: name.into(),
            sql: name.into(),
            category,
            typmod,
            enum_labels: 0,
        }
    }

    #[test]
    fn numbers_fit_their_precision() {
        // numeric(5, 2): three integer digits.
        let typmod = ((5 << 16) | 2) + 4;
        assert_eq!(
            expression(&base("numeric", 'N', typmod), "price", "i", 10).unwrap(),
            "(i % 1000)::numeric"
        );
        assert_eq!(
            expression(&base("numeric", 'N', -1), "price", "i", 10).unwrap(),
            "i::numeric"
        );
        assert_eq!(
            expression(&base("int2", 'N', -1), "n", "i", 10).unwrap(),
            "(i % 32767)::int2"
        );
    }

    #[test]
    fn text_keeps_the_digits_that_tell_rows_apart_within_its_limit() {
        assert_eq!(
            expression(&base("text", 'S', -1), "email", "i", 1000).unwrap(),
            "'email_' || i"
        );
        // varchar(8) cannot hold "email_" and four digits.
        assert_eq!(
            expression(&base("varchar", 'S', 8 + 4), "email", "i", 1000).unwrap(),
            "i::text"
        );
        assert_eq!(
            expression(&base("varchar", 'S', 10 + 4), "email", "i", 1000).unwrap(),
            "'email_' || i"
        );
        // Quotes in a column name stay inside the literal.
        assert_eq!(
            expression(&base("text", 'S', -1), "it's", "i", 10).unwrap(),
            "'it''s_' || i"
        );
    }

    #[test]
    fn enums_cycle_through_their_labels() {
        let mut role = base("Role", 'E', -1);
        role.sql = "\"Role\"".into();
        role.enum_labels = 3;
        assert_eq!(
            expression(&role, "role", "k", 10).unwrap(),
            "(enum_range(NULL::\"Role\"))[1 + (k % 3)::int4]"
        );
    }

    #[test]
    fn unknown_types_have_no_generator() {
        assert_eq!(expression(&base("point", 'G', -1), "p", "i", 10), None);
        assert_eq!(expression(&base("mood", 'E', -1), "m", "i", 10), None);
    }
}
