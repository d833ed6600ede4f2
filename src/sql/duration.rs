//! Durations the user gives for PostgreSQL time settings (`statement_timeout`,
//! `lock_timeout`), checked here once for every place that takes one: drill flags, the drill
//! script's `[timeouts]` and `generate --lock-timeout`. PostgreSQL reads a bare number as
//! milliseconds, so `--lock-timeout 5` would silently mean 5 ms: a unit is required (except
//! for 0, which means none). A checked value is a number and a unit, so it can be sent as a
//! quoted literal without surprises.

/// The units PostgreSQL accepts for time settings, case-sensitive as it reads them.
const UNITS: [&str; 6] = ["us", "ms", "s", "min", "h", "d"];

/// Checks `text` as a duration for a time setting: a non-negative number (a fraction allowed
/// when `fraction`), then a unit (`us`, `ms`, `s`, `min`, `h`, `d`), with optional spaces
/// between; `0` alone needs no unit. Returns it trimmed, or what is wrong with it and how to
/// write it.
pub fn parse(text: &str, fraction: bool) -> Result<String, String> {
    let value = text.trim();
    let number_end = value
        .find(|c: char| !(c.is_ascii_digit() || (fraction && c == '.')))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(number_end);
    let unit = unit.trim_start();
    let number_ok = number.parse::<f64>().is_ok();
    if number_ok && UNITS.contains(&unit) {
        return Ok(value.to_string());
    }
    let zero = number_ok && number.bytes().all(|b| b == b'0' || b == b'.');
    if zero && unit.is_empty() {
        return Ok(value.to_string());
    }
    let units = UNITS.join(", ");
    Err(if number_ok && unit.is_empty() {
        format!(
            "{value:?} has no unit, and PostgreSQL would read it as {value} milliseconds; write \
             {value}s or {value}ms (units: {units})"
        )
    } else if number_ok {
        match suggested_unit(unit) {
            Some(known) => format!(
                "{value:?} is not a PostgreSQL duration: the unit is {known}, not {unit:?} \
                 (write {number}{known})"
            ),
            None => format!(
                "{value:?} is not a PostgreSQL duration: {unit:?} is not one of its units \
                 ({units}); write, for example, {number}s"
            ),
        }
    } else {
        let number = if fraction {
            "a number"
        } else {
            "a whole number"
        };
        format!(
            "{value:?} is not a PostgreSQL duration: write {number} and a unit ({units}), \
             for example 30s"
        )
    })
}

/// The unit a misspelt one most likely means (`sec`, `S`, `minutes`, `mins`, `hours`).
fn suggested_unit(unit: &str) -> Option<&'static str> {
    let lower = unit.to_ascii_lowercase();
    let known = match lower.as_str() {
        "us" | "µs" | "usec" | "microsecond" | "microseconds" => "us",
        "ms" | "msec" | "millisecond" | "milliseconds" => "ms",
        "s" | "sec" | "secs" | "second" | "seconds" => "s",
        "m" | "min" | "mins" | "minute" | "minutes" => "min",
        "h" | "hr" | "hrs" | "hour" | "hours" => "h",
        "d" | "day" | "days" => "d",
        _ => return None,
    };
    Some(known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_a_unit_but_zero() {
        for ok in ["30s", "1.5min", "0", "250 ms", "2h", "1d", "500us", " 5s "] {
            assert!(parse(ok, true).is_ok(), "{ok}");
        }
        assert_eq!(parse(" 5s ", true).unwrap(), "5s");
        for bad in [
            "",
            "5",
            "100",
            "30 seconds",
            "-1s",
            "5S",
            "10x",
            "1s'; DROP TABLE x; --",
            ".",
        ] {
            assert!(parse(bad, true).is_err(), "{bad:?}");
        }
        assert!(parse("1.5s", false).is_err());
    }

    #[test]
    fn errors_say_how_to_write_it() {
        let bare = parse("5", true).unwrap_err();
        assert!(bare.contains("5 milliseconds; write 5s or 5ms"), "{bare}");
        let misspelt = parse("30 seconds", true).unwrap_err();
        assert!(
            misspelt.contains("the unit is s, not \"seconds\""),
            "{misspelt}"
        );
        assert!(misspelt.contains("write 30s"), "{misspelt}");
        let unknown = parse("10x", true).unwrap_err();
        assert!(
            unknown.contains("\"x\" is not one of its units"),
            "{unknown}"
        );
    }
}
