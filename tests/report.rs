//! Drill reports rendered from a report built by hand: one migration for every kind of result,
//! snapshotted per format into the top-level `snapshots/` as `report__<format>.snap`.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Duration;

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

use unmigrate::drill::outcome::{
    ApplyFailure, CheckReport, DrillReport, DrillResult, Expectation, FinalCheck, MigrationDrill,
    Phase, PhaseReport, PhaseStatus, Prefix, ServerChange, UndoSource,
};
use unmigrate::drill::outcome::{LockTaken, StatementTrace};
use unmigrate::drill::UndoChoice;
use unmigrate::migrations::{ApplyMode, Layout};
use unmigrate::report::{render, render_at, Detail, ReportFormat};
use unmigrate::snapshot::{ObjectDiff, SchemaDiff, Tracking};
use unmigrate::undo::{Reason, Verdict};

fn ms(millis: f64) -> Duration {
    Duration::from_secs_f64(millis / 1e3)
}

/// Each phase takes its own time, so a timing shown under the wrong phase stands out.
fn phase(phase: Phase, status: PhaseStatus) -> PhaseReport {
    let (apply, compare) = match phase {
        Phase::Forward => (12.4, 3.1),
        Phase::Undo => (8.0, 2.9),
        Phase::Reapply => (11.7, 3.3),
    };
    PhaseReport {
        phase,
        apply: ms(apply),
        compare: ms(compare),
        status,
        statements: Vec::new(),
    }
}

fn lock(relation: &str, kind: &'static str, mode: &str) -> LockTaken {
    LockTaken {
        relation: relation.to_string(),
        kind,
        mode: mode.to_string(),
        created: false,
    }
}

/// A traced statement; `locks`, `rewrote` and `scanned` as the trace would find them.
fn traced(line: usize, statement: &str, millis: f64, locks: Vec<LockTaken>) -> StatementTrace {
    StatementTrace {
        line,
        statement: statement.to_string(),
        duration: ms(millis),
        in_transaction: true,
        earlier_in_transaction: line - 1,
        locks,
        rewrote: Vec::new(),
        scanned: Vec::new(),
        failed: false,
        probe: None,
    }
}

fn reason(line: usize, verdict: Verdict, text: &str) -> Reason {
    Reason {
        line,
        verdict,
        text: text.to_string(),
    }
}

fn passed_phases() -> Vec<PhaseReport> {
    Phase::ALL
        .iter()
        .map(|&p| phase(p, PhaseStatus::Passed))
        .collect()
}

fn migration(name: &str, claimed: Verdict, result: DrillResult) -> MigrationDrill {
    MigrationDrill {
        name: name.to_string(),
        undo_source: UndoSource::Generated,
        claimed,
        reasons: Vec::new(),
        result,
        phases: Vec::new(),
        checks: Vec::new(),
        mode_differences: Vec::new(),
        data: None,
        down_verdict: None,
    }
}

fn user_table(columns: &[&str]) -> String {
    let mut text = "table public.\"User\"\n".to_string();
    for column in columns {
        text.push_str(&format!("  column {column}\n"));
    }
    text
}

fn passing() -> MigrationDrill {
    MigrationDrill {
        phases: passed_phases(),
        ..migration("20240101000000_init", Verdict::Exact, DrillResult::Passed)
    }
}

/// `DROP COLUMN bio`: the undo re-adds it at the end of the table, as the verdict announces.
fn column_order_only() -> MigrationDrill {
    let name = "20240102000000_drop_bio";
    let diff = SchemaDiff {
        expected_label: format!("before {name}"),
        actual_label: format!("after undo of {name}"),
        objects: vec![ObjectDiff {
            key: "table public.\"User\"".to_string(),
            expected: Some(user_table(&["id integer", "bio text", "email text"])),
            actual: Some(user_table(&["id integer", "email text", "bio text"])),
            column_order_only: true,
        }],
    };
    let mut phases = passed_phases();
    phases[1].status = PhaseStatus::ColumnOrderOnly {
        diff,
        announced: true,
    };
    // Traced: the drop, then a type change that rewrites the table; the undo re-adds it.
    phases[0].statements = vec![
        traced(
            1,
            "ALTER TABLE \"User\" DROP COLUMN \"bio\"",
            1.2,
            vec![
                lock("\"User\"", "table", "AccessExclusiveLock"),
                lock("\"User_pkey\"", "index", "AccessExclusiveLock"),
            ],
        ),
        StatementTrace {
            rewrote: vec!["\"User\"".to_string(), "\"User_pkey\"".to_string()],
            scanned: vec!["\"User\"".to_string()],
            ..traced(
                2,
                "ALTER TABLE \"User\" ALTER COLUMN \"id\" TYPE BIGINT",
                7.5,
                Vec::new(),
            )
        },
    ];
    phases[1].statements = vec![traced(
        1,
        "ALTER TABLE \"User\" ADD COLUMN \"bio\" TEXT",
        0.4,
        vec![lock("\"User\"", "table", "AccessExclusiveLock")],
    )];
    MigrationDrill {
        undo_source: UndoSource::Committed {
            folders: vec!["20240102000001_undo_drop_bio".to_string()],
            stale: None,
        },
        reasons: vec![reason(
            1,
            Verdict::Lossy,
            "dropping column \"bio\" loses its data; it comes back empty, at the end of the table",
        )],
        phases,
        ..migration(name, Verdict::Lossy, DrillResult::PassedColumnOrderOnly)
    }
}

fn manual() -> MigrationDrill {
    MigrationDrill {
        reasons: vec![reason(
            1,
            Verdict::Manual,
            "DROP TABLE \"Legacy\": the table was created outside the history",
        )],
        phases: vec![phase(Phase::Forward, PhaseStatus::Passed)],
        ..migration(
            "20240103000000_drop_legacy",
            Verdict::Manual,
            DrillResult::Manual,
        )
    }
}

/// A rename whose undo forgot the unique index, and a check that notices the column is gone.
fn mismatch_and_failed_check() -> MigrationDrill {
    let name = "20240104000000_rename_email";
    let diff = SchemaDiff {
        expected_label: format!("before {name}"),
        actual_label: format!("after undo of {name}"),
        objects: vec![
            ObjectDiff {
                key: "index public.\"User_email_key\"".to_string(),
                expected: Some(
                    "index public.\"User_email_key\"\n  unique btree (email)\n".to_string(),
                ),
                actual: None,
                column_order_only: false,
            },
            ObjectDiff {
                key: "table public.\"User\"".to_string(),
                expected: Some(user_table(&["id integer", "email text", "bio text"])),
                actual: Some(user_table(&["id integer", "mail text", "bio text"])),
                column_order_only: false,
            },
        ],
    };
    let mut phases = passed_phases();
    phases[1].status = PhaseStatus::Mismatch { diff };
    phases.truncate(2);
    MigrationDrill {
        phases,
        checks: vec![
            CheckReport {
                name: "users readable".to_string(),
                after: Phase::Undo,
                expect: Expectation::Succeed,
                passed: false,
                detail: Some(
                    "ERROR 42703: column \"email\" does not exist\nHINT: Perhaps you meant to \
                     reference the column \"User.mail\"."
                        .to_string(),
                ),
            },
            CheckReport {
                name: "negative <amounts> & blanks rejected".to_string(),
                after: Phase::Forward,
                expect: Expectation::Fail,
                passed: true,
                detail: None,
            },
        ],
        ..migration(name, Verdict::Exact, DrillResult::Failed)
    }
}

/// `CREATE INDEX CONCURRENTLY` beside other statements: fine split, rejected in a batch.
fn apply_error() -> MigrationDrill {
    let name = "20240105000000_index_email";
    let mut phases = passed_phases();
    phases[2].status = PhaseStatus::Error(ApplyFailure {
        file: format!("{name}/migration.sql"),
        code: Some("25001".to_string()),
        constraint: None,
        message: "CREATE INDEX CONCURRENTLY cannot run inside a transaction block".to_string(),
        line: Some(3),
        effect: "rolled back".to_string(),
    });
    MigrationDrill {
        phases,
        mode_differences: vec![
            "line 3: CREATE INDEX CONCURRENTLY fails in a batch (one implicit transaction) and \
             runs in split mode"
                .to_string(),
        ],
        ..migration(name, Verdict::Exact, DrillResult::Failed)
    }
}

fn not_run() -> MigrationDrill {
    migration(
        "20240106000000_add_orders",
        Verdict::Exact,
        DrillResult::NotRun,
    )
}

fn sample_report() -> DrillReport {
    DrillReport {
        script: Some(PathBuf::from("drills/release.toml")),
        migrations_dir: PathBuf::from("prisma/migrations"),
        layout: Layout::Prisma,
        undo: UndoChoice::Committed,
        apply_mode: ApplyMode::Batch,
        database: "embedded PostgreSQL 15.18".to_string(),
        server_version: "15.18".to_string(),
        time_zone: "America/St_Johns".to_string(),
        startup: Some(Duration::from_millis(1234)),
        prefix: Prefix {
            migrations: 12,
            duration: ms(340.0),
        },
        migrations: vec![
            passing(),
            column_order_only(),
            manual(),
            mismatch_and_failed_check(),
            apply_error(),
            not_run(),
        ],
        undo_steps: vec!["20240102000001_undo_drop_bio".to_string()],
        tracking: Tracking::Incremental,
        final_check: Some(FinalCheck {
            passed: false,
            diff: Some(SchemaDiff {
                expected_label: "phase by phase".to_string(),
                actual_label: "full snapshot".to_string(),
                objects: vec![ObjectDiff {
                    key: "sequence public.\"User_id_seq\"".to_string(),
                    expected: Some("sequence public.\"User_id_seq\"\n  owned by id\n".to_string()),
                    actual: Some("sequence public.\"User_id_seq\"\n  owned by none\n".to_string()),
                    column_order_only: false,
                }],
            }),
        }),
        stopped: Some("2 migrations failed (--max-failures 2)".to_string()),
        server_changes: Vec::new(),
        unseen: Vec::new(),
        rebuilt: Vec::new(),
        total: Duration::from_millis(5432),
    }
}

fn assert_report_snapshot(name: &str, text: String) {
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn human() {
    let text = render(&sample_report(), ReportFormat::Human, false);
    assert_report_snapshot("report__human", text);
}

/// `drill --quiet`: the failed migrations with their failures, the summary line, the final
/// check (failed here), why the drill stopped and the verdict.
#[test]
fn human_quiet() {
    let text = render_at(&sample_report(), ReportFormat::Human, false, Detail::Quiet);
    assert_report_snapshot("report__human_quiet", text);
}

/// `drill --verbose`: every note, the lossy ones too.
#[test]
fn human_verbose() {
    let text = render_at(
        &sample_report(),
        ReportFormat::Human,
        false,
        Detail::Verbose,
    );
    assert_report_snapshot("report__human_verbose", text);
}

#[test]
fn lossy_notes_are_counted_by_default_and_manual_steps_shown_whole() {
    let mut report = sample_report();
    report.migrations = vec![MigrationDrill {
        reasons: vec![
            reason(2, Verdict::Lossy, "drops column \"a\": its values are lost"),
            reason(
                3,
                Verdict::Manual,
                "UPDATE changes rows: write their undo by hand",
            ),
            reason(4, Verdict::Lossy, "drops column \"b\": its values are lost"),
        ],
        phases: vec![phase(Phase::Forward, PhaseStatus::Passed)],
        ..migration("20240103000000_mixed", Verdict::Manual, DrillResult::Manual)
    }];
    let at = |detail| render_at(&report, ReportFormat::Human, false, detail);
    let (quiet, normal, verbose) = (at(Detail::Quiet), at(Detail::Normal), at(Detail::Verbose));
    let manual = "    line 3 manual: UPDATE changes rows: write their undo by hand\n";
    let lossy = [
        "    line 2 lossy: drops column \"a\": its values are lost\n",
        "    line 4 lossy: drops column \"b\": its values are lost\n",
    ];
    assert!(normal.contains(manual), "{normal}");
    assert!(
        normal.contains(&format!(
            "{manual}    2 lossy notes; --verbose shows them\n"
        )),
        "{normal}"
    );
    assert!(lossy.iter().all(|l| !normal.contains(l)), "{normal}");
    assert!(
        verbose.contains(manual) && lossy.iter().all(|l| verbose.contains(l)),
        "{verbose}"
    );
    assert!(!verbose.contains("lossy notes"), "{verbose}");
    assert!(
        !quiet.contains("20240103000000_mixed"),
        "not a failure: {quiet}"
    );
    assert!(!quiet.contains("line 3"), "{quiet}");
    // The other formats carry every note at every level.
    for format in [
        ReportFormat::Json,
        ReportFormat::Junit,
        ReportFormat::Markdown,
    ] {
        let whole = render(&report, format, false);
        assert!(
            whole.contains("drops column") && whole.contains("UPDATE"),
            "{format:?}: {whole}"
        );
        assert_eq!(
            render_at(&report, format, false, Detail::Quiet),
            whole,
            "{format:?}"
        );
    }
}

#[test]
fn markdown() {
    let text = render(&sample_report(), ReportFormat::Markdown, false);
    assert_report_snapshot("report__markdown", text);
}

#[test]
fn junit() {
    let text = render(&sample_report(), ReportFormat::Junit, false);
    assert_report_snapshot("report__junit", text);
}

#[test]
fn colour_only_when_asked() {
    let report = sample_report();
    let escape = "\x1b[";
    // Only the human report carries colour, and only when asked.
    for (format, coloured) in [
        (ReportFormat::Human, true),
        (ReportFormat::Json, false),
        (ReportFormat::Junit, false),
        (ReportFormat::Markdown, false),
    ] {
        assert!(
            !render(&report, format, false).contains(escape),
            "{format:?} without colour"
        );
        assert_eq!(
            render(&report, format, true).contains(escape),
            coloured,
            "{format:?} asked for colour"
        );
    }
}

#[test]
fn coloured_diff_marks_removed_added_and_hunks() {
    let text = render(&sample_report(), ReportFormat::Human, true);
    let red = anstyle::AnsiColor::Red.on_default().render().to_string();
    let green = anstyle::AnsiColor::Green.on_default().render().to_string();
    let cyan = anstyle::AnsiColor::Cyan.on_default().render().to_string();
    assert!(text.contains(&format!("{red}-  column email text")));
    assert!(text.contains(&format!("{green}+  column mail text")));
    assert!(text.contains(&format!("{cyan}@@ ")));
}

/// What a JUnit reader sees: test cases, failures and skips, counted from the parsed XML.
#[derive(Debug, Default, PartialEq)]
struct JunitCounts {
    declared: (usize, usize, usize),
    testcases: usize,
    failures: usize,
    skipped: usize,
}

fn parse_junit(xml: &str) -> JunitCounts {
    let mut reader = Reader::from_str(xml);
    let mut counts = JunitCounts::default();
    let mut open = Vec::new();
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let (element, is_start) = match &event {
            Event::Start(e) => (e.clone(), true),
            Event::Empty(e) => (e.clone(), false),
            Event::End(_) => {
                open.pop();
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = element.name().as_ref().to_string();
        let attribute = |key: &str| -> Option<String> {
            element.try_get_attribute(key).expect("attribute").map(|a| {
                a.normalized_value(XmlVersion::Explicit1_0)
                    .expect("unescaped")
                    .into_owned()
            })
        };
        match name.as_str() {
            "testsuite" => {
                let number = |key| attribute(key).expect(key).parse().expect("number");
                counts.declared = (number("tests"), number("failures"), number("skipped"));
            }
            "testcase" => {
                counts.testcases += 1;
                assert!(attribute("classname").is_some() && attribute("name").is_some());
            }
            "failure" => {
                counts.failures += 1;
                assert_eq!(open.last().map(String::as_str), Some("testcase"));
                assert!(attribute("message").is_some_and(|m| !m.is_empty()));
            }
            "skipped" => counts.skipped += 1,
            _ => {}
        }
        if is_start {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "unclosed elements: {open:?}");
    counts
}

#[test]
fn junit_is_well_formed_and_counts_match() {
    let xml = render(&sample_report(), ReportFormat::Junit, false);
    let counts = parse_junit(&xml);
    // init 3, drop_bio 3, drop_legacy forward + skipped undo, rename_email 2 + 2 checks,
    // index_email 3, add_orders skipped undo, final check, stopped.
    assert_eq!(counts.testcases, 3 + 3 + 2 + 4 + 3 + 1 + 1 + 1);
    // rename_email's undo and check, index_email's reapply, the final check, stopped.
    assert_eq!(counts.failures, 5);
    assert_eq!(counts.skipped, 2);
    assert_eq!(
        counts.declared,
        (counts.testcases, counts.failures, counts.skipped)
    );
}

#[test]
fn junit_escapes_awkward_text() {
    let mut report = sample_report();
    report.migrations[3].checks[0].name = "quotes \" ' and <tags> & \u{1} bell".to_string();
    report.migrations[3].checks[0].detail = Some("line one\n]]> <oops/> &amp;".to_string());
    let xml = render(&report, ReportFormat::Junit, false);
    let counts = parse_junit(&xml);
    assert_eq!(counts.failures, 5);
    assert!(xml.contains("]]&gt; &lt;oops/&gt; &amp;amp;"));
}

/// Which undo was drilled, and its lossy and manual notes, are in its test case's
/// `<system-out>`, where CI test views show them, escaped like any outside text.
#[test]
fn junit_carries_the_undo_notes_in_system_out() {
    let mut report = sample_report();
    report.migrations[1].reasons.push(reason(
        2,
        Verdict::Lossy,
        "values <over> 2^31 & \u{1} do not fit",
    ));
    let xml = render(&report, ReportFormat::Junit, false);
    parse_junit(&xml);
    let undo_case = xml
        .split("<testcase ")
        .find(|c| c.starts_with(r#"classname="20240102000000_drop_bio" name="undo""#))
        .expect("drop_bio's undo case");
    assert!(
        undo_case.contains(
            "<system-out>undo: committed 20240102000001_undo_drop_bio\n\
             undo notes (lossy or manual):\n\
             line 1 lossy: dropping column &quot;bio&quot; loses its data; it comes back empty, \
             at the end of the table\n\
             line 2 lossy: values &lt;over&gt; 2^31 &amp; \u{FFFD} do not fit\n\n\
             line 1, 0.4 ms: ACCESS EXCLUSIVE"
        ),
        "{undo_case}"
    );
    // A manual undo that was not drilled carries them beside its skip.
    let skipped = xml
        .split("<testcase ")
        .find(|c| c.starts_with(r#"classname="20240103000000_drop_legacy" name="undo""#))
        .expect("drop_legacy's undo case");
    assert!(
        skipped.contains("<skipped ")
            && skipped.contains(
                "<system-out>undo: generated\nundo notes (lossy or manual):\nline 1 manual: DROP"
            ),
        "{skipped}"
    );
}

#[test]
fn json_round_trips_with_summary() {
    let report = sample_report();
    let json = render(&report, ReportFormat::Json, false);
    let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(value["format_version"], 1);
    assert_eq!(value["passed"], serde_json::Value::Bool(false));
    assert_eq!(value["counts"]["passed"], 1);
    assert_eq!(value["counts"]["column_order_only"], 1);
    assert_eq!(value["counts"]["manual"], 1);
    assert_eq!(value["counts"]["failed"], 2);
    assert_eq!(value["counts"]["not_run"], 1);
    let migrations = value["report"]["migrations"]
        .as_array()
        .expect("migrations");
    assert_eq!(migrations.len(), report.migrations.len());
    assert_eq!(migrations[3]["phases"][1]["status"], "mismatch");
    assert!(migrations[3]["phases"][1]["diff"]["objects"].is_array());
    // Traced statements, in full: every lock with its relation kind, rewrites, scans.
    let forward = &migrations[1]["phases"][0];
    assert_eq!(forward["statements"][0]["locks"][1]["kind"], "index");
    assert_eq!(forward["statements"][1]["rewrote"][0], "\"User\"");
    assert_eq!(forward["statements"][1]["duration_ms"], 7.5);
    // Every duration says its unit in its name.
    assert_eq!(value["report"]["startup_ms"], 1234.0);
    assert!(value["report"]["total_ms"].is_f64());
    assert!(value["report"]["prefix"]["duration_ms"].is_f64());
    assert!(forward["apply_ms"].is_f64() && forward["compare_ms"].is_f64());
    for unitless in ["startup", "total", "apply", "compare", "duration"] {
        assert!(
            !json.contains(&format!("\"{unitless}\":")),
            "{unitless} without its unit: {json}"
        );
    }
    assert!(
        migrations[0]["phases"][0].get("statements").is_none(),
        "untraced phases carry no statements"
    );
}

#[test]
fn markdown_lists_only_non_passing_migrations_in_long_drills() {
    let mut report = sample_report();
    let passing_count = 60;
    let extra = (0..passing_count).map(|i| MigrationDrill {
        name: format!("20230101{i:06}_step"),
        ..passing()
    });
    report.migrations.splice(0..0, extra);
    let text = render(&report, ReportFormat::Markdown, false);
    // The rows of the migrations table, which ends at the first blank line.
    let rows = text
        .lines()
        .skip_while(|l| !l.starts_with("| migration | verdict |"))
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("| `"))
        .collect::<Vec<_>>();
    // manual, two failed, not run: the passing and column-order-only ones are counted only.
    assert_eq!(rows.len(), 4, "{rows:#?}");
    assert!(text.contains(&format!(
        "{} passed migrations are not listed.",
        passing_count + 2
    )));
}

/// Columns that moved without the verdict saying so fail the migration, and show their diff.
#[test]
fn unannounced_column_order_is_a_failure_with_its_diff() {
    let mut migration = column_order_only();
    migration.result = DrillResult::Failed;
    if let PhaseStatus::ColumnOrderOnly { announced, .. } = &mut migration.phases[1].status {
        *announced = false;
    }
    let report = DrillReport {
        migrations: vec![migration],
        final_check: None,
        stopped: None,
        ..sample_report()
    };
    let human = render(&report, ReportFormat::Human, false);
    assert!(human.contains("undo: columns in another order, which the verdict did not announce"));
    assert!(human.contains("table public.\"User\" (column order only):"));
    assert!(human.contains("+  column email text"), "{human}");
    assert_eq!(
        parse_junit(&render(&report, ReportFormat::Junit, false)).failures,
        1
    );
    // Announced, the same difference passes quietly.
    let announced = DrillReport {
        migrations: vec![column_order_only()],
        ..report
    };
    let human = render(&announced, ReportFormat::Human, false);
    assert!(!human.contains("(column order only):"));
    assert!(human.ends_with("Drill passed\n"));
}

/// Folder names and server errors come from outside: their escape sequences, BEL and line
/// breaks are shown, never acted on, and a Markdown table row stays one row.
#[test]
fn outside_text_is_escaped_in_human_and_markdown() {
    let hostile = "20240107000000_x\x1b]0;owned\x07\nrow | split";
    let mut failed = apply_error();
    failed.name = hostile.to_string();
    match &mut failed.phases[2].status {
        PhaseStatus::Error(error) => error.message = "boom \x1b[2J\x07 here".to_string(),
        other => panic!("{other:?}"),
    }
    let report = DrillReport {
        migrations: vec![passing(), failed],
        ..sample_report()
    };
    for (format, color) in [
        (ReportFormat::Human, false),
        (ReportFormat::Human, true),
        (ReportFormat::Markdown, false),
    ] {
        let text = render(&report, format, color);
        let ours = |c: char| c == '\n' || (color && c == '\x1b');
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| c.is_control() && !ours(c))
            .collect();
        assert!(raw.is_empty(), "{format:?}: {raw:?}\n{text}");
        assert!(
            !text.contains("\x1b]") && !text.contains("\x1b[2J"),
            "{text}"
        );
        assert!(
            text.contains("\\x1b]0;owned\\x07\\nrow"),
            "{format:?}\n{text}"
        );
        assert!(
            text.contains("boom \\x1b[2J\\x07 here"),
            "{format:?}\n{text}"
        );
    }
    let markdown = render(&report, ReportFormat::Markdown, false);
    let row = markdown
        .lines()
        .find(|l| l.starts_with("| `20240107000000_x"))
        .unwrap_or_else(|| panic!("no table row:\n{markdown}"));
    let cells = row.replace("\\|", "").matches('|').count();
    assert_eq!(cells, 6, "{row}");
}

#[test]
fn server_changes_and_unseen_statements_are_listed_in_every_format_without_failing() {
    let change = |line, what: &str, kind, changes| ServerChange {
        file: "prisma/migrations/2_roles/migration.sql".into(),
        line,
        what: what.into(),
        kind,
        changes,
    };
    let mut report = DrillReport {
        migrations: vec![passing()],
        stopped: None,
        final_check: None,
        ..sample_report()
    };
    report.server_changes = vec![change(2, "CREATE ROLE", "role", "roles, shared")];
    report.unseen = vec![change(5, "DO", "unseen", "cannot be known")];
    let listed = "prisma/migrations/2_roles/migration.sql:2: CREATE ROLE (roles, shared)";
    let unseen = "prisma/migrations/2_roles/migration.sql:5: DO (cannot be known)";
    for format in [
        ReportFormat::Human,
        ReportFormat::Markdown,
        ReportFormat::Junit,
    ] {
        let text = render(&report, format, false);
        assert!(
            text.contains(listed) && text.contains(unseen),
            "{format:?}:\n{text}"
        );
    }
    let xml = render(&report, ReportFormat::Junit, false);
    assert_eq!(parse_junit(&xml).failures, 0, "listed, not failed:\n{xml}");
    let json: serde_json::Value =
        serde_json::from_str(&render(&report, ReportFormat::Json, false)).unwrap();
    assert_eq!(json["report"]["server_changes"][0]["kind"], "role");
    assert_eq!(json["report"]["server_changes"][0]["line"], 2);
    assert_eq!(json["report"]["unseen"][0]["what"], "DO");
}
