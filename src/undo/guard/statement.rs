//! A guard as the undo file holds it: a `DO` block that raises, naming the rows and the fix,
//! and that block read back into a parse tree without the parser (`generate` explains its own
//! files, and guards are half of their text).

use std::fmt::Write;

use super::{Guard, PREFLIGHT_FAILED};
use crate::sql::quote::Literal;
use crate::sql::{build, pb, NodeEnum};

impl Guard {
    /// The guard as a statement: a `DO` block that raises when the query finds a row.
    /// `first`: it runs before any other step of the undo (else right before its statement).
    pub(super) fn statement(&self, first: bool) -> String {
        let when = if first {
            "nothing has been changed"
        } else {
            "the undo stopped before this step (the steps above it have run)"
        };
        let body = if self.fails_on_row {
            let message = format!(
                "{PREFLIGHT_FAILED}: {}; {when}. The conversion, run alone: {}. The error: ",
                self.problem, self.offenders
            );
            let hint = "Fix those values, then deploy the undo again.";
            format!(
                "\nBEGIN\n    PERFORM count(c.converted) FROM ({}) AS c;\nEXCEPTION WHEN OTHERS THEN\n    RAISE EXCEPTION USING\n        MESSAGE = {} || SQLERRM,\n        HINT = {};\nEND\n",
                self.offenders,
                Literal(&message),
                Literal(hint)
            )
        } else {
            let message = format!(
                "{PREFLIGHT_FAILED}: {}; {when}. These rows are listed by: {}",
                self.problem, self.offenders
            );
            let hint = self
                .hint
                .as_deref()
                .unwrap_or("Fix or remove those rows, then deploy the undo again.");
            format!(
                "\nBEGIN\n    IF EXISTS ({}) THEN\n        RAISE EXCEPTION USING\n            MESSAGE = {},\n            HINT = {};\n    END IF;\nEND\n",
                self.offenders,
                Literal(&message),
                Literal(hint)
            )
        };
        let tag = dollar_tag(&body);
        let mut out = String::with_capacity(body.len() + 2 * tag.len() + 4);
        let _ = write!(out, "DO {tag}{body}{tag}");
        out
    }
}

/// The parse tree of a guard statement this module wrote ([`Guard::statement`]), read off
/// its text without the parser: a `DO` block is its body as one string. `None` for any
/// other statement. `generate` explains its own files, and guards are half of their text.
pub(in crate::undo) fn tree_of(sql: &str) -> Option<NodeEnum> {
    let quoted = sql.strip_prefix("DO ")?;
    let tag_end = quoted.strip_prefix("$unmigrate_guard")?.find('$')? + "$unmigrate_guard".len();
    let tag = &quoted[..=tag_end];
    let body = quoted.strip_prefix(tag)?.strip_suffix(tag)?;
    if body.contains(tag)
        || !tag[1..tag.len() - 1]
            .bytes()
            .all(|b| b == b'_' || b.is_ascii_alphanumeric())
    {
        return None;
    }
    Some(NodeEnum::DoStmt(pb::DoStmt {
        args: vec![build::node(NodeEnum::DefElem(Box::new(pb::DefElem {
            defname: "as".into(),
            arg: Some(Box::new(build::string(body))),
            defaction: pb::DefElemAction::DefelemUnspec as i32,
            location: 3,
            arg_location: 3,
            ..Default::default()
        })))],
    }))
}

/// A dollar-quote tag that does not occur in `body`, so the body cannot end the quote.
fn dollar_tag(body: &str) -> String {
    (0..)
        .map(|n| match n {
            0 => "$unmigrate_guard$".to_string(),
            n => format!("$unmigrate_guard{n}$"),
        })
        .find(|tag| !body.contains(tag.as_str()))
        .expect("a free tag")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::QName;

    #[test]
    fn the_dollar_tag_never_occurs_in_the_body() {
        assert_eq!(dollar_tag("SELECT 1"), "$unmigrate_guard$");
        assert_eq!(
            dollar_tag("SELECT \"$unmigrate_guard$\""),
            "$unmigrate_guard1$"
        );
    }

    #[test]
    fn a_guard_s_tree_is_read_off_its_text_as_the_parser_reads_it() {
        let table = QName::new(crate::sql::names::DEFAULT_SCHEMA, "Us'er");
        let guards = [
            Guard::nulls(&table, "e$mail").statement(true),
            Guard::nulls(&table, "$unmigrate_guard$").statement(false),
        ];
        for sql in guards {
            let parsed = crate::sql::parse_file(std::path::Path::new("g.sql"), &sql).unwrap();
            assert_eq!(tree_of(&sql).as_ref(), Some(&parsed[0].node), "{sql}");
        }
        assert_eq!(tree_of("DO $$BEGIN END$$"), None);
        assert_eq!(tree_of("DO $unmigrate_guard$x$unmigrate_guard1$"), None);
        assert_eq!(tree_of("SELECT 1"), None);
    }

    #[test]
    fn a_null_guard_is_one_do_block_that_parses() {
        let table = QName::new(crate::sql::names::DEFAULT_SCHEMA, "Us'er");
        let sql = Guard::nulls(&table, "e$mail").statement(true);
        assert_eq!(crate::sql::reparse(&sql), Ok(1), "{sql}");
        assert!(sql.contains("IF EXISTS (SELECT * FROM \"Us'er\" WHERE \"e$mail\" IS NULL)"));
        assert!(sql.contains("nothing has been changed"), "{sql}");
    }
}
