//! The tree an undo statement was deparsed from, kept beside its text so that `generate` can
//! explain the undo it wrote without parsing its own text back (that parse cost as much as
//! deriving the undo).
//!
//! A tree is kept only while the statement's text is the one it was deparsed into: it is
//! handed out once, and only for that text (compared by a hash), so a pass that rewrote the
//! text gets `None` and parses. Only small migrations keep them (see `derive`): a large one's
//! trees would take a hundred times its text.

use std::cell::Cell;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::sql::NodeEnum;

/// A statement's tree and the hash of the text it was deparsed into, or nothing.
#[derive(Default)]
pub struct Kept(Cell<Option<(Box<NodeEnum>, u64)>>);

impl Kept {
    pub fn new(tree: NodeEnum, text: &str) -> Self {
        Kept(Cell::new(Some((Box::new(tree), hash(text)))))
    }

    /// The tree, once, if `text` is what it was deparsed into.
    pub fn take_for(&self, text: &str) -> Option<NodeEnum> {
        let (tree, written) = self.0.take()?;
        (written == hash(text)).then_some(*tree)
    }
}

fn hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// A copy keeps no tree: the tree is handed out once.
impl Clone for Kept {
    fn clone(&self) -> Self {
        Kept::default()
    }
}

/// Kept trees are a cache: they never make two statements differ.
impl PartialEq for Kept {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kept")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::pb;

    #[test]
    fn a_tree_is_handed_out_once_and_only_for_its_text() {
        let tree = || NodeEnum::String(pb::String { sval: "x".into() });
        let kept = Kept::new(tree(), "SELECT 1");
        assert_eq!(kept.clone().take_for("SELECT 1"), None, "a copy keeps none");
        assert_eq!(kept.take_for("SELECT 1"), Some(tree()));
        assert_eq!(kept.take_for("SELECT 1"), None, "once");
        let kept = Kept::new(tree(), "SELECT 1");
        assert_eq!(kept.take_for("SELECT 2"), None, "not for another text");
    }
}
