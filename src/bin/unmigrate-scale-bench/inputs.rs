//! The synthetic inputs: Prisma histories of many small migrations, and histories of one
//! large migration file. Every statement is valid PostgreSQL that applies in order, so the
//! same inputs serve generate, explain and the drill.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// What one input is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Many migrations cycling through tables, columns, indexes, enums, renames, foreign
    /// keys and type changes; the number is the count of migrations.
    History(usize),
    /// One migration: a table, then one-row `INSERT`s up to this many bytes.
    Inserts(usize),
    /// One migration: a table, then `ADD COLUMN`s on it up to this many bytes (generate and
    /// explain only: PostgreSQL allows at most 1,600 columns in a table).
    AddColumns(usize),
}

impl Shape {
    /// The label in the table: what it is and how big.
    pub fn label(self) -> String {
        match self {
            Shape::History(n) => format!("history of {n} migrations"),
            Shape::Inserts(bytes) => format!("INSERT file {}", size_label(bytes)),
            Shape::AddColumns(bytes) => format!("ADD COLUMN file {}", size_label(bytes)),
        }
    }

    /// The size a growth ratio compares: migrations for a history, bytes for a file.
    pub fn size(self) -> usize {
        match self {
            Shape::History(n) => n,
            Shape::Inserts(bytes) | Shape::AddColumns(bytes) => bytes,
        }
    }

    /// The family of the shape: inputs of one family are compared with each other.
    pub fn family(self) -> &'static str {
        match self {
            Shape::History(_) => "history",
            Shape::Inserts(_) => "INSERT file",
            Shape::AddColumns(_) => "ADD COLUMN file",
        }
    }
}

fn size_label(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MB", bytes >> 20)
    } else {
        format!("{} KB", bytes >> 10)
    }
}

/// Writes the input as a Prisma migrations folder at `dir`; returns the bytes of SQL in it.
pub fn write(shape: Shape, dir: &Path) -> std::io::Result<usize> {
    fs::create_dir_all(dir)?;
    fs::write(
        dir.join("migration_lock.toml"),
        "provider = \"postgresql\"\n",
    )?;
    let migrations = match shape {
        Shape::History(n) => (0..n).map(history_migration).collect(),
        Shape::Inserts(bytes) => vec![inserts(bytes)],
        Shape::AddColumns(bytes) => vec![add_columns(bytes)],
    };
    let mut total = 0;
    for (i, sql) in migrations.iter().enumerate() {
        let folder = dir.join(format!("{}_m{i}", timestamp(i)));
        fs::create_dir_all(&folder)?;
        fs::write(folder.join("migration.sql"), sql)?;
        total += sql.len();
    }
    Ok(total)
}

/// A folder timestamp `i` seconds after 2020-01-01 00:00:00 (inputs stay within a day).
fn timestamp(i: usize) -> String {
    format!("20200101{:02}{:02}{:02}", i / 3600, i / 60 % 60, i % 60)
}

/// Migrations come in cycles of this many, each cycle building and reshaping one table.
const CYCLE: usize = 9;

/// Migration `i` of a synthetic history, in the style Prisma writes.
fn history_migration(i: usize) -> String {
    let k = i / CYCLE;
    let t = format!("t{k}");
    match i % CYCLE {
        0 => format!(
            "-- CreateTable\nCREATE TABLE \"{t}\" (\n    \"id\" SERIAL NOT NULL,\n    \"name\" TEXT NOT NULL,\n    \"parent\" INTEGER,\n    \"createdAt\" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,\n\n    CONSTRAINT \"{t}_pkey\" PRIMARY KEY (\"id\")\n);\n"
        ),
        1 => format!("-- AlterTable\nALTER TABLE \"{t}\" ADD COLUMN     \"note\" TEXT;\n"),
        2 => format!("-- CreateIndex\nCREATE INDEX \"{t}_name_idx\" ON \"{t}\"(\"name\");\n"),
        3 => format!(
            "-- CreateEnum\nCREATE TYPE \"E{k}\" AS ENUM ('A', 'B');\n\n-- AlterTable\nALTER TABLE \"{t}\" ADD COLUMN     \"kind\" \"E{k}\" NOT NULL DEFAULT 'A';\n"
        ),
        4 => format!("-- AlterEnum\nALTER TYPE \"E{k}\" ADD VALUE 'C';\n"),
        5 => format!("-- AlterTable\nALTER TABLE \"{t}\" RENAME COLUMN \"note\" TO \"remark\";\n"),
        6 => {
            // The first table refers to itself; later ones to the table of the cycle before.
            let target = if k == 0 { t.clone() } else { format!("r{}", k - 1) };
            format!(
                "-- AddForeignKey\nALTER TABLE \"{t}\" ADD CONSTRAINT \"{t}_parent_fkey\" FOREIGN KEY (\"parent\") REFERENCES \"{target}\"(\"id\") ON DELETE SET NULL ON UPDATE CASCADE;\n"
            )
        }
        7 => format!(
            "-- AlterTable\nALTER TABLE \"{t}\" ALTER COLUMN \"name\" SET DATA TYPE VARCHAR(200);\n"
        ),
        _ => format!("-- RenameTable\nALTER TABLE \"{t}\" RENAME TO \"r{k}\";\n"),
    }
}

/// A file of `bytes` or a little more: a table created, then statement `line(i)` for i = 1, 2, …
fn growing(bytes: usize, create: &str, line: impl Fn(usize) -> String) -> String {
    let mut sql = String::with_capacity(bytes + 256);
    sql.push_str(create);
    for i in 1.. {
        if sql.len() >= bytes {
            break;
        }
        let _ = writeln!(sql, "{}", line(i));
    }
    sql
}

fn inserts(bytes: usize) -> String {
    growing(
        bytes,
        "-- CreateTable\nCREATE TABLE \"Item\" (\n    \"id\" INTEGER NOT NULL,\n    \"name\" TEXT NOT NULL,\n    \"price\" DECIMAL(10,2) NOT NULL,\n\n    CONSTRAINT \"Item_pkey\" PRIMARY KEY (\"id\")\n);\n\n",
        |i| format!(
            "INSERT INTO \"Item\" (\"id\", \"name\", \"price\") VALUES ({i}, 'item number {i}', {}.{:02});",
            i % 1000,
            i % 100
        ),
    )
}

fn add_columns(bytes: usize) -> String {
    growing(
        bytes,
        "-- CreateTable\nCREATE TABLE \"Wide\" (\n    \"id\" INTEGER NOT NULL\n);\n\n",
        |i| format!("ALTER TABLE \"Wide\" ADD COLUMN \"column_{i}\" TEXT NOT NULL DEFAULT 'x';"),
    )
}
