use super::*;
use crate::migrations::{read_history, undo_header};
use std::collections::BTreeSet;

fn undo(name: &str, source: &str, body: &str) -> NewFolder {
    NewFolder {
        name: name.to_string(),
        sql: format!("{}\n{body}", undo_header(source)),
    }
}

fn listing(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Writes one folder, which must succeed.
#[track_caller]
fn write_one(migrations: &Path, folder: &NewFolder, overwrite: Overwrite) {
    write_folders(migrations, std::slice::from_ref(folder), overwrite).unwrap();
}

/// The project dir holds nothing but `migrations/`: the writer left nothing beside it.
#[track_caller]
fn assert_no_leftovers(project: &Path) {
    assert_eq!(listing(project), BTreeSet::from(["migrations".to_string()]));
}

/// A project dir with `migrations/` holding one forward migration; returns (tmp, migrations).
fn project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let migrations = tmp.path().join("migrations");
    fs::create_dir_all(migrations.join("20240101000000_init")).unwrap();
    fs::write(
        migrations.join("20240101000000_init/migration.sql"),
        "CREATE TABLE a();\n",
    )
    .unwrap();
    (tmp, migrations)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

#[test]
fn writes_folders_without_bom_and_leaves_no_stray_dirs() {
    let (tmp, migrations) = project();
    let folders = [
        undo(
            "20240201000000_undo_init",
            "20240101000000_init",
            "COMMENT ON TABLE a IS 'x\r\ny';\n",
        ),
        NewFolder {
            name: "20240201000001_undo_init".into(),
            sql: format!("\u{feff}{}\nSELECT 1;\n", undo_header("x")),
        },
    ];
    let paths = write_folders(&migrations, &folders, Overwrite::Never).unwrap();
    assert_eq!(
        paths,
        [
            migrations.join("20240201000000_undo_init"),
            migrations.join("20240201000001_undo_init")
        ]
    );
    assert_eq!(
        read(&paths[0].join(MIGRATION_SQL)),
        "-- unmigrate: undo of 20240101000000_init\nCOMMENT ON TABLE a IS 'x\r\ny';\n"
    );
    assert_eq!(
        read(&paths[1].join(MIGRATION_SQL)),
        "-- unmigrate: undo of x\nSELECT 1;\n"
    );
    assert_no_leftovers(tmp.path());
    assert_eq!(
        listing(&paths[0]),
        BTreeSet::from([MIGRATION_SQL.to_string()])
    );
    let h = read_history(&migrations).unwrap();
    assert_eq!(h.migrations.len(), 3);
    assert_eq!(
        h.migrations[1].undo_of.as_deref(),
        Some("20240101000000_init")
    );
}

#[test]
fn existing_target_is_an_error_and_nothing_is_written() {
    let (tmp, migrations) = project();
    let existing = undo("20240201000001_undo_b", "b", "SELECT 2;\n");
    write_one(&migrations, &existing, Overwrite::Never);
    let before = listing(&migrations);
    let folders = [undo("20240201000000_undo_a", "a", "SELECT 1;\n"), existing];
    let err = write_folders(&migrations, &folders, Overwrite::Never).unwrap_err();
    assert!(matches!(err, MigrationsError::TargetExists { .. }), "{err}");
    assert!(
        err.to_string().contains("20240201000001_undo_b") && err.to_string().contains("--force")
    );
    assert_eq!(listing(&migrations), before);
    assert_no_leftovers(tmp.path());
}

#[test]
fn force_replaces_only_unmigrate_folders() {
    let (tmp, migrations) = project();
    let old = undo("20240201000000_undo_init", "20240101000000_init", "OLD;\n");
    write_one(&migrations, &old, Overwrite::Never);
    let new = undo("20240201000000_undo_init", "20240101000000_init", "NEW;\n");
    write_one(&migrations, &new, Overwrite::DiscardEdits);
    assert!(read(&migrations.join("20240201000000_undo_init/migration.sql")).ends_with("NEW;\n"));

    let forward = undo("20240101000000_init", "whatever", "DROP TABLE a;\n");
    let err = write_folders(&migrations, &[forward], Overwrite::DiscardEdits).unwrap_err();
    assert!(matches!(err, MigrationsError::ForceRefused { .. }), "{err}");
    assert_eq!(
        read(&migrations.join("20240101000000_init/migration.sql")),
        "CREATE TABLE a();\n"
    );

    fs::write(migrations.join("20240201000000_undo_init/notes.md"), "mine").unwrap();
    let err = write_folders(&migrations, &[new], Overwrite::DiscardEdits).unwrap_err();
    assert!(err.to_string().contains("notes.md"), "{err}");
    assert_no_leftovers(tmp.path());
}

#[test]
fn force_keeps_hand_edits_unless_told_to_discard_them() {
    let (_tmp, migrations) = project();
    let name = "20240201000000_undo_init";
    let sealed = |body: &str| NewFolder {
        name: name.into(),
        sql: crate::migrations::seal(format!("{}\n{body}", undo_header("1_init"))),
    };
    let path = migrations.join(name).join(MIGRATION_SQL);
    write_folders(&migrations, &[sealed("OLD;\n")], Overwrite::Never).unwrap();
    write_folders(&migrations, &[sealed("NEW;\n")], Overwrite::Unedited).unwrap();
    assert!(read(&path).ends_with("NEW;\n"));

    let edited = format!("{}-- mine\n", read(&path));
    fs::write(&path, &edited).unwrap();
    let err = write_folders(&migrations, &[sealed("NEWER;\n")], Overwrite::Unedited).unwrap_err();
    assert!(matches!(err, MigrationsError::HandEdited { .. }), "{err}");
    assert!(err.to_string().contains(name) && err.to_string().contains("--discard-edits"));
    assert_eq!(read(&path), edited);
    write_folders(&migrations, &[sealed("NEWER;\n")], Overwrite::DiscardEdits).unwrap();
    assert!(read(&path).ends_with("NEWER;\n"));

    // Written before checksums: replaced only when it is what would be written now.
    let old = format!("{}\nNEWEST;\n", undo_header("1_init"));
    fs::write(&path, &old).unwrap();
    let err = write_folders(&migrations, &[sealed("OTHER;\n")], Overwrite::Unedited).unwrap_err();
    assert!(
        err.to_string()
            .contains("before unmigrate recorded checksums"),
        "{err}"
    );
    assert_eq!(read(&path), old);
    write_folders(&migrations, &[sealed("NEWEST;\n")], Overwrite::Unedited).unwrap();
    assert_eq!(read(&path), crate::migrations::seal(old.clone()));
}

#[test]
fn failed_second_rename_undoes_the_first_and_restores_replaced_folder() {
    let (tmp, migrations) = project();
    let old = undo("20240201000001_undo_b", "b", "OLD;\n");
    write_folders(&migrations, &[old], Overwrite::Never).unwrap();
    let before = listing(&migrations);
    let folders = [
        undo("20240201000000_undo_a", "a", "NEW A;\n"),
        undo("20240201000001_undo_b", "b", "NEW B;\n"),
        undo("20240201000002_undo_c", "c", "NEW C;\n"),
    ];
    // Renames: place a (0), move b aside (1), place b (2) ← fails.
    fault::RENAMES_BEFORE_FAILURE.with(|c| c.set(Some(2)));
    let err = write_folders(&migrations, &folders, Overwrite::DiscardEdits).unwrap_err();
    fault::RENAMES_BEFORE_FAILURE.with(|c| c.set(None));
    assert!(matches!(err, MigrationsError::Rename { .. }), "{err}");
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    assert_eq!(listing(&migrations), before);
    assert!(read(&migrations.join("20240201000001_undo_b/migration.sql")).ends_with("OLD;\n"));
    assert_no_leftovers(tmp.path());
}

#[test]
fn creates_missing_target_dir_but_not_missing_parents() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("migrations");
    write_folders(
        &target,
        &[undo("20240201000000_undo_a", "a", "")],
        Overwrite::Never,
    )
    .unwrap();
    assert_eq!(
        listing(&target),
        BTreeSet::from(["20240201000000_undo_a".to_string()])
    );
    let deep = tmp.path().join("no/such/migrations");
    let err = write_folders(
        &deep,
        &[undo("20240201000000_undo_a", "a", "")],
        Overwrite::Never,
    )
    .unwrap_err();
    assert!(
        matches!(err, MigrationsError::TargetParentMissing { .. }),
        "{err}"
    );
    assert_no_leftovers(tmp.path());
}

#[test]
fn rejects_bad_names_duplicates_and_missing_marker() {
    let (_tmp, migrations) = project();
    for name in ["", ".x", "a/b", "..", "a\\b", &"x".repeat(201)] {
        let err = write_folders(&migrations, &[undo(name, "a", "")], Overwrite::Never).unwrap_err();
        assert!(
            matches!(err, MigrationsError::InvalidFolderName { .. }),
            "{name}: {err}"
        );
    }
    let dup = [undo("1_a", "a", ""), undo("1_a", "a", "")];
    assert!(matches!(
        write_folders(&migrations, &dup, Overwrite::Never),
        Err(MigrationsError::DuplicateFolder { .. })
    ));
    let plain = NewFolder {
        name: "1_a".into(),
        sql: "SELECT 1;\n".into(),
    };
    assert!(matches!(
        write_folders(&migrations, &[plain], Overwrite::Never),
        Err(MigrationsError::MissingUndoMarker { .. })
    ));
}
