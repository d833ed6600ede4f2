//! PostgreSQL's table lock modes: one type for what `explain` documents and what the drill's
//! trace reads from `pg_locks`, with their order, names and what each blocks
//! (<https://www.postgresql.org/docs/current/explicit-locking.html>).

use std::fmt;

use serde::Serialize;

/// A table-level lock mode; the order is the documentation's, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    /// Every mode, weakest first.
    pub const ALL: [LockMode; 8] = [
        LockMode::AccessShare,
        LockMode::RowShare,
        LockMode::RowExclusive,
        LockMode::ShareUpdateExclusive,
        LockMode::Share,
        LockMode::ShareRowExclusive,
        LockMode::Exclusive,
        LockMode::AccessExclusive,
    ];

    /// What the lock stops other sessions from doing while it is held.
    pub fn blocks(self) -> &'static str {
        match self {
            LockMode::AccessShare | LockMode::RowShare | LockMode::RowExclusive => {
                "reads and writes continue"
            }
            LockMode::ShareUpdateExclusive => "reads and writes continue; other DDL waits",
            LockMode::Share | LockMode::ShareRowExclusive => "blocks writes, reads continue",
            LockMode::Exclusive => "blocks writes and SELECT … FOR UPDATE; plain reads continue",
            LockMode::AccessExclusive => "blocks reads and writes",
        }
    }

    /// As the documentation and `LOCK TABLE` write it: `ACCESS EXCLUSIVE`.
    pub fn sql(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// As `pg_locks.mode` names it: `AccessExclusiveLock`.
    pub fn pg_locks_name(self) -> &'static str {
        match self {
            LockMode::AccessShare => "AccessShareLock",
            LockMode::RowShare => "RowShareLock",
            LockMode::RowExclusive => "RowExclusiveLock",
            LockMode::ShareUpdateExclusive => "ShareUpdateExclusiveLock",
            LockMode::Share => "ShareLock",
            LockMode::ShareRowExclusive => "ShareRowExclusiveLock",
            LockMode::Exclusive => "ExclusiveLock",
            LockMode::AccessExclusive => "AccessExclusiveLock",
        }
    }

    /// The mode `pg_locks.mode` names, if it is a table lock mode (predicate locks such as
    /// `SIReadLock` are not).
    pub fn from_pg_locks(name: &str) -> Option<LockMode> {
        LockMode::ALL
            .into_iter()
            .find(|mode| mode.pg_locks_name() == name)
    }

    /// The mode a `LOCK TABLE` parse tree gives as a number (`lockdefs.h`: `AccessShareLock`
    /// = 1 … `AccessExclusiveLock` = 8); anything else is the strongest, as `LOCK TABLE`'s
    /// default is.
    pub fn from_lockdefs_number(number: i32) -> LockMode {
        usize::try_from(number - 1)
            .ok()
            .and_then(|i| LockMode::ALL.get(i).copied())
            .unwrap_or(LockMode::AccessExclusive)
    }
}

impl fmt::Display for LockMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sql())
    }
}

#[cfg(test)]
mod tests {
    use super::LockMode;

    #[test]
    fn names_read_as_the_documentation_and_pg_locks_write_them() {
        assert_eq!(LockMode::AccessExclusive.to_string(), "ACCESS EXCLUSIVE");
        assert_eq!(
            LockMode::ShareUpdateExclusive.to_string(),
            "SHARE UPDATE EXCLUSIVE"
        );
        for mode in LockMode::ALL {
            assert_eq!(LockMode::from_pg_locks(mode.pg_locks_name()), Some(mode));
            // pg_locks writes the documentation's words run together, with `Lock` after them.
            let joined: String = mode.sql().split(' ').map(title_case).collect();
            assert_eq!(mode.pg_locks_name(), format!("{joined}Lock"));
        }
        assert_eq!(LockMode::from_pg_locks("SIReadLock"), None);
    }

    fn title_case(word: &str) -> String {
        let lower = word.to_ascii_lowercase();
        lower[..1].to_ascii_uppercase() + &lower[1..]
    }

    #[test]
    fn order_is_weakest_first() {
        assert!(LockMode::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(LockMode::from_lockdefs_number(1), LockMode::AccessShare);
        assert_eq!(LockMode::from_lockdefs_number(5), LockMode::Share);
        assert_eq!(LockMode::from_lockdefs_number(8), LockMode::AccessExclusive);
        assert_eq!(LockMode::from_lockdefs_number(0), LockMode::AccessExclusive);
    }
}
