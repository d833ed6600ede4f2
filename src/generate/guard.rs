//! The last check before a generated file is written: it must parse back to exactly the
//! statements the generator built, in order. Text copied into comments is escaped where it is
//! written ([`crate::untrusted`]); this guard is what makes a slip there an internal error
//! instead of live SQL in somebody's rollback.

use std::path::Path;

use crate::sql;

/// Why a generated file does not hold what was built, or `Ok`.
///
/// PostgreSQL's scanner cutting the file into exactly the built statements' texts, with only
/// whitespace, comments and semicolons between them, is proof enough (every built statement
/// parses alone), at a third of the cost of parsing the file: generated undo is larger than
/// its forward, and this check ran at a quarter of all generation time. Anything else is
/// judged by the parser, statement by statement, so a large undo is never held as trees all
/// at once.
pub(super) fn check(file: &str, built: &[String]) -> Result<(), String> {
    let scanned = sql::split::texts(file);
    if scanned.is_some_and(|texts| texts.iter().copied().eq(built.iter().map(|b| b.trim()))) {
        return Ok(());
    }
    parsed_check(file, built)
}

/// [`check`] by the parser: the authority when the scanner's cut is not plainly right.
fn parsed_check(file: &str, built: &[String]) -> Result<(), String> {
    let mut count = 0;
    let mut first_difference = None;
    for parsed in sql::statements(Path::new("generated"), file) {
        let found = parsed.map_err(|e| format!("it does not parse ({e})"))?;
        let expected = built.get(count).map(|b| b.trim());
        if first_difference.is_none() && expected.is_some_and(|b| found.text != b) {
            first_difference = Some(format!(
                "statement {} reads {:?}, not the {:?} built",
                count + 1,
                found.text,
                built[count]
            ));
        }
        count += 1;
    }
    if count != built.len() {
        return Err(format!(
            "it holds {count} statement(s), not the {} built",
            built.len()
        ));
    }
    first_difference.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> Vec<String> {
        vec![
            "ALTER TABLE \"User\" DROP COLUMN \"n\"".to_string(),
            "DROP TABLE \"a\"".to_string(),
        ]
    }

    #[test]
    fn accepts_the_built_statements_between_comments() {
        let file = "-- header\n\n-- undo of line 2: x\nALTER TABLE \"User\" DROP COLUMN \"n\";\n\
                    /* c */ DROP TABLE \"a\";\n-- end\n";
        assert_eq!(check(file, &built()), Ok(()));
    }

    #[test]
    fn accepts_a_statement_the_scanner_cuts_wrongly_once_the_parser_agrees() {
        // The scanner ends a statement at every `;` of a `BEGIN ATOMIC` body.
        let function = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END";
        let file = format!("-- x\n{function};\nDROP TABLE \"a\";\n");
        assert!(crate::sql::split::texts(&file).is_some_and(|t| t.len() != 2));
        let built = vec![function.to_string(), "DROP TABLE \"a\"".to_string()];
        assert_eq!(check(&file, &built), Ok(()));
    }

    #[test]
    fn rejects_a_statement_hidden_after_a_carriage_return() {
        let file = "-- undo of line 1: 'a\rDROP TABLE \"Keep\"; --\nALTER TABLE \"User\" DROP COLUMN \"n\";\nDROP TABLE \"a\";\n";
        let err = check(file, &built()).unwrap_err();
        assert!(err.contains("3 statement(s), not the 2 built"), "{err}");
    }

    #[test]
    fn rejects_a_changed_statement_or_order_or_a_file_that_does_not_parse() {
        let changed = "ALTER TABLE \"User\" DROP COLUMN \"m\";\nDROP TABLE \"a\";\n";
        let err = check(changed, &built()).unwrap_err();
        assert!(err.starts_with("statement 1 reads"), "{err}");
        let swapped = "DROP TABLE \"a\";\nALTER TABLE \"User\" DROP COLUMN \"n\";\n";
        assert!(check(swapped, &built()).is_err());
        let broken = "-- x\rDROP TABLE;\n";
        let err = check(broken, &built()).unwrap_err();
        assert!(err.contains("does not parse"), "{err}");
    }
}
