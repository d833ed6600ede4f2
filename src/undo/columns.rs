//! Columns: `ADD COLUMN` ↔ `DROP COLUMN`, type changes, defaults and nullability.

mod cmd;
mod drop;
mod placeholder;
pub(super) mod types;
mod using;

use cmd::{column_cmd, column_of, helper_check_name};
pub use drop::drop_column;
use types::type_label;

use super::guard::Guard;
use super::rule::{undo_rule, UndoRule};
use super::{recreate, table_in_use, DataLoss, LazyScope, Placement, Undo, UndoSql};
use crate::catalog::{Catalog, Column, Index};
use crate::sql::quote::{self, Ident};
use crate::sql::refs::column_refs;
use crate::sql::text;
use crate::sql::{build, pb, NodeEnum, QName};
use pb::AlterTableType as At;

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[
    UNDO_ADD_COLUMN,
    drop::UNDO_DROP_COLUMN,
    UNDO_ALTER_COLUMN_TYPE,
    UNDO_COLUMN_DEFAULT,
    UNDO_SET_NOT_NULL,
    UNDO_DROP_NOT_NULL,
];

/// The undo of an `ALTER COLUMN` that needs only the column as the model holds it (its
/// default, its nullability): `rule`'s, or a manual undo when the model does not know the
/// column.
pub fn on_column(
    catalog: &Catalog,
    table: &QName,
    cmd: &pb::AlterTableCmd,
    rule: fn(&QName, &Column) -> Undo,
) -> Undo {
    match column_of(catalog, table, &cmd.name) {
        Ok((_, column)) => rule(table, column),
        Err(undo) => undo,
    }
}

undo_rule! {
    /// an added column is dropped again
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … ADD COLUMN`
    /// - `ALTER TABLE … ADD COLUMN IF NOT EXISTS`
    ///
    /// ## The undo
    ///
    /// `ALTER TABLE … DROP COLUMN` of the new column.
    ///
    /// ## Verdict
    ///
    /// **lossy**: values written to the new column are lost. Nothing to undo when `ADD COLUMN IF NOT EXISTS` met an existing column. **manual** when no earlier migration creates the table (as for every `ALTER TABLE` rule).
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
    ///
    /// -- this migration
    /// ALTER TABLE "User" ADD COLUMN "email" TEXT;
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// ALTER TABLE "User" DROP COLUMN email;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/columns/add_column.sql` (snapshot `snapshots/columns__add_column.snap`)
    UNDO_ADD_COLUMN = "undo-add-column";
}

/// The undo of rule `undo-add-column` (UNDO_ADD_COLUMN above).
pub fn add_column(catalog: &Catalog, table: &QName, cmd: &pb::AlterTableCmd) -> Undo {
    let Some(NodeEnum::ColumnDef(def)) = cmd.def.as_deref().and_then(|d| d.node.as_ref()) else {
        return Undo::manual("ADD COLUMN without a column definition");
    };
    if catalog
        .table(table)
        .and_then(|t| t.column(&def.colname))
        .is_some()
    {
        return Undo::nothing(format!(
            "column {} already existed, so ADD COLUMN IF NOT EXISTS did nothing",
            Ident(&def.colname)
        ));
    }
    Undo::lossy(
        format!(
            "drops column {}: its values are lost",
            quote::Column(table, &def.colname)
        ),
        vec![column_cmd(table, At::AtDropColumn, &def.colname, None)],
    )
    .losing([DataLoss::Column {
        table: table.clone(),
        column: def.colname.clone(),
    }])
}

undo_rule! {
    /// a column type change is converted back
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … ALTER COLUMN … [SET DATA] TYPE`
    ///
    /// ## The undo
    ///
    /// `ALTER COLUMN … TYPE old USING …`, with the column's default dropped before and restored after, and its collation kept. The `USING` inverts the forward's: `col AT TIME ZONE 'Z'` between `timestamp` and `timestamptz` is undone by `col AT TIME ZONE 'Z'` (the other way round), so the session's `TimeZone` plays no part; `col * k` between integer types by `col / k`; `decode(col, 'escape')` (`'hex'`, `'base64'`) from text to `bytea` by `encode(col, 'escape')` cast back, which the forward can decode again; `CASE WHEN col THEN 'a' ELSE 'b' END` from `boolean` by `col = 'a'` (other values written since come back as false); no `USING`, or casts of the column, by `col::old` (through `text` when either side is an enum: PostgreSQL has no cast between two enum types). A `serial` column is an `integer` (`bigint`, `smallint`) with a `nextval` default, as PostgreSQL made it: `serial` is not a type, and the undo never names it. The undos of type changes of one table that run one after the other in the undo (a statement with several `ALTER COLUMN … TYPE`, or several statements) are one `ALTER TABLE` with all their subcommands, so the table is rewritten once (see `src/undo/retype.rs`); each statement's note says where its undo went. An index whose key expression or predicate reads the column is dropped before the type change back and built again from its definition after it: PostgreSQL rebuilds such an index from the text it took under the new type, so `date(col)` of a column made a `date` would come back as plain `col`, and `f(col)` of a column made `text` with a cast.
    ///
    /// ## Verdict
    ///
    /// **exact** when every value comes back as it was: the forward kept every value it did not reject (`bigint` → `int`, `text` → `json`, a shorter `varchar` without an explicit cast) and every value of the new type converts back, an enum swap whose old type holds every value of the new one, or `AT TIME ZONE 'UTC'` (any zone without daylight saving time spelled as UTC) with the same precision both sides. Otherwise **lossy**, the note saying why: values written since may not fit the old type; the forward rounded (`numeric(10,2)`, a smaller precision, `float8` → `float4`) or reformatted (text → a number or uuid: `'007'` comes back as `'7'`); an explicit cast cut text short; a named zone with daylight saving time repeats or skips an hour; a bare cast between `timestamp` and `timestamptz` used the forward session's `TimeZone`, and the note says the undo assumes its own session has the same; text the forward decoded comes back as `encode` spells it (`\101` comes back as `A`, upper-case hex digits in lower case); or the forward's `USING` is an expression unmigrate does not invert (the undo only casts back).
    ///
    /// Between two enums the forward's `USING` is read as a map of values: a plain cast keeps each value; a `CASE col::text WHEN 'a' THEN 'b' … ELSE col::text END` moves some, and the undo maps them back with the inverse `CASE`. It stays **exact** when the map is one-to-one on the old values and every new value has a way back; **lossy** when it merged values (named in the reason: every such row comes back as one of them), when rows may hold a new value no old value maps to (named in the reason, and a preflight check lists the rows holding one, compared as text), or when the `USING` is some other expression (not inverted). **manual**, its SQL kept, when a forward `UPDATE` of the same migration without `WHERE` wrote such a new value into every row (`SET severity = 'PAUSED'`): every row is certain to fail the conversion back, so the file marks where their backfill goes (see `src/undo/backfill.rs`); with a `WHERE`, it stays lossy, and its check, at the top of the undo, names the rows. A whole Prisma enum swap (`CREATE TYPE "T_new"`, the conversions, the old type dropped, `"T_new"` renamed) is undone as one change of `"T"`: see `undo-add-enum-value` for how a migration's enum changes share one recreation, and `ALTER TYPE … ADD VALUE` when the swap only removed values.
    ///
    /// ## Examples
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" INTEGER NOT NULL);
    ///
    /// -- this migration
    /// ALTER TABLE "Score" ALTER COLUMN "value" SET DATA TYPE DOUBLE PRECISION;
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// ALTER TABLE "Score" ALTER COLUMN value TYPE int USING value::int;
    /// ```
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Score" ("id" TEXT PRIMARY KEY, "value" BIGINT NOT NULL);
    ///
    /// -- this migration
    /// ALTER TABLE "Score" ALTER COLUMN "value" SET DATA TYPE INTEGER;
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// ALTER TABLE "Score" ALTER COLUMN value TYPE bigint USING value::bigint;
    /// ```
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Event" ("id" TEXT PRIMARY KEY, "at" TIMESTAMP(3) NOT NULL);
    ///
    /// -- this migration
    /// ALTER TABLE "Event" ALTER COLUMN "at" SET DATA TYPE TIMESTAMPTZ(3) USING "at" AT TIME ZONE 'UTC';
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// ALTER TABLE "Event" ALTER COLUMN at TYPE timestamp(3) USING at AT TIME ZONE 'UTC';
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/columns/alter_type.sql` (snapshot `snapshots/columns__alter_type.snap`)
    /// - `tests/cases/columns/alter_type_using.sql` (snapshot `snapshots/columns__alter_type_using.snap`)
    /// - `tests/cases/columns/alter_type_enum_swap.sql` (snapshot `snapshots/columns__alter_type_enum_swap.snap`)
    /// - `tests/cases/columns/serial_to_text.sql` (snapshot `snapshots/columns__serial_to_text.snap`)
    /// - `tests/cases/columns/serial_type_change.sql` (snapshot `snapshots/columns__serial_type_change.snap`)
    /// - `tests/cases/enums/case_remap.sql` (snapshot `snapshots/enums__case_remap.snap`)
    /// - `tests/cases/enums/case_remap_merges.sql` (snapshot `snapshots/enums__case_remap_merges.snap`)
    /// - `tests/cases/enums/rename_aside_adds_value.sql` (snapshot `snapshots/enums__rename_aside_adds_value.snap`)
    /// - `tests/cases/columns/alter_type_expression_index.sql` (snapshot `snapshots/columns__alter_type_expression_index.snap`)
    /// - `tests/cases/enums/swap_then_backfill_new_value.sql` (snapshot `snapshots/enums__swap_then_backfill_new_value.snap`)
    /// - `tests/cases/enums/swap_guard_at_top_after_update.sql` (snapshot `snapshots/enums__swap_guard_at_top_after_update.snap`)
    UNDO_ALTER_COLUMN_TYPE = "undo-alter-column-type";
}

/// The undo of rule `undo-alter-column-type` (UNDO_ALTER_COLUMN_TYPE above).
pub fn alter_type(catalog: &Catalog, table: &QName, cmd: &pb::AlterTableCmd) -> Undo {
    let (_, column) = match column_of(catalog, table, &cmd.name) {
        Ok(found) => found,
        Err(undo) => return undo,
    };
    let Some(NodeEnum::ColumnDef(new_def)) = cmd.def.as_deref().and_then(|d| d.node.as_ref())
    else {
        return Undo::manual("ALTER COLUMN TYPE without a type");
    };
    let new_type = new_def.type_name.clone().unwrap_or_default();
    let old_type = column.type_name.unpack();
    let conversion = using::conversion(
        catalog,
        &column.name,
        new_def.raw_default.as_deref(),
        &new_type,
        &old_type,
    );
    let guard = conversion.guard(catalog, table, &column.name, &new_type, &old_type);
    let back = pb::ColumnDef {
        type_name: Some(old_type.clone()),
        coll_clause: column.collation.as_ref().map(|c| Box::new(c.unpack())),
        raw_default: Some(Box::new(conversion.value)),
        ..Default::default()
    };
    // PostgreSQL rebuilds an index over the column from its definition's text under the new
    // type, and again under the old one: an expression or predicate over the column does not
    // come back as written (`date(col)` on a column made a date loses its call). Those are
    // dropped before the type change back and created again from the model after it.
    let rebuilt: Vec<&Index> = catalog
        .indexes_on(table)
        .filter(|i| i.constraint.is_none() && computes_on(i, &column.name))
        .collect();
    let mut statements: Vec<UndoSql> = rebuilt
        .iter()
        .map(|i| UndoSql::text(text::drop(text::DropKind::Index, &i.name, false), false))
        .collect();
    if column.default.is_some() {
        statements.push(column_cmd(table, At::AtColumnDefault, &column.name, None));
    }
    statements.push(column_cmd(
        table,
        At::AtAlterColumnType,
        &column.name,
        Some(build::node(NodeEnum::ColumnDef(Box::new(back)))),
    ));
    if let Some(default) = &column.default {
        statements.push(column_cmd(
            table,
            At::AtColumnDefault,
            &column.name,
            Some(default.unpack()),
        ));
    }
    statements.extend(rebuilt.iter().map(|i| recreate::create_index(i, false)));
    let (from, to) = (type_label(&new_type), type_label(&old_type));
    let mut reason = format!(
        "converts {} back from {from} to {to}{}",
        quote::Column(table, &column.name),
        conversion.note
    );
    if !rebuilt.is_empty() {
        let names: Vec<String> = rebuilt
            .iter()
            .map(|i| Ident(&i.name.name).to_string())
            .collect();
        reason.push_str(&format!(
            "; index {} computes on the column, so it is dropped first and built again from its definition (PostgreSQL would rebuild it from the text it took under the new type)",
            names.join(", ")
        ));
    }
    if conversion.exact {
        return Undo::exact(reason, statements);
    }
    Undo::lossy(reason, statements)
        .losing([DataLoss::Column {
            table: table.clone(),
            column: column.name.clone(),
        }])
        .guarded(guard)
}

/// Whether an index computes on `column`: an expression of its key, or its predicate, reads it.
fn computes_on(index: &Index, column: &str) -> bool {
    let stmt = index.stmt.unpack();
    let expressions = stmt.index_params.iter().filter_map(|p| match &p.node {
        Some(NodeEnum::IndexElem(e)) if e.name.is_empty() => e.expr.as_deref(),
        _ => None,
    });
    expressions
        .chain(stmt.where_clause.as_deref())
        .any(|e| column_refs(e).iter().any(|c| c == column))
}

undo_rule! {
    /// a column default set or dropped is put back as it was
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … ALTER COLUMN … SET DEFAULT`
    /// - `ALTER TABLE … ALTER COLUMN … DROP DEFAULT`
    ///
    /// ## The undo
    ///
    /// Restores the previous default with `SET DEFAULT`, or removes it with `DROP DEFAULT` when the column had none (no statement when a later `DROP COLUMN` or `DROP TABLE` of the same undo drops it anyway). A `serial` column's default is the `nextval('<table>_<column>_seq'::regclass)` PostgreSQL gave it, restored as such (the undo of a later `DROP SEQUENCE` in the same undo creates the sequence first).
    ///
    /// ## Verdict
    ///
    /// **exact**: a default is metadata; rows are untouched.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "role" TEXT DEFAULT 'user');
    ///
    /// -- this migration
    /// ALTER TABLE "User" ALTER COLUMN "role" SET DEFAULT 'member';
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// ALTER TABLE "User" ALTER COLUMN role SET DEFAULT 'user';
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/columns/defaults_and_nullability.sql` (snapshot `snapshots/columns__defaults_and_nullability.snap`)
    /// - `tests/cases/columns/serial_type_change.sql` (snapshot `snapshots/columns__serial_type_change.snap`)
    UNDO_COLUMN_DEFAULT = "undo-column-default";
}

/// The undo of rule `undo-column-default` (UNDO_COLUMN_DEFAULT above).
pub fn set_default(table: &QName, column: &Column) -> Undo {
    let undo = column_cmd(
        table,
        At::AtColumnDefault,
        &column.name,
        column.default.as_ref().map(|d| d.unpack()),
    );
    let what = if column.default.is_some() {
        "restores the previous default of"
    } else {
        "removes the default of"
    };
    Undo::exact(
        format!("{what} {}", quote::Column(table, &column.name)),
        vec![undo],
    )
}

undo_rule! {
    /// SET NOT NULL is undone by DROP NOT NULL
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … ALTER COLUMN … SET NOT NULL`
    ///
    /// ## The undo
    ///
    /// `ALTER COLUMN … DROP NOT NULL`; no statement when a later `DROP COLUMN` or `DROP TABLE` of the same undo drops it anyway.
    ///
    /// ## Verdict
    ///
    /// **exact**: dropping NOT NULL cannot fail and keeps every row. Nothing to undo when the column was already NOT NULL.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT);
    ///
    /// -- this migration
    /// ALTER TABLE "User" ALTER COLUMN "email" SET NOT NULL;
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// ALTER TABLE "User" ALTER COLUMN email DROP NOT NULL;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/columns/defaults_and_nullability.sql` (snapshot `snapshots/columns__defaults_and_nullability.snap`)
    /// - `tests/cases/columns/drops_covered_by_drop_column.sql` (snapshot `snapshots/columns__drops_covered_by_drop_column.snap`)
    UNDO_SET_NOT_NULL = "undo-set-not-null";
}

/// The undo of rule `undo-set-not-null` (UNDO_SET_NOT_NULL above).
pub fn set_not_null(table: &QName, column: &Column) -> Undo {
    let quoted = quote::Column(table, &column.name);
    if column.not_null {
        return Undo::nothing(format!("{quoted} was already NOT NULL"));
    }
    let undo = column_cmd(table, At::AtDropNotNull, &column.name, None);
    Undo::exact(format!("makes {quoted} nullable again"), vec![undo])
}

undo_rule! {
    /// DROP NOT NULL is undone by SET NOT NULL, which fails over NULLs written since
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … ALTER COLUMN … DROP NOT NULL`
    ///
    /// ## The undo
    ///
    /// `ALTER COLUMN … SET NOT NULL`. On a table in use (one the migration neither creates nor drops, not partitioned), without its scan under ACCESS EXCLUSIVE: a helper `CHECK (column IS NOT NULL)` is added `NOT VALID`, validated in a later transaction (a migration of its own, under SHARE UPDATE EXCLUSIVE: reads and writes go on), then `SET NOT NULL` finds it and skips the scan (PostgreSQL 12 and later), and the helper is dropped.
    ///
    /// ## Verdict
    ///
    /// **lossy**: the schema returns exactly, but the undo fails if rows with NULL in the column were written since; they must be filled in first (a failed `VALIDATE` leaves the helper check `NOT VALID`: drop it before deploying again). **manual**, its SQL kept, when the undo itself leaves NULL in every existing row before this step: the forward drops the column and the undo re-adds it empty, or the forward's `UPDATE` without `WHERE` sets it to NULL (see `src/undo/backfill.rs`: the file marks where the backfill goes, and a check stops the undo while the table has rows). Nothing to undo when the column was already nullable.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY, "email" TEXT NOT NULL);
    ///
    /// -- this migration
    /// ALTER TABLE "User" ALTER COLUMN "email" DROP NOT NULL;
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// ALTER TABLE "User" ADD CONSTRAINT "User_email_not_null" CHECK (email IS NOT NULL) NOT VALID;
    /// ALTER TABLE "User" VALIDATE CONSTRAINT "User_email_not_null"; -- in a later transaction
    /// ALTER TABLE "User" ALTER COLUMN email SET NOT NULL; -- in a later transaction
    /// ALTER TABLE "User" DROP CONSTRAINT "User_email_not_null"; -- in a later transaction
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/columns/defaults_and_nullability.sql` (snapshot `snapshots/columns__defaults_and_nullability.snap`)
    /// - `tests/cases/columns/nulled_then_not_null.sql` (snapshot `snapshots/columns__nulled_then_not_null.snap`)
    UNDO_DROP_NOT_NULL = "undo-drop-not-null";
}

/// The undo of rule `undo-drop-not-null` (UNDO_DROP_NOT_NULL above).
pub fn drop_not_null(
    catalog: &Catalog,
    table: &QName,
    cmd: &pb::AlterTableCmd,
    scope: &LazyScope<'_>,
) -> Undo {
    let (t, column) = match column_of(catalog, table, &cmd.name) {
        Ok(found) => found,
        Err(undo) => return undo,
    };
    let shown = quote::Column(table, &column.name);
    if !column.not_null {
        return Undo::nothing(format!("{shown} was already nullable"));
    }
    let set = column_cmd(table, At::AtSetNotNull, &column.name, None);
    if !table_in_use(catalog, table, scope) {
        return Undo::lossy(
            format!("makes {shown} NOT NULL again: fails if rows with NULL were written since; fill them in first"),
            vec![set],
        )
        .guarded([Guard::nulls(table, &column.name)]);
    }
    let helper = helper_check_name(t, table, &column.name);
    let statements = vec![
        UndoSql::text(
            text::add_not_null_check(table, &helper, &column.name),
            false,
        )
        .placed(Placement::NotValidAdd),
        UndoSql::text(text::validate_constraint(table, &helper), false).placed(Placement::Later),
        set.placed(Placement::Later),
        UndoSql::text(text::drop_constraint(table, &helper), false).placed(Placement::Later),
    ];
    Undo::lossy(
        format!(
            "makes {shown} NOT NULL again without scanning under ACCESS EXCLUSIVE: a helper CHECK ({} IS NOT NULL) {} is added NOT VALID and validated in a later transaction (reads and writes go on), so SET NOT NULL skips its scan (PostgreSQL 12 and later), and the helper is dropped. The VALIDATE fails if rows with NULL were written since (fill them in first), leaving the helper NOT VALID: drop it before deploying again",
            Ident(&column.name),
            Ident(&helper)
        ),
        statements,
    )
    .guarded([Guard::nulls(table, &column.name)])
}
