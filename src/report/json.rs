//! The report as JSON for scripts: the whole [`DrillReport`] plus the two things every script
//! asks first (did it pass, how many of each result), so none has to recompute them.

use serde::Serialize;

use crate::drill::outcome::{DrillReport, ResultCounts};

#[derive(Serialize)]
struct JsonReport<'a> {
    passed: bool,
    counts: ResultCounts,
    report: &'a DrillReport,
}

pub(super) fn render(report: &DrillReport) -> String {
    let wrapper = JsonReport {
        passed: report.passed(),
        counts: report.counts(),
        report,
    };
    // Only strings, numbers, booleans and string-keyed structs: serialising cannot fail.
    let mut json = serde_json::to_string_pretty(&wrapper).expect("a drill report serialises");
    json.push('\n');
    json
}
