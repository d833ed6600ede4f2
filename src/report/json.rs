//! The report as JSON for scripts: the whole [`DrillReport`] plus the two things every script
//! asks first (did it pass, how many of each result), so none has to recompute them.

use serde::Serialize;

use crate::drill::outcome::{DrillReport, ResultCounts};

/// The version of the drill's JSON report (`format_version`, its first key). It goes up when
/// a field is renamed or removed, or comes to mean something else; never when one is added,
/// so a script should ignore keys it does not know. Version 1 is the first that carries it
/// (durations in fields ending `_ms`, names unquoted with their schema beside them).
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: u32,
    passed: bool,
    counts: ResultCounts,
    report: &'a DrillReport,
}

pub(super) fn render(report: &DrillReport) -> String {
    let wrapper = JsonReport {
        format_version: FORMAT_VERSION,
        passed: report.passed(),
        counts: report.counts(),
        report,
    };
    // Only strings, numbers, booleans and string-keyed structs: serialising cannot fail.
    let mut json = serde_json::to_string_pretty(&wrapper).expect("a drill report serialises");
    json.push('\n');
    json
}
