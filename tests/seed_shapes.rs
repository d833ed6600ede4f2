//! The seeder on the schemas real histories have (issue 14, items 2 and 3): CHECK constraints
//! of the common shapes are satisfied by construction, a one-to-one relation gets a parent
//! per child, a table created under a name another table was renamed away from is seeded,
//! single-row tables get their one row, keys that later migrations add are satisfied by the
//! rows seeded before them, and a table that cannot be seeded says which constraint defeated
//! the seeder.
//!
//! Each test seeds a real scratch database and reads the rows back: PostgreSQL accepting the
//! rows proves the constraint holds; the queries prove the rows use what the shape allows
//! (both columns of an exactly-one-of, several values of a list), not a degenerate answer.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

use postgres::Client;
use unmigrate::drill::script::Seed;
use unmigrate::drill::{self, DrillPlan};
use unmigrate::migrations::read_history;
use unmigrate::rows::{self, Fill, Hints, SeedOutcome, Tried};
use unmigrate::scratch::{Scratch, ScratchOptions, ScratchSource};

mod common;
use common::write_history;

const ROWS: u64 = 20;

/// A scratch database with `schema` applied, and a session to it.
fn database(schema: &str) -> (Scratch, Client) {
    let scratch = Scratch::open(ScratchSource::Embedded(ScratchOptions::default())).unwrap();
    let mut client = scratch.connect().unwrap();
    client.batch_execute(schema).unwrap();
    (scratch, client)
}

fn seed_all(client: &mut Client) -> SeedOutcome {
    rows::seed(client, ROWS, Fill::All, &Hints::default()).unwrap()
}

fn count(client: &mut Client, sql: &str) -> i64 {
    client
        .query_one(sql, &[])
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// Every table of `outcome` was seeded, `table` with `rows` rows.
fn assert_seeded(outcome: &SeedOutcome, table: &str, rows: u64) {
    assert!(outcome.failed.is_empty(), "{:#?}", outcome.failed);
    let seeded = outcome.seeded.iter().find(|s| s.table.name == table);
    assert_eq!(seeded.map(|s| s.rows), Some(rows), "{:#?}", outcome.seeded);
}

#[test]
fn exactly_one_of_in_each_spelling_sets_one_column_per_row() {
    let (_scratch, mut client) = database(
        "CREATE TABLE owner (id int PRIMARY KEY);
         CREATE TABLE a (id int PRIMARY KEY, user_id int REFERENCES owner, team_id int,
           CHECK (num_nonnulls(user_id, team_id) = 1));
         CREATE TABLE b (id int PRIMARY KEY, user_id int, team_id int,
           CHECK ((user_id IS NULL) <> (team_id IS NULL)));
         CREATE TABLE c (id int PRIMARY KEY, user_id int, team_id int, org_id int,
           CHECK ((user_id IS NOT NULL)::int + (team_id IS NOT NULL)::int
                  + (org_id IS NOT NULL)::int = 1));",
    );
    let outcome = seed_all(&mut client);
    let exactly_one = [
        ("a", "user_id, team_id"),
        ("b", "user_id, team_id"),
        ("c", "user_id, team_id, org_id"),
    ];
    for (table, columns) in exactly_one {
        assert_seeded(&outcome, table, ROWS);
        let sql = format!("SELECT count(*) FROM {table} WHERE num_nonnulls({columns}) <> 1");
        assert_eq!(count(&mut client, &sql), 0, "{table}");
        // Not always the same column.
        let sql = format!("SELECT count(DISTINCT user_id IS NULL) FROM {table}");
        assert_eq!(count(&mut client, &sql), 2, "{table}");
    }
}

#[test]
fn at_least_one_of_keeps_one_column_set() {
    let (_scratch, mut client) = database(
        "CREATE TABLE a (id int PRIMARY KEY, email text, phone text,
           CHECK (num_nonnulls(email, phone) >= 1));
         CREATE TABLE b (id int PRIMARY KEY, email text, phone text,
           CHECK (email IS NOT NULL OR phone IS NOT NULL));",
    );
    let outcome = seed_all(&mut client);
    for table in ["a", "b"] {
        assert_seeded(&outcome, table, ROWS);
        let sql = format!("SELECT count(*) FROM {table} WHERE email IS NULL AND phone IS NULL");
        assert_eq!(count(&mut client, &sql), 0, "{table}");
    }
}

#[test]
fn at_most_one_of_never_sets_both() {
    // As trigger.dev writes it (TaskSchedule_window_exclusive).
    let (_scratch, mut client) = database(
        r#"CREATE TABLE t (id int PRIMARY KEY, "windowDurationSeconds" int, "windowPercentage" int,
             CHECK ("windowDurationSeconds" IS NULL OR "windowPercentage" IS NULL));
           CREATE TABLE u (id int PRIMARY KEY, a int, b int, CHECK (num_nonnulls(a, b) <= 1));"#,
    );
    let outcome = seed_all(&mut client);
    assert_seeded(&outcome, "t", ROWS);
    assert_seeded(&outcome, "u", ROWS);
    let both = r#"SELECT count(*) FROM t WHERE "windowDurationSeconds" IS NOT NULL AND "windowPercentage" IS NOT NULL"#;
    assert_eq!(count(&mut client, both), 0);
    let used = r#"SELECT count(*) FROM t WHERE "windowPercentage" IS NOT NULL"#;
    assert!(count(&mut client, used) > 0);
}

#[test]
fn lists_take_their_values_in_turn() {
    let (_scratch, mut client) = database(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
         CREATE TABLE t (id int PRIMARY KEY,
           status varchar(10) NOT NULL CHECK (status IN ('draft', 'published')),
           kind text CHECK (kind = ANY (ARRAY['a', 'b', 'c'])),
           level int NOT NULL CHECK (level IN (1, 2, 3)),
           feeling mood NOT NULL CHECK (feeling IN ('ok', 'happy')));",
    );
    let outcome = seed_all(&mut client);
    assert_seeded(&outcome, "t", ROWS);
    assert_eq!(
        count(&mut client, "SELECT count(DISTINCT status) FROM t"),
        2
    );
    assert_eq!(count(&mut client, "SELECT count(DISTINCT kind) FROM t"), 3);
    assert_eq!(count(&mut client, "SELECT count(DISTINCT level) FROM t"), 3);
    assert_eq!(
        count(&mut client, "SELECT count(DISTINCT feeling) FROM t"),
        2
    );
}

#[test]
fn comparisons_with_constants_stay_within_their_bounds() {
    let (_scratch, mut client) = database(
        "CREATE TABLE t (id int PRIMARY KEY,
           stars int NOT NULL CHECK (stars BETWEEN 1 AND 5),
           percent numeric(5, 2) NOT NULL CHECK (percent >= 0 AND percent <= 100),
           balance bigint NOT NULL CHECK (balance > 1000),
           debt int NOT NULL CHECK (debt < '-5'::int),
           rank int UNIQUE CHECK (rank > 0 AND rank <= 50));",
    );
    let outcome = seed_all(&mut client);
    assert_seeded(&outcome, "t", ROWS);
    assert_eq!(count(&mut client, "SELECT count(DISTINCT stars) FROM t"), 5);
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM t WHERE balance <= 1000"),
        0
    );
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM t WHERE debt >= -5"),
        0
    );
}

#[test]
fn a_unique_column_limited_to_fewer_values_than_rows_gets_one_row_per_value() {
    let (_scratch, mut client) =
        database("CREATE TABLE t (id int PRIMARY KEY CHECK (id BETWEEN 1 AND 5));");
    let outcome = seed_all(&mut client);
    assert_seeded(&outcome, "t", 5);
}

#[test]
fn length_limits_are_kept() {
    let (_scratch, mut client) = database(
        "CREATE TABLE t (id int PRIMARY KEY,
           code text NOT NULL UNIQUE CHECK (length(code) <= 3),
           name text NOT NULL CHECK (char_length(name) > 0),
           slug text NOT NULL CHECK (slug <> ''),
           pin text NOT NULL CHECK (length(pin) >= 12 AND length(pin) <= 12));",
    );
    let outcome = seed_all(&mut client);
    assert_seeded(&outcome, "t", ROWS);
    assert_eq!(
        count(&mut client, "SELECT count(DISTINCT code) FROM t"),
        ROWS as i64
    );
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM t WHERE length(pin) <> 12"
        ),
        0
    );
}

#[test]
fn a_unique_foreign_key_gets_a_different_parent_per_row() {
    // Five parents already there, so twenty children would need duplicates.
    let (_scratch, mut client) = database(
        "CREATE TABLE account (id int PRIMARY KEY);
         INSERT INTO account SELECT generate_series(1, 5);
         CREATE TABLE profile (id int PRIMARY KEY,
           account_id int NOT NULL UNIQUE REFERENCES account);
         CREATE TABLE settings (account_id int PRIMARY KEY REFERENCES account, theme text);",
    );
    let tried = Tried::default();
    let fill = Fill::Empty { tried: &tried };
    let outcome = rows::seed(&mut client, ROWS, fill, &Hints::default()).unwrap();
    assert_seeded(&outcome, "profile", 5);
    assert_seeded(&outcome, "settings", 5);
    assert_eq!(
        count(
            &mut client,
            "SELECT count(DISTINCT account_id) FROM profile"
        ),
        5
    );
}

#[test]
fn a_unique_foreign_key_gets_as_many_rows_as_its_parent_has() {
    let (_scratch, mut client) = database(
        "CREATE TABLE account (id int PRIMARY KEY CHECK (id BETWEEN 1 AND 4));
         CREATE TABLE profile (id int PRIMARY KEY,
           account_id int NOT NULL UNIQUE REFERENCES account);",
    );
    let outcome = seed_all(&mut client);
    assert_seeded(&outcome, "account", 4);
    assert_seeded(&outcome, "profile", 4);
}

/// openmeter's state machines: a CHECK of alternatives (`OR` of `AND`s, nested), one of which
/// the seeder satisfies in every row: NULL where it says NULL, set where it says set, lengths
/// and lists kept. An alternative comparing two columns is passed over for one it can meet.
#[test]
fn a_check_of_alternatives_is_met_by_one_of_them() {
    let (_scratch, mut client) = database(
        "CREATE TABLE app (id int PRIMARY KEY, deleted_at timestamptz, api_key text,
           webhook_secret text,
           CONSTRAINT secret_lifecycle CHECK (
             ((deleted_at IS NULL) AND (api_key IS NOT NULL) AND (webhook_secret IS NOT NULL))
             OR ((deleted_at IS NOT NULL) AND (api_key IS NULL) AND (webhook_secret IS NULL))));
         CREATE TABLE plan (id int PRIMARY KEY, currency varchar NOT NULL,
           custom_currency_id int,
           CONSTRAINT currency_reference CHECK (
             ((char_length(currency::text) = 3) AND (custom_currency_id IS NULL))
             OR ((char_length(currency::text) > 3) AND (custom_currency_id IS NOT NULL))));
         CREATE TABLE cost_basis (id int PRIMARY KEY, mode varchar NOT NULL,
           currency_cost_basis_id int, manual_rate numeric, resolved_cost_basis_id int,
           resolved_cost_basis numeric, resolved_at timestamptz,
           CONSTRAINT state CHECK (
             ((mode::text = 'pinned') AND (currency_cost_basis_id IS NOT NULL)
               AND (resolved_cost_basis_id = currency_cost_basis_id))
             OR ((mode::text = 'dynamic') AND (currency_cost_basis_id IS NULL)
               AND (manual_rate IS NULL)
               AND (((resolved_cost_basis_id IS NULL) AND (resolved_cost_basis IS NULL)
                     AND (resolved_at IS NULL))
                 OR ((resolved_cost_basis_id IS NOT NULL) AND (resolved_cost_basis IS NOT NULL)
                     AND (resolved_at IS NOT NULL))))
             OR ((mode::text = 'manual') AND (manual_rate > 0::numeric)
               AND (resolved_cost_basis IS NOT NULL))));",
    );
    let outcome = seed_all(&mut client);
    for table in ["app", "plan", "cost_basis"] {
        assert_seeded(&outcome, table, ROWS);
    }
    let none = [
        "SELECT count(*) FROM app WHERE deleted_at IS NOT NULL OR api_key IS NULL",
        "SELECT count(*) FROM plan WHERE char_length(currency) <> 3 OR custom_currency_id IS NOT NULL",
        "SELECT count(*) FROM cost_basis WHERE mode <> 'dynamic' OR resolved_at IS NOT NULL",
    ];
    for sql in none {
        assert_eq!(count(&mut client, sql), 0, "{sql}");
    }
}

#[test]
fn foreign_keys_that_share_a_column_agree_on_it() {
    // As langfuse's in_app_agent_events: two composite keys share project_id.
    let (_scratch, mut client) = database(
        "CREATE TABLE conversation (id text, project_id text, PRIMARY KEY (id, project_id));
         CREATE TABLE run (id text, project_id text, conversation_id text NOT NULL,
           PRIMARY KEY (id, project_id),
           FOREIGN KEY (conversation_id, project_id) REFERENCES conversation);
         CREATE TABLE event (project_id text NOT NULL, conversation_id text NOT NULL,
           run_id text NOT NULL, seq int NOT NULL, PRIMARY KEY (project_id, seq),
           CONSTRAINT a_conversation FOREIGN KEY (conversation_id, project_id)
             REFERENCES conversation,
           CONSTRAINT b_run FOREIGN KEY (run_id, project_id) REFERENCES run);",
    );
    let outcome = seed_all(&mut client);
    assert_seeded(&outcome, "event", ROWS);
}

#[test]
fn a_table_created_under_a_name_renamed_away_is_seeded() {
    // `never` cannot be seeded: it is reported once, not again in the second round.
    let (_scratch, mut client) = database(
        "CREATE TABLE item (id int PRIMARY KEY, name text);
         CREATE TABLE never (id int PRIMARY KEY, x int NOT NULL CHECK (x > 0 AND x < 0));",
    );
    let mut tried = Tried::default();
    let first = seed_all(&mut client);
    assert_eq!(first.seeded.len(), 1, "{:#?}", first.seeded);
    let never = &first.failed[0];
    assert_eq!(never.table.name, "never");
    assert!(
        never.message.contains("column x admit no value"),
        "{never:?}"
    );
    tried.record(&first);
    client
        .batch_execute(
            "ALTER TABLE item RENAME TO old_item;
             CREATE TABLE item (id int PRIMARY KEY, label text NOT NULL);",
        )
        .unwrap();
    let fill = Fill::Empty { tried: &tried };
    let second = rows::seed(&mut client, ROWS, fill, &Hints::default()).unwrap();
    assert_seeded(&second, "item", ROWS);
    assert_eq!(second.seeded.len(), 1, "{:#?}", second.seeded);
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM old_item"),
        ROWS as i64
    );
}

#[test]
fn single_row_tables_get_their_row() {
    let (_scratch, mut client) = database(
        "CREATE TABLE settings (id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), theme text);
         CREATE TABLE singleton (flag text NOT NULL);
         CREATE UNIQUE INDEX singleton_one_row ON singleton ((true));",
    );
    let outcome = seed_all(&mut client);
    assert_seeded(&outcome, "settings", 1);
    assert_seeded(&outcome, "singleton", 1);
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM settings WHERE id = 1"),
        1
    );
}

#[test]
fn an_unsolved_shape_is_named_in_the_reason() {
    let (_scratch, mut client) = database(
        "CREATE TABLE event (id int PRIMARY KEY, starts int NOT NULL, ends int NOT NULL,
           CONSTRAINT event_ends_after_start CHECK (ends > starts + 100));
         CREATE TABLE pair (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL,
           CONSTRAINT pair_one CHECK (num_nonnulls(a, b) = 1));",
    );
    let outcome = seed_all(&mut client);
    assert!(outcome.seeded.is_empty(), "{:#?}", outcome.seeded);
    let reason = |table: &str| {
        let failed = outcome.failed.iter().find(|f| f.table.name == table);
        failed.unwrap().message.clone()
    };
    let event = reason("event");
    assert!(
        event.contains("CHECK constraint event_ends_after_start")
            && event.contains("shape the seeder does not solve")
            && event.contains("violates check constraint"),
        "{event}"
    );
    let pair = reason("pair");
    assert!(
        pair.contains("CHECK constraint pair_one cannot hold")
            && pair.contains("at most one of a, b may be set, but a, b are always set"),
        "{pair}"
    );
}

#[test]
fn a_partitioned_table_gets_rows_its_partitions_take_or_says_why_not() {
    // Partitions by year, none for the values the seeder generates (2024 onwards); a key of
    // two columns is not read; trigger.dev's TaskEventPartitioned has no partition at all
    // (the application makes them).
    let (_scratch, mut client) = database(
        "CREATE TABLE delivery (id int, at timestamp NOT NULL, PRIMARY KEY (id, at))
           PARTITION BY RANGE (at);
         CREATE TABLE delivery_2020 PARTITION OF delivery
           FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
         CREATE TABLE region_event (id int, region text) PARTITION BY LIST (region);
         CREATE TABLE region_event_eu PARTITION OF region_event FOR VALUES IN ('eu', 'ch');
         CREATE TABLE pair (a int NOT NULL, b int NOT NULL) PARTITION BY RANGE (a, b);
         CREATE TABLE pair_low PARTITION OF pair FOR VALUES FROM (-100, -100) TO (-50, -50);
         CREATE TABLE task_event (id int, at timestamp) PARTITION BY RANGE (at);",
    );
    let outcome = seed_all(&mut client);
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM delivery_2020"),
        ROWS as i64
    );
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM region_event_eu"),
        ROWS as i64
    );
    let failed: Vec<(&str, &str)> = outcome
        .failed
        .iter()
        .map(|f| (f.table.name.as_str(), f.message.as_str()))
        .collect();
    let [(pair, unread), (task_event, none)] = failed.as_slice() else {
        panic!("{failed:#?}");
    };
    assert_eq!((*pair, *task_event), ("pair", "task_event"));
    assert!(
        unread.starts_with("no partition takes the seeder's values for the partition key"),
        "{unread}"
    );
    assert!(none.contains("has no partition"), "{none}");
}

/// `first` applied, then seeded with the hints of the whole history, then `later` applied:
/// whether `later` applies over the seeded rows.
fn later_migration_applies(first: &str, later: &str) -> Result<(), postgres::Error> {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    write_history(
        &migrations,
        &[
            ("20240101000000_first", first),
            ("20240102000000_later", later),
        ],
    );
    let hints = Hints::from_history(&read_history(&migrations).unwrap());
    let (_scratch, mut client) = database(first);
    let outcome = rows::seed(&mut client, ROWS, Fill::All, &hints).unwrap();
    assert!(outcome.failed.is_empty(), "{:#?}", outcome.failed);
    client.batch_execute(later)
}

const USERS_AND_POSTS: &str = r#"CREATE TABLE "User" ("id" TEXT NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Post" ("id" TEXT NOT NULL, "authorId" TEXT NOT NULL, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));
"#;

#[test]
fn a_foreign_key_added_later_is_matched_by_the_seeded_rows() {
    let later = r#"ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;"#;
    later_migration_applies(USERS_AND_POSTS, later).unwrap();
}

#[test]
fn a_unique_index_added_later_meets_distinct_values() {
    let later = r#"CREATE UNIQUE INDEX "User_email_key" ON "User"("email");"#;
    later_migration_applies(USERS_AND_POSTS, later).unwrap();
}

#[test]
fn without_hints_the_later_keys_meet_synthetic_values() {
    // The control: the two tests above fail without hints.
    let (_scratch, mut client) = database(USERS_AND_POSTS);
    seed_all(&mut client);
    let unique =
        client.batch_execute(r#"CREATE UNIQUE INDEX "User_email_key" ON "User"("email");"#);
    assert!(unique.is_err());
    let fk = client.batch_execute(
        r#"ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");"#,
    );
    assert!(fk.is_err());
}

#[test]
fn a_seeded_drill_follows_the_keys_later_migrations_add() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    write_history(
        &migrations,
        &[
            ("20240101000000_init", USERS_AND_POSTS),
            (
                "20240102000000_author",
                r#"ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;"#,
            ),
            (
                "20240103000000_email",
                r#"CREATE UNIQUE INDEX "User_email_key" ON "User"("email");"#,
            ),
        ],
    );
    let mut plan = DrillPlan::whole_history(
        migrations,
        ScratchSource::Embedded(ScratchOptions::default()),
    );
    plan.seed = Some(Seed { rows: ROWS });
    plan.jobs = Some(1);
    let report = drill::run(&plan, &mut |_| {}).unwrap();
    let text = unmigrate::report::render(&report, unmigrate::report::ReportFormat::Human, false);
    assert_eq!(report.migrations.len(), 3, "{text}");
    for m in &report.migrations {
        let data = m.data.as_ref().unwrap();
        assert_eq!(data.forward_failure, None, "{}: {text}", m.name);
        assert!(data.not_seeded.is_empty(), "{}: {text}", m.name);
    }
    assert!(report.stopped.is_none(), "{text}");
}

/// crates.io's category tree: a NOT NULL `ltree` column (an extension's type) gets a path per
/// row, so the table and those whose keys point at it are seeded.
#[test]
fn an_ltree_path_gets_a_label_per_row() {
    let (_scratch, mut client) = database(
        "CREATE EXTENSION ltree;
         CREATE TABLE categories (id serial PRIMARY KEY, slug text NOT NULL UNIQUE,
           path ltree NOT NULL);
         CREATE TABLE crates_categories (category_id int NOT NULL REFERENCES categories);",
    );
    let outcome = seed_all(&mut client);
    assert_seeded(&outcome, "categories", ROWS);
    assert_seeded(&outcome, "crates_categories", ROWS);
    assert_eq!(
        count(&mut client, "SELECT count(DISTINCT path) FROM categories"),
        ROWS as i64 / 2
    );
}
