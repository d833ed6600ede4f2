//! The documentation pages of rules (explain's `docs/rules/`, the undo rules'
//! `docs/undo-rules/`), generated from each rule's declaration: the Markdown pieces both kinds
//! share, and the check that the committed pages are what the declarations generate.

use std::fmt::Write as _;

/// A rule's family: the last segment of the `module_path!()` of the file it is declared in
/// (`unmigrate::undo::columns` → `columns`), so the family always names the file.
pub(crate) const fn family(module_path: &'static str) -> &'static str {
    let bytes = module_path.as_bytes();
    let mut start = bytes.len();
    while start > 0 && bytes[start - 1] != b':' {
        start -= 1;
    }
    match std::str::from_utf8(bytes.split_at(start).1) {
        Ok(name) => name,
        Err(_) => module_path,
    }
}

/// Appends a `## title` section; the body is trimmed.
pub(crate) fn section(out: &mut String, title: &str, body: &str) {
    let _ = writeln!(out, "## {title}\n\n{}\n", body.trim());
}

/// The summary as a sentence: a capital first letter (it is written to follow an id).
pub(crate) fn sentence(summary: &str) -> String {
    let mut chars = summary.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Checks that `dir` (relative to the repository) holds exactly `pages` (id and text, one
/// `<id>.md` each), and lists what differs. With `UNMIGRATE_WRITE_DOCS` set (`just
/// rule-docs`) it writes the pages instead, and removes pages of rules that are gone.
#[cfg(test)]
pub(crate) fn check_generated(dir: &str, pages: &[(&str, String)], test: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let write = std::env::var_os("UNMIGRATE_WRITE_DOCS").is_some();
    if write {
        std::fs::create_dir_all(&dir).expect("the pages' folder");
    }
    let mut stale = Vec::new();
    for (id, want) in pages {
        let path = dir.join(format!("{id}.md"));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            if write {
                std::fs::write(&path, want).expect("write the page");
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    for entry in std::fs::read_dir(&dir).expect("the pages' folder") {
        let path = entry.expect("entry").path();
        let id = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        if !pages.iter().any(|(known, _)| Some(*known) == id.as_deref()) {
            if write {
                std::fs::remove_file(&path).expect("remove the orphaned page");
            } else {
                stale.push(format!("{} (no such rule)", path.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "pages out of date; run `just rule-docs` (UNMIGRATE_WRITE_DOCS=1 cargo test --lib {test}) and commit:\n  {}",
        stale.join("\n  ")
    );
}
