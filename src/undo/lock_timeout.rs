//! The `lock_timeout` a generated undo sets for itself: an undo is deployed during an incident,
//! on a busy database, and a statement queued behind a long transaction for a strong lock
//! blocks every later query on its table (see `missing-lock-timeout`).
//!
//! Each file sets it with a plain `SET` at its top and puts the connection's own value back
//! with `RESET` at its end, because the same file must be right however Prisma sends it:
//!
//! - **batch** (the file is one implicit transaction): the `SET` and the `RESET` belong to the
//!   file's transaction; a failure rolls both back with everything else, so nothing leaks.
//! - **split** (each statement commits alone): `SET LOCAL` would last one statement only and
//!   protect nothing, so the setting must be the session's; the `RESET` at the end keeps it
//!   from the later migrations Prisma applies on the same connection. A failure stops the
//!   deploy there, so no later migration runs under it either.
//!
//! `RESET` returns to the connection's configured value (its connection string's `options`,
//! the role's or database's setting, or the server's), not to a value an earlier migration of
//! the same deploy `SET`: that earlier `SET` was itself a leak. A file that holds one
//! `CONCURRENTLY` statement alone gets neither statement: batch mode would then run it inside
//! a transaction block, where it fails, and it takes no lock that blocks writes.

use std::fmt;

/// How long an undo statement may wait for a lock: a PostgreSQL duration, kept as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockTimeout(String);

/// The duration every undo waits at most for a lock unless told otherwise.
pub const DEFAULT_LOCK_TIMEOUT: &str = "5s";

impl LockTimeout {
    /// `0` and `off` mean no `lock_timeout` at all (`None`); anything else must be a whole
    /// number and a unit PostgreSQL accepts for it (`us`, `ms`, `s`, `min`, `h`, `d`): a bare
    /// number would be milliseconds (see `sql::duration`).
    pub fn parse(text: &str) -> Result<Option<LockTimeout>, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let text = crate::sql::duration::parse(text, false)
            .map_err(|e| format!("{e}, or 0 or off for none"))?;
        if text
            .bytes()
            .take_while(u8::is_ascii_digit)
            .all(|b| b == b'0')
        {
            return Ok(None);
        }
        Ok(Some(LockTimeout(text.replace(' ', ""))))
    }

    /// The default, [`DEFAULT_LOCK_TIMEOUT`].
    pub fn default_timeout() -> LockTimeout {
        LockTimeout(DEFAULT_LOCK_TIMEOUT.to_string())
    }

    /// The statement at the top of a file (without its `;`). The value is digits and a unit,
    /// so it needs no escaping.
    pub fn set_statement(&self) -> String {
        format!("SET lock_timeout = '{}'", self.0)
    }
}

/// The statement at the end of a file (without its `;`).
pub const RESET_STATEMENT: &str = "RESET lock_timeout";

impl fmt::Display for LockTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_zero_or_off_mean_none() {
        let set = |t: &str| LockTimeout::parse(t).unwrap().map(|l| l.set_statement());
        assert_eq!(set("5s").as_deref(), Some("SET lock_timeout = '5s'"));
        // A bare number would be milliseconds to PostgreSQL: it needs its unit.
        assert!(LockTimeout::parse("1500").is_err());
        assert_eq!(set("5 s").as_deref(), Some("SET lock_timeout = '5s'"));
        assert_eq!(set("2min").as_deref(), Some("SET lock_timeout = '2min'"));
        assert_eq!(set("0"), None);
        assert_eq!(set("0ms"), None);
        assert_eq!(set("OFF"), None);
        for bad in ["", "s", "5sec", "-1s", "1.5s", "5s'; DROP TABLE x; --"] {
            assert!(LockTimeout::parse(bad).is_err(), "{bad:?}");
        }
    }
}
