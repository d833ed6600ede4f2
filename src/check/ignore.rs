//! Inline ignores: a comment `-- unmigrate-ignore RULE: reason` in the comment lines right
//! above a statement of a new migration silences that rule's hazard on that statement, as
//! squawk's `-- squawk-ignore` does. The reason is required (reviewers read it), and the
//! ignore becomes a note of the report. Only `check` reads them, and only in the migrations
//! a pull request adds: a merged migration is not edited.

const MARKER: &str = "unmigrate-ignore";

/// One ignore comment above a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    pub rule: String,
    /// `None`: the comment gives no reason, which does not silence anything.
    pub reason: Option<String>,
}

/// The ignore comments in the block of `--` comment lines directly above line `line`
/// (1-based) of `text`, nearest first.
pub fn above(text: &str, line: usize) -> Vec<Ignore> {
    let lines: Vec<&str> = text.lines().take(line.saturating_sub(1)).collect();
    lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with("--"))
        .filter_map(|l| parse(l.trim_start_matches('-').trim()))
        .collect()
}

/// `unmigrate-ignore RULE: reason` (the leading `--` removed).
fn parse(comment: &str) -> Option<Ignore> {
    let rest = comment.strip_prefix(MARKER)?.trim_start();
    let (rule, reason) = match rest.split_once(':') {
        Some((rule, reason)) => (rule.trim(), Some(reason.trim())),
        None => (rest.trim(), None),
    };
    Some(Ignore {
        rule: rule.to_string(),
        reason: reason.filter(|r| !r.is_empty()).map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_are_read_from_the_comment_block_right_above() {
        let text = "-- unmigrate-ignore drop-table: far away\n\
                    SELECT 1;\n\
                    -- why we drop it\n\
                    -- unmigrate-ignore drop-column: the app stopped reading it in v42\n\
                    --unmigrate-ignore rename-column\n\
                    ALTER TABLE t DROP COLUMN c;\n";
        let found = above(text, 6);
        assert_eq!(
            found,
            [
                Ignore {
                    rule: "rename-column".into(),
                    reason: None
                },
                Ignore {
                    rule: "drop-column".into(),
                    reason: Some("the app stopped reading it in v42".into())
                },
            ]
        );
        // The block stops at the statement before: the first ignore is not this statement's.
        assert!(above(text, 2).len() == 1 && above(text, 6).len() == 2);
    }
}
