//! What a migration touches, as the undo rules ask for it: worked out once per migration,
//! and only when a rule asks.

use crate::sql;
use crate::sql::touches::Touches;

/// What a migration file touches ([`Touches`]), for rules of data statements: whether the
/// undo removes what they wrote anyway. Data statements, which create nothing, are not
/// parsed, so only the creations are known (`tables` and `columns` stay empty). A file that
/// does not parse is cut short at the error: the caller meets the same error anyway.
pub fn touches_of_file(path: &std::path::Path, text: &str) -> Touches {
    let mut touches = Touches::default();
    for statement in sql::statements(path, text)
        .without(is_data_statement)
        .map_while(Result::ok)
    {
        touches.add(&statement.node);
    }
    touches
}

/// Whether a statement's text starts with `INSERT`, `UPDATE`, `DELETE` or `COPY` (then it is
/// neither `CREATE` nor `ALTER`); text it is unsure of (a nested comment first) counts as not.
pub(super) fn is_data_statement(text: &str) -> bool {
    ["INSERT", "UPDATE", "DELETE", "COPY"].iter().any(|verb| {
        text.get(..verb.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(verb))
            && text[verb.len()..].starts_with(|c: char| c.is_whitespace())
    })
}

/// A migration's [`Touches`], worked out the first time a rule asks for it: only
/// data statements do, so a migration undone statement by statement as it is parsed is read
/// a second time only when it changes data.
pub struct LazyScope<'a> {
    scope: std::cell::OnceCell<Touches>,
    compute: Box<dyn Fn() -> Touches + 'a>,
}

impl<'a> LazyScope<'a> {
    pub fn new(compute: impl Fn() -> Touches + 'a) -> Self {
        LazyScope {
            scope: std::cell::OnceCell::new(),
            compute: Box::new(compute),
        }
    }

    pub(super) fn ready(scope: Touches) -> Self {
        LazyScope {
            scope: std::cell::OnceCell::from(scope),
            compute: Box::new(Touches::default),
        }
    }

    pub(super) fn get(&self) -> &Touches {
        self.scope.get_or_init(|| (self.compute)())
    }
}
