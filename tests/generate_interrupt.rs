//! `generate` writes all folders of one run or none, even when it is stopped while renaming
//! them into `migrations/`: by Ctrl-C or SIGTERM (the run puts back what it did), or by
//! SIGKILL (the next run does).
//!
//! The rename phase is made long enough to hit with `UNMIGRATE_TEST_RENAME_PAUSE_MS`, a pause
//! before each rename that only slows the run down.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{arg, run_in, write_history};

const TS: &str = "20990101000000";
/// Forward migrations, so undo folders, of one run.
const FOLDERS: usize = 30;
/// 30 × 100 ms: three seconds of renames to land a signal in.
const PAUSE_MS: &str = "100";

struct Project {
    tmp: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let tmp = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..FOLDERS)
            .map(|i| format!("202401010000{i:02}_t{i}"))
            .collect();
        let sql: Vec<String> = (0..FOLDERS)
            .map(|i| format!("CREATE TABLE \"t{i}\" (\"id\" int);\n"))
            .collect();
        let history: Vec<(&str, &str)> = names
            .iter()
            .zip(&sql)
            .map(|(n, s)| (n.as_str(), s.as_str()))
            .collect();
        write_history(&tmp.path().join("migrations"), &history);
        Project { tmp }
    }

    fn migrations(&self) -> PathBuf {
        self.tmp.path().join("migrations")
    }

    fn undo_folders(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.migrations())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("_undo_"))
            .collect();
        names.sort();
        names
    }

    fn staging_dirs(&self) -> Vec<String> {
        fs::read_dir(self.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".unmigrate-"))
            .collect()
    }

    /// `generate --all`, slowed down, in the background.
    fn spawn_generate(&self) -> Child {
        Command::new(env!("CARGO_BIN_EXE_unmigrate"))
            .args(["generate", arg(&self.migrations()), "--all"])
            .args(["--timestamp", TS])
            .env("UNMIGRATE_TEST_RENAME_PAUSE_MS", PAUSE_MS)
            .current_dir(self.tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start unmigrate")
    }

    /// Waits until the run has renamed at least `count` folders into place.
    fn wait_for_renames(&self, child: &mut Child, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.undo_folders().len() < count {
            assert!(
                child.try_wait().unwrap().is_none(),
                "generate ended before renaming {count} folders"
            );
            assert!(Instant::now() < deadline, "no rename within 60 s");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// What a complete run writes.
    fn expected_folders(&self) -> Vec<String> {
        let run = run_in(
            self.tmp.path(),
            &[
                "generate",
                arg(&self.migrations()),
                "--all",
                "--timestamp",
                TS,
                "--dry-run",
            ],
        );
        assert_eq!(run.code, 0, "{run}");
        let mut names: Vec<String> = run
            .stdout
            .lines()
            .filter_map(|l| l.strip_prefix("== "))
            .map(|l| {
                let path = Path::new(l.split(" (dry run").next().unwrap());
                let folder = path.parent().unwrap().file_name().unwrap();
                folder.to_string_lossy().into_owned()
            })
            .collect();
        names.sort();
        assert_eq!(names.len(), FOLDERS, "{run}");
        names
    }
}

fn signal(child: &Child, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

#[test]
fn sigterm_or_ctrl_c_while_renaming_leaves_no_folder_and_no_staging_directory() {
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let p = Project::new();
        let mut child = p.spawn_generate();
        p.wait_for_renames(&mut child, 1);
        signal(&child, sig);
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let present = p.undo_folders();
        assert!(
            present.is_empty() || present.len() == FOLDERS,
            "signal {sig}: {} of {FOLDERS} folders left: {present:?}",
            present.len()
        );
        // Three seconds of renames were left when the signal came: the run put them back.
        assert!(present.is_empty(), "signal {sig}: {present:?}");
        assert_eq!(output.status.code(), Some(code), "signal {sig}: {stderr}");
        assert!(stderr.contains("nothing was changed"), "{stderr}");
        assert_eq!(p.staging_dirs(), Vec::<String>::new(), "signal {sig}");
    }
}

#[test]
fn the_run_after_a_sigkill_while_renaming_puts_things_back_and_succeeds() {
    let p = Project::new();
    let expected = p.expected_folders();
    let mut child = p.spawn_generate();
    p.wait_for_renames(&mut child, 2);
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    // What SIGKILL left: some folders in place, the rest in a staging directory.
    let left = p.undo_folders().len();
    assert!((2..FOLDERS).contains(&left), "{left}");
    assert_eq!(p.staging_dirs().len(), 1);

    // A dry run writes nothing, so it only says what it saw.
    let run = run_in(
        p.tmp.path(),
        &["generate", arg(&p.migrations()), "--last", "1", "--dry-run"],
    );
    assert!(run.stderr.contains("was killed while writing"), "{run}");
    assert_eq!(p.undo_folders().len(), left);
    assert_eq!(p.staging_dirs().len(), 1);

    let run = run_in(
        p.tmp.path(),
        &["generate", arg(&p.migrations()), "--all", "--timestamp", TS],
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("killed while writing"), "{run}");
    assert_eq!(p.undo_folders(), expected);
    assert_eq!(p.staging_dirs(), Vec::<String>::new());
}
