//! A committed undo is drilled with its own claims: the verdict and warnings its header gives
//! (what its reviewers read), not what a fresh generation would claim today. One generated
//! from another version of its forward file is reported as stale.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{arg, Sandbox};

const INIT: &str = "CREATE TABLE \"User\" (\"id\" INTEGER NOT NULL, CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\"));\n";
const ADD_BIO: &str = "ALTER TABLE \"User\" ADD COLUMN \"bio\" TEXT;\n";

/// A history of init and add_bio, with the undo of add_bio generated and committed.
fn history_with_committed_undo(sandbox: &Sandbox) -> (PathBuf, PathBuf) {
    let dir = sandbox.history(&[
        ("20260101000000_init", INIT),
        ("20260102000000_add_bio", ADD_BIO),
    ]);
    let run = sandbox.output(&["generate", arg(&dir), "--last", "1"]);
    assert_eq!(run.code, 0, "{run}");
    let undo = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("_undo_add_bio"))
        .unwrap()
        .join("migration.sql");
    (dir, undo)
}

fn drill_json(sandbox: &Sandbox, dir: &Path) -> serde_json::Value {
    let run = sandbox.output(&["drill", arg(dir), "--format", "json", "--jobs", "1"]);
    let json = run.json();
    json["report"]["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "20260102000000_add_bio")
        .unwrap()
        .clone()
}

#[test]
fn a_committed_undo_is_reported_with_the_claims_of_its_own_header() {
    let sandbox = Sandbox::new();
    let (dir, undo) = history_with_committed_undo(&sandbox);
    let fresh = drill_json(&sandbox, &dir);
    assert_eq!(fresh["claimed"], "lossy", "{fresh}");
    assert_eq!(fresh["undo_source"]["kind"], "committed", "{fresh}");
    assert!(fresh["undo_source"].get("stale").is_none(), "{fresh}");

    // A reviewer's copy that claims more than it should: the drill reports what it claims.
    let sql = fs::read_to_string(&undo).unwrap();
    let edited: String = sql
        .lines()
        .map(|l| match l {
            l if l.starts_with("-- verdict: ") => "-- verdict: exact (1 exact, 0 lossy, 0 manual)",
            l if l.starts_with("--   line ") => "--",
            l => l,
        })
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&undo, edited).unwrap();
    let drilled = drill_json(&sandbox, &dir);
    assert_eq!(drilled["claimed"], "exact", "{drilled}");
    assert_eq!(drilled["reasons"].as_array().unwrap().len(), 0, "{drilled}");
}

#[test]
fn a_committed_undo_of_another_version_of_its_forward_is_stale() {
    let sandbox = Sandbox::new();
    let (dir, _) = history_with_committed_undo(&sandbox);
    let forward = dir.join("20260102000000_add_bio/migration.sql");
    fs::write(&forward, format!("-- reworded\n{ADD_BIO}")).unwrap();
    let drilled = drill_json(&sandbox, &dir);
    let stale = &drilled["undo_source"]["stale"];
    assert!(stale["header"].is_string(), "{drilled}");
    assert_ne!(stale["header"], stale["file"], "{drilled}");
    let human = sandbox.output(&["drill", arg(&dir), "--jobs", "1"]);
    assert!(human.stdout.contains("(stale)"), "{human}");
    assert!(
        human.stdout.contains("stale: the forward file changed"),
        "{human}"
    );
}
