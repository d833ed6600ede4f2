//! The 14-digit UTC timestamps that prefix Prisma migration folders, and choosing new ones.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{History, MigrationsError};

/// A UTC moment with one-second resolution, shown as Prisma's folder prefix `YYYYMMDDhhmmss`.
///
/// Stored as seconds since the Unix epoch so that adding seconds rolls over minutes, days,
/// months and years correctly; always within years 0000–9999 so it prints as 14 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

const SECS_PER_DAY: i64 = 86_400;

/// The parts of a 14-digit number read as `YYYYMMDDhhmmss`, not yet validated.
struct Fields {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
}

impl Timestamp {
    /// The earliest and latest moments that print as 14 digits.
    const MIN: i64 = -62_167_219_200; // 0000-01-01 00:00:00
    const MAX: i64 = 253_402_300_799; // 9999-12-31 23:59:59

    /// Parses `YYYYMMDDhhmmss`, rejecting anything that is not a real UTC date and time.
    pub fn parse(input: &str) -> Result<Timestamp, MigrationsError> {
        let invalid = |reason: &str| MigrationsError::InvalidTimestamp {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if input.len() != 14 || !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("expected exactly 14 digits"));
        }
        let number = input.parse::<u64>().map_err(|_| invalid("not a number"))?;
        let f = Fields::from_number(number);
        f.validate().map_err(invalid)?;
        Ok(f.to_timestamp())
    }

    /// The current time, truncated to the second.
    ///
    /// A clock set before 1970 yields the epoch rather than failing: the result is only a
    /// starting point, and `choose_timestamps` still moves past every existing folder.
    pub fn now_utc() -> Timestamp {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Timestamp::from_unix_seconds(i64::try_from(secs).unwrap_or(Self::MAX))
            .unwrap_or(Timestamp(Self::MAX))
    }

    /// This moment plus `n` seconds; `None` past 9999-12-31 23:59:59 (no longer 14 digits).
    pub fn plus_seconds(self, n: u64) -> Option<Timestamp> {
        let n = i64::try_from(n).ok()?;
        Timestamp::from_unix_seconds(self.0.checked_add(n)?)
    }

    /// Builds a timestamp from seconds since 1970-01-01 00:00:00 UTC, if it prints as 14 digits.
    pub fn from_unix_seconds(secs: i64) -> Option<Timestamp> {
        (Self::MIN..=Self::MAX)
            .contains(&secs)
            .then_some(Timestamp(secs))
    }

    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The latest valid timestamp whose 14-digit form is at most `number`.
    ///
    /// Why: a folder prefix may be partial (`20250625_…` reads as 20250625999999) or not a
    /// real date; a new folder sorts after it exactly when its timestamp is later than this.
    fn floor_of(number: u64) -> Option<Timestamp> {
        let f = Fields::from_number(number);
        let month_start = |y, m| days_from_civil(y, m, 1) * SECS_PER_DAY;
        let secs = if f.month == 0 {
            month_start(f.year, 1) - 1
        } else if f.month > 12 {
            month_start(f.year + 1, 1) - 1
        } else if f.day == 0 {
            month_start(f.year, f.month) - 1
        } else if f.day > days_in_month(f.year, f.month) {
            month_start(f.year, f.month) + days_in_month(f.year, f.month) * SECS_PER_DAY - 1
        } else {
            let day_start = days_from_civil(f.year, f.month, f.day) * SECS_PER_DAY;
            day_start + f.clamped_seconds_of_day()
        };
        Timestamp::from_unix_seconds(secs)
    }
}

impl Fields {
    fn from_number(n: u64) -> Fields {
        let part = |div: u64, modulo: u64| ((n / div) % modulo) as i64;
        Fields {
            year: part(10_000_000_000, 10_000),
            month: part(100_000_000, 100),
            day: part(1_000_000, 100),
            hour: part(10_000, 100),
            minute: part(100, 100),
            second: part(1, 100),
        }
    }

    fn validate(&self) -> Result<(), &'static str> {
        if !(1..=12).contains(&self.month) {
            return Err("month must be 01-12");
        }
        if !(1..=days_in_month(self.year, self.month)).contains(&self.day) {
            return Err("no such day in that month");
        }
        if self.hour > 23 || self.minute > 59 || self.second > 59 {
            return Err("time must be 00:00:00-23:59:59");
        }
        Ok(())
    }

    fn to_timestamp(&self) -> Timestamp {
        let day = days_from_civil(self.year, self.month, self.day);
        Timestamp(day * SECS_PER_DAY + self.hour * 3600 + self.minute * 60 + self.second)
    }

    /// Seconds into the day, with out-of-range parts clamped to the last moment they allow.
    fn clamped_seconds_of_day(&self) -> i64 {
        if self.hour > 23 {
            SECS_PER_DAY - 1
        } else if self.minute > 59 {
            self.hour * 3600 + 3599
        } else {
            self.hour * 3600 + self.minute * 60 + self.second.min(59)
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(SECS_PER_DAY);
        let secs = self.0.rem_euclid(SECS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
        write!(f, "{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}")
    }
}

impl FromStr for Timestamp {
    type Err = MigrationsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

/// The latest moment a folder name's leading digits can stand for, or `None` if it has none.
///
/// Digits are cut to 14 and padded with 9s: `20250625_x` → latest moment of 2025-06-25.
/// A later 14-digit timestamp followed by `_` then sorts after the name in both Prisma
/// orders (byte order and `localeCompare`), because they differ within the digits.
/// `Some(None)` means the digits precede every valid timestamp (e.g. `000000_x`).
pub(crate) fn folder_timestamp(name: &str) -> Option<Option<Timestamp>> {
    let digits: String = name
        .chars()
        .take_while(char::is_ascii_digit)
        .take(14)
        .collect();
    if digits.is_empty() {
        return None;
    }
    let padded = format!("{digits:9<14}");
    Some(padded.parse::<u64>().ok().and_then(Timestamp::floor_of))
}

/// Picks `count` consecutive timestamps, one second apart, all later than every existing
/// folder's leading timestamp so that the new folders are applied last.
///
/// Without `requested` the first is the later of `now` and one second after the newest
/// folder (clocks differ between developers, and Prisma refuses nothing, so we must).
/// A `requested` start that is not later than every folder is an error naming the newer one.
pub fn choose_timestamps(
    history: &History,
    requested: Option<Timestamp>,
    now: Timestamp,
    count: usize,
) -> Result<Vec<Timestamp>, MigrationsError> {
    let newest = newest_folder(history)?;
    let start = match (requested, newest) {
        (Some(req), Some((last, folder))) if req <= last => {
            return Err(MigrationsError::TimestampTooOld {
                requested: req.to_string(),
                newer: folder.to_string(),
                newer_ts: last.to_string(),
            })
        }
        (Some(req), _) => req,
        (None, Some((last, _))) => now.max(last.plus_seconds(1).ok_or_else(|| overflow(last, 1))?),
        (None, None) => now,
    };
    (0..count)
        .map(|i| {
            start
                .plus_seconds(i as u64)
                .ok_or_else(|| overflow(start, count))
        })
        .collect()
}

fn overflow(start: Timestamp, count: usize) -> MigrationsError {
    MigrationsError::TimestampOverflow {
        start: start.to_string(),
        count,
    }
}

/// The folder with the latest leading timestamp, or an error if some folder has none
/// (a name starting with a letter sorts after every timestamped name in both orders).
fn newest_folder(history: &History) -> Result<Option<(Timestamp, &str)>, MigrationsError> {
    let mut newest: Option<(Timestamp, &str)> = None;
    for m in &history.migrations {
        let ts = folder_timestamp(&m.name).ok_or_else(|| MigrationsError::Unorderable {
            folder: m.name.clone(),
        })?;
        if let Some(ts) = ts {
            if newest.is_none_or(|(n, _)| ts > n) {
                newest = Some((ts, &m.name));
            }
        }
    }
    Ok(newest)
}

/// Whether `year` is a Gregorian leap year.
fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date: Howard Hinnant's `days_from_civil`
/// (<https://howardhinnant.github.io/date_algorithms.html>), to avoid a date-time dependency
/// for the one conversion we need.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`] (Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::Migration;
    use std::path::PathBuf;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn history(names: &[&str]) -> History {
        let migrations = names
            .iter()
            .map(|n| Migration {
                name: n.to_string(),
                sql_path: PathBuf::from(n).join("migration.sql").into(),
                sql: String::new(),
                checksum: Default::default(),
                undo_of: None,
                down: None,
                transaction: Default::default(),
            })
            .collect();
        History {
            dir: PathBuf::from("m"),
            migrations,
            layout: Default::default(),
        }
    }

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "19700101000000",
            "20240229120000",
            "00000101000000",
            "99991231235959",
        ] {
            assert_eq!(ts(s).to_string(), s);
        }
        assert_eq!(ts("19700101000001").unix_seconds(), 1);
        assert_eq!(ts("20000301000000").unix_seconds(), 951_868_800);
    }

    #[test]
    fn parse_rejects_unreal_dates_and_times() {
        for bad in [
            "20230229120000", // not a leap year
            "19000229000000", // century, not a leap year
            "20231301000000",
            "20230001000000",
            "20230100000000",
            "20230431000000",
            "20230101240000",
            "20230101006000",
            "20230101000060",
            "2023010100000",
            "202301010000000",
            "2023010100000a",
            "+2023010100000",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(Timestamp::parse("20000229000000").is_ok());
    }

    #[test]
    fn plus_seconds_rolls_over_minute_day_month_year() {
        for (before, after) in [
            ("20231231235959", "20240101000000"),
            ("20240228235959", "20240229000000"),
            ("20230228235959", "20230301000000"),
            ("20240430235959", "20240501000000"),
            ("20240101125959", "20240101130000"),
            ("20240101000059", "20240101000100"),
        ] {
            assert_eq!(ts(before).plus_seconds(1), Some(ts(after)), "{before}");
        }
        assert_eq!(ts("99991231235959").plus_seconds(1), None);
    }

    #[test]
    fn now_is_plausible() {
        assert!(Timestamp::now_utc() > ts("20250101000000"));
    }

    #[test]
    fn folder_timestamp_reads_partial_prefixes_as_their_latest_moment() {
        for (folder, latest) in [
            ("20240126184148_new_models copy", "20240126184148"),
            ("20250625_add_pivot", "20250625235959"),
            ("2024_x", "20241231235959"),
            ("20240230_x", "20240229235959"),
            ("202402011299_x", "20240201125959"),
            ("202401011234567_x", "20240101123456"),
            ("0000_x", "00001231235959"),
        ] {
            assert_eq!(folder_timestamp(folder), Some(Some(ts(latest))), "{folder}");
        }
        assert_eq!(folder_timestamp("000000_x"), Some(None));
        assert_eq!(folder_timestamp("init"), None);
    }

    #[test]
    fn default_start_is_after_newest_folder_even_if_clock_is_behind() {
        let h = history(&["20240101000000_a", "20231231235959_b"]);
        let got = choose_timestamps(&h, None, ts("20200101000000"), 2).unwrap();
        assert_eq!(got, [ts("20240101000001"), ts("20240101000002")]);
    }

    #[test]
    fn default_start_is_now_when_history_is_older() {
        let h = history(&["20240101000000_a"]);
        let now = ts("20250101000000");
        assert_eq!(choose_timestamps(&h, None, now, 1).unwrap(), [now]);
        assert_eq!(
            choose_timestamps(&history(&[]), None, now, 1).unwrap(),
            [now]
        );
    }

    #[test]
    fn count_consecutive_across_year_end() {
        let h = history(&["20231231235958_a"]);
        let got = choose_timestamps(&h, None, ts("20000101000000"), 3).unwrap();
        let got: Vec<String> = got.iter().map(ToString::to_string).collect();
        assert_eq!(got, ["20231231235959", "20240101000000", "20240101000001"]);
    }

    #[test]
    fn short_prefix_folder_pushes_past_its_whole_day() {
        let h = history(&["20250625_add_pivot_table_charttype"]);
        let got = choose_timestamps(&h, None, ts("20250625120000"), 1).unwrap();
        assert_eq!(got, [ts("20250626000000")]);
    }

    #[test]
    fn requested_must_be_strictly_newer() {
        let h = history(&["20240101000000_a", "20240102000000_b copy"]);
        let err =
            choose_timestamps(&h, Some(ts("20240102000000")), ts("20300101000000"), 1).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, MigrationsError::TimestampTooOld { .. }),
            "{msg}"
        );
        assert!(msg.contains("\"20240102000000_b copy\""), "{msg}");
        let ok =
            choose_timestamps(&h, Some(ts("20240102000001")), ts("20300101000000"), 2).unwrap();
        assert_eq!(ok, [ts("20240102000001"), ts("20240102000002")]);
    }

    #[test]
    fn folder_without_timestamp_is_unorderable() {
        let h = history(&["20240101000000_a", "init"]);
        let err = choose_timestamps(&h, None, ts("20300101000000"), 1).unwrap_err();
        assert!(matches!(err, MigrationsError::Unorderable { ref folder } if folder == "init"));
    }

    #[test]
    fn overflow_past_year_9999_is_an_error() {
        let h = history(&[]);
        let err = choose_timestamps(&h, Some(ts("99991231235959")), ts("20300101000000"), 2);
        assert!(matches!(
            err,
            Err(MigrationsError::TimestampOverflow { .. })
        ));
    }

    #[test]
    fn civil_conversion_round_trips_over_four_centuries() {
        for days in (-719_468..=2_932_896).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
