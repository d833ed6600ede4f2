//! Table constraints: `ADD CONSTRAINT` ↔ `DROP CONSTRAINT`, and `VALIDATE CONSTRAINT`.

use super::guard::Guard;
use super::rule::{undo_rule, UndoRule};
use super::{keys, recreate, table_in_use, Effect, LazyScope, Undo, UndoSql};
use crate::catalog::{Catalog, Constraint, ConstraintKind};
use crate::sql::quote::{Ident, Idents};
use crate::sql::text::{self, ColumnChange};
use crate::sql::{pb, NodeEnum, QName};

/// The family's undo rules, in the order `unmigrate rule` lists them.
pub(super) const RULES: &[UndoRule] = &[
    UNDO_ADD_CONSTRAINT,
    UNDO_ADD_CONSTRAINT_USING_INDEX,
    UNDO_DROP_CONSTRAINT,
    UNDO_VALIDATE_CONSTRAINT,
];

undo_rule! {
    /// an added constraint is dropped again
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … ADD CONSTRAINT (PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK, EXCLUDE)`
    /// - `ALTER TABLE … ADD CONSTRAINT … NOT VALID`
    ///
    /// ## The undo
    ///
    /// `ALTER TABLE … DROP CONSTRAINT`, under the name PostgreSQL gives an unnamed constraint. A primary key also made its columns NOT NULL, so those that were nullable become nullable again. No statement when a later `DROP TABLE` of the same undo drops the table anyway (and nothing between needs the constraint gone first). In an `ALTER TABLE` of several commands PostgreSQL adds columns before constraints, whatever their order in the statement, so the undo drops a constraint before a column the same statement added, even one written after it.
    ///
    /// ## Verdict
    ///
    /// **exact**: dropping a constraint keeps every row. **manual** for a column `NOT NULL` written as a table constraint, which is not modelled.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "User" ("id" TEXT PRIMARY KEY);
    /// CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "authorId" TEXT);
    ///
    /// -- this migration
    /// ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/constraints/add_constraints.sql` (snapshot `snapshots/constraints__add_constraints.snap`)
    /// - `tests/cases/tables/drops_covered_by_drop_table.sql` (snapshot `snapshots/tables__drops_covered_by_drop_table.snap`)
    /// - `tests/cases/constraints/checks_before_their_column.sql` (snapshot `snapshots/constraints__checks_before_their_column.snap`)
    UNDO_ADD_CONSTRAINT = "undo-add-constraint";
}

/// The undo of rule `undo-add-constraint` (UNDO_ADD_CONSTRAINT above).
pub fn add_constraint(
    catalog: &Catalog,
    table: &QName,
    cmd: &pb::AlterTableCmd,
    scope: &LazyScope<'_>,
) -> Undo {
    let Some(NodeEnum::Constraint(c)) = cmd.def.as_deref().and_then(|d| d.node.as_ref()) else {
        return Undo::manual("ADD CONSTRAINT without a definition");
    };
    let Some(name) = catalog.new_constraint_name(table, c) else {
        return Undo::manual("this kind of constraint (column NOT NULL as a table constraint) is not modelled; reverse it by hand");
    };
    if !c.indexname.is_empty() {
        return add_constraint_using_index(catalog, table, c, &name, scope);
    }
    let references = c.pktable.as_ref().map(QName::from_range_var);
    let columns = Catalog::new_constraint_columns(c);
    let mut drop = recreate::drop_constraint(table, &name, references, columns);
    if let Some(Effect::DropsConstraint { definition, .. }) = drop.effect.as_deref_mut() {
        *definition = Some(Box::new(c.as_ref().clone()));
    }
    let mut statements = vec![drop];
    if c.contype == pb::ConstrType::ConstrPrimary as i32 {
        statements.extend(drop_not_null_made_by_key(
            catalog,
            table,
            &crate::sql::string_list(&c.keys),
        ));
    }
    Undo::exact(
        format!("drops constraint {} of {table} again", Ident(&name)),
        statements,
    )
}

undo_rule! {
    /// a key constraint that took over an index is dropped and the index rebuilt
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … ADD [CONSTRAINT c] PRIMARY KEY USING INDEX i`
    /// - `ALTER TABLE … ADD [CONSTRAINT c] UNIQUE USING INDEX i`
    ///
    /// ## The undo
    ///
    /// Drops the constraint (which drops the index it took over), makes nullable again the key columns a primary key made NOT NULL, and recreates index `i` under its own name as it was defined. What PostgreSQL does with the index's name and with NOT NULL is in `src/catalog/using_index.rs`. On a table in use (one the migration neither creates nor drops), the index is rebuilt `CONCURRENTLY` in a migration of its own *before* the drop, while the constraint still keeps those rows unique: under its own name when the constraint had renamed it, else under a free name (`<name>_undo`) and renamed back by `ALTER INDEX … RENAME` right after the drop.
    ///
    /// ## Verdict
    ///
    /// **exact**: the schema returns as it was and no row changes; the note says how the index is rebuilt (concurrently, or on a table the undo recreates with a full scan under a SHARE lock). **manual** when no earlier migration recorded the index's definition.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "t" ("id" INTEGER);
    /// CREATE UNIQUE INDEX "t_id_idx" ON "t"("id");
    ///
    /// -- this migration
    /// ALTER TABLE "t" ADD PRIMARY KEY USING INDEX "t_id_idx";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// ALTER TABLE t DROP CONSTRAINT t_id_idx;
    /// CREATE UNIQUE INDEX CONCURRENTLY t_id_idx_undo ON t USING btree (id); -- in a migration of its own
    /// ALTER TABLE t ALTER COLUMN id DROP NOT NULL;
    /// ALTER INDEX t_id_idx_undo RENAME TO t_id_idx;
    /// ```
    ///
    /// The file deploys the build first: its migration comes before the one that drops the constraint.
    ///
    /// ## Cases
    ///
    /// - `tests/cases/constraints/pk_using_index.sql` (snapshot `snapshots/constraints__pk_using_index.snap`)
    /// - `tests/cases/constraints/pk_using_index_named.sql` (snapshot `snapshots/constraints__pk_using_index_named.snap`)
    /// - `tests/cases/constraints/unique_using_index.sql` (snapshot `snapshots/constraints__unique_using_index.snap`)
    /// - `tests/cases/constraints/unique_using_index_unnamed.sql` (snapshot `snapshots/constraints__unique_using_index_unnamed.snap`)
    /// - `tests/cases/constraints/using_index_unknown.sql` (snapshot `snapshots/constraints__using_index_unknown.snap`)
    UNDO_ADD_CONSTRAINT_USING_INDEX = "undo-add-constraint-using-index";
}

/// The undo of rule `undo-add-constraint-using-index` (UNDO_ADD_CONSTRAINT_USING_INDEX above).
fn add_constraint_using_index(
    catalog: &Catalog,
    table: &QName,
    c: &pb::Constraint,
    name: &str,
    scope: &LazyScope<'_>,
) -> Undo {
    let Some(index) = catalog.adopted_index(table, &c.indexname) else {
        return Undo::manual(format!(
            "the constraint took over index {}, whose definition no earlier migration recorded; drop constraint {} and recreate the index by hand",
            Ident(&c.indexname),
            Ident(name)
        ));
    };
    let mut statements = vec![recreate::drop_constraint(
        table,
        name,
        None,
        index.columns.clone(),
    )];
    if c.contype == pb::ConstrType::ConstrPrimary as i32 {
        statements.extend(drop_not_null_made_by_key(
            catalog,
            table,
            &index.key_columns(),
        ));
    }
    if !table_in_use(catalog, table, scope) {
        statements.push(recreate::create_index(index, false));
        return Undo::exact(
            format!(
                "drops constraint {} of {table} with its index and recreates index {}{}; the rebuild scans the table under a SHARE lock, so writes wait for it",
                Ident(name),
                index.name,
                renamed_note(&index.name, name)
            ),
            statements,
        );
    }
    // Built CONCURRENTLY before the drop, while the constraint still keeps those rows unique:
    // under its own name when the constraint renamed it, else under a free name and renamed
    // after the drop.
    let mut rebuild = recreate::create_index(index, true);
    let building = if index.name.name == name {
        let free = keys::free_index_name(catalog, table, name);
        rebuild = recreate::create_index_as(index, &free, true);
        statements.push(UndoSql::text(
            text::rename_index(&table.sibling(&free), name),
            false,
        ));
        format!(
            " under the free name {}, renamed {} after the drop",
            Ident(&free),
            Ident(name)
        )
    } else {
        String::new()
    };
    statements.insert(
        1,
        rebuild.with_effect(Effect::BuildsAheadOf {
            table: table.clone(),
            constraint: name.to_string(),
        }),
    );
    Undo::exact(
        format!(
            "drops constraint {} of {table} with its index and recreates index {}{}; it is rebuilt CONCURRENTLY{building}, in a migration of its own ahead of the drop, while the constraint still keeps those rows unique, so reads and writes of {table} go on (a failed build leaves an INVALID index behind: drop it with DROP INDEX CONCURRENTLY before deploying again)",
            Ident(name),
            index.name,
            renamed_note(&index.name, name)
        ),
        statements,
    )
}

/// Says that the constraint had renamed the index it took over, when it had.
fn renamed_note(index: &QName, constraint: &str) -> String {
    if index.name == constraint {
        String::new()
    } else {
        format!(" (the constraint had renamed it to {})", Ident(constraint))
    }
}

/// `DROP NOT NULL` for the key columns that were nullable before a primary key made them
/// NOT NULL (dropping the key keeps NOT NULL).
fn drop_not_null_made_by_key(catalog: &Catalog, table: &QName, keys: &[String]) -> Vec<UndoSql> {
    let t = catalog.table(table).expect("checked by the engine");
    keys.iter()
        .filter(|key| t.column(key).is_some_and(|col| !col.not_null))
        .map(|key| {
            UndoSql::text(
                text::alter_column(table, key, ColumnChange::DropNotNull),
                false,
            )
            .with_effect(Effect::DropsNotNull {
                table: table.clone(),
                column: key.clone(),
            })
        })
        .collect()
}

undo_rule! {
    /// a dropped constraint is added back as it was
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … DROP CONSTRAINT`
    /// - `ALTER TABLE … DROP CONSTRAINT IF EXISTS`
    /// - `ALTER TABLE … DROP CONSTRAINT … CASCADE`
    ///
    /// ## The undo
    ///
    /// Adds the constraint back as the model recorded it (`NOT VALID` if it was), together with the foreign keys that a dropped primary key or unique constraint took with it. A primary key or unique constraint on a table in use (one the migration neither creates nor drops) is not added by building its index under ACCESS EXCLUSIVE: a unique index `<name>_undo` is built `CONCURRENTLY` in a migration of its own, then `ADD CONSTRAINT … USING INDEX` takes it over (and renames it) under a brief lock. Where the undo also drops a constraint of that name (a primary key swapped by the forward), the build runs before that drop, so the drop and the re-add share one short transaction. Its key columns are NOT NULL already (a primary key made them so, and dropping it keeps that), so `USING INDEX` does not scan for NULLs. A key with `INCLUDE`, storage options, a tablespace, `NULLS NOT DISTINCT` or `DEFERRABLE` is added back as it was. A valid foreign key or CHECK is added `NOT VALID` (a brief lock, no scan, so writes go on) and validated by `VALIDATE CONSTRAINT` in a later transaction: in a migration of its own after the one that adds it, since batch mode runs a file as one transaction and the add's lock would otherwise be held through the scan (`VALIDATE` takes SHARE UPDATE EXCLUSIVE: reads and writes go on).
    ///
    /// ## Verdict
    ///
    /// When a later statement of the same migration adds a constraint identical to it apart from the name (a rename done as a drop and an add), the undo renames that one back instead (`ALTER TABLE … RENAME CONSTRAINT b TO a`, in the undo of the add; see `src/undo/rebuilt.rs`): **exact**, no row checked.
    ///
    /// **exact** for a `NOT VALID` constraint (existing rows are not checked). Otherwise **lossy**: re-adding validates every row, so the undo fails if rows written since violate it (duplicates, orphans, failed checks); a failed `VALIDATE` leaves the constraint `NOT VALID`, enforced for new rows only, and a failed `CONCURRENTLY` build leaves an INVALID index `<name>_undo` behind, to drop before deploying again. **manual** when no earlier migration creates the constraint.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "n" INTEGER CONSTRAINT "n_positive" CHECK ("n" > 0));
    ///
    /// -- this migration
    /// ALTER TABLE "Post" DROP CONSTRAINT "n_positive";
    /// ```
    ///
    /// Its undo, **lossy**:
    ///
    /// ```sql
    /// ALTER TABLE "Post" ADD CONSTRAINT n_positive CHECK (n > 0) NOT VALID;
    /// ALTER TABLE "Post" VALIDATE CONSTRAINT n_positive; -- in a later transaction
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/constraints/drop_constraints.sql` (snapshot `snapshots/constraints__drop_constraints.snap`)
    /// - `tests/cases/constraints/keys_dropped_in_use.sql` (snapshot `snapshots/constraints__keys_dropped_in_use.snap`)
    /// - `tests/cases/constraints/pk_swap_in_use.sql` (snapshot `snapshots/constraints__pk_swap_in_use.snap`)
    /// - `tests/cases/constraints/pk_swap_using_index.sql` (snapshot `snapshots/constraints__pk_swap_using_index.snap`)
    /// - `tests/cases/constraints/using_index_unknown_dropped.sql` (snapshot `snapshots/constraints__using_index_unknown_dropped.snap`)
    /// - `tests/cases/indexes/renamed_by_rebuild.sql` (snapshot `snapshots/indexes__renamed_by_rebuild.snap`)
    /// - `tests/cases/constraints/primary_key_swap_drops_its_column.sql` (snapshot `snapshots/constraints__primary_key_swap_drops_its_column.snap`)
    UNDO_DROP_CONSTRAINT = "undo-drop-constraint";
}

/// The undo of rule `undo-drop-constraint` (UNDO_DROP_CONSTRAINT above).
pub fn drop_constraint(
    catalog: &Catalog,
    table: &QName,
    cmd: &pb::AlterTableCmd,
    scope: &LazyScope<'_>,
) -> Undo {
    let t = catalog.table(table).expect("checked by the engine");
    let Some(c) = t.constraint(&cmd.name) else {
        if cmd.missing_ok {
            return Undo::nothing(format!(
                "constraint {} did not exist, so DROP CONSTRAINT IF EXISTS did nothing",
                Ident(&cmd.name)
            ));
        }
        if let Some(why) = &t.opaque {
            return Undo::manual(format!(
                "the definition of constraint {} of {table} is unknown: {why}",
                Ident(&cmd.name)
            ));
        }
        return Undo::manual(format!(
            "constraint {} of {table} is not created by any earlier migration, so its definition is unknown",
            Ident(&cmd.name)
        ));
    };
    if let Some(undo) = into_table_recreated_empty(catalog, table, c, scope) {
        return undo;
    }
    let online_key = table_in_use(catalog, table, scope)
        .then(|| keys::add_key_online(catalog, table, c))
        .flatten();
    let (mut statements, key_note) = match online_key {
        Some((statements, note)) => (statements, Some(note)),
        None => (recreate::add_constraint_online(table, c), None),
    };
    let dependents = dependent_foreign_keys(catalog, table, c);
    if dependents.is_empty() {
        // The whole undo adds `c` back: a later pass may rename instead (super::rebuilt).
        if let Some(free) = statements.iter_mut().find(|s| s.effect.is_none()) {
            free.effect = Some(Box::new(Effect::AddsConstraint {
                table: table.clone(),
                name: c.name.clone(),
                definition: recreate::constraint_node(c),
            }));
        }
    }
    statements.extend(
        dependents
            .iter()
            .flat_map(|(t, fk)| recreate::add_constraint_online(t, fk)),
    );
    let reason = format!("adds constraint {} back to {table}", Ident(&c.name));
    // Rows the re-added (and validated) constraints would reject fail the undo first.
    let guards: Vec<Guard> = std::iter::once((table, c))
        .filter(|_| !c.not_valid)
        .chain(dependents.iter().map(|(t, fk)| (t, fk)))
        .filter_map(|(t, c)| Guard::violations(t, c))
        .collect();
    if let Some(note) = key_note {
        let dependents = if dependents.is_empty() {
            ""
        } else {
            "; the foreign keys that pointed at it come back NOT VALID and are validated in a later transaction, which fails if rows written since violate them"
        };
        Undo::lossy(format!("{note}{dependents}"), statements).guarded(guards)
    } else if c.not_valid && dependents.is_empty() {
        Undo::exact(
            format!("{reason} as NOT VALID, without checking rows"),
            statements,
        )
    } else if recreate::validates_later(c) && !c.not_valid {
        let dependents = if dependents.is_empty() {
            ""
        } else {
            " (and the foreign keys that pointed at it)"
        };
        Undo::lossy(
            format!(
                "{reason}{dependents} NOT VALID, so writes go on, then validates it in a later transaction (a migration of its own): the VALIDATE reads every row and fails if rows written since violate it, leaving the constraint NOT VALID (enforced for new rows only)"
            ),
            statements,
        )
        .guarded(guards)
    } else {
        let dependents = if dependents.is_empty() {
            ""
        } else {
            "; the foreign keys that pointed at it come back NOT VALID and are validated in a later transaction, which fails if rows written since violate them"
        };
        Undo::lossy(
            format!(
                "{reason}: it checks every row, so the undo fails if rows written since violate it{dependents}"
            ),
            statements,
        )
        .guarded(guards)
    }
}

/// A foreign key of a table in use into a table the same migration drops: the undo recreates
/// that table empty, so every row of the table in use that references anything would violate
/// the key. The undo adds it back (`NOT VALID`, validated later) behind a preflight check that
/// no row references anything: it deploys where the column is unused, and elsewhere fails
/// whole, before any change, saying to bring the parent's rows back first.
fn into_table_recreated_empty(
    catalog: &Catalog,
    table: &QName,
    c: &Constraint,
    scope: &LazyScope<'_>,
) -> Option<Undo> {
    let (parent, _) = c.references.as_ref()?;
    if parent == table {
        return None;
    }
    let touches = scope.get();
    let recreated = !touches.keeps_table(parent) && !touches.creates(parent, |_| true);
    if !recreated || !table_in_use(catalog, table, scope) {
        return None;
    }
    let guard = Guard::references_into_emptied(table, c)?;
    Some(
        Undo::lossy(
            format!(
                "adds foreign key {} of {table} back into {parent}, which this migration drops and its undo recreates empty: it holds only while no row of {table} has a ({}) set; where one has, bring {parent}'s rows back first (from a backup), or clear those references, then deploy again. It is added NOT VALID, so writes go on, and validated in a later transaction",
                Ident(&c.name),
                Idents(&c.columns),
            ),
            recreate::add_constraint_online(table, c),
        )
        .guarded([guard]),
    )
}

/// Foreign keys that `DROP CONSTRAINT … CASCADE` removes with a primary key or unique constraint.
fn dependent_foreign_keys(
    catalog: &Catalog,
    table: &QName,
    c: &Constraint,
) -> Vec<(QName, Constraint)> {
    if !matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique) {
        return Vec::new();
    }
    catalog
        .foreign_keys_into(table)
        .filter(|(_, fk)| matches!(&fk.references, Some((_, cols)) if cols == &c.columns))
        .map(|(t, fk)| (t.name.clone(), fk.clone()))
        .collect()
}

undo_rule! {
    /// a validated constraint is made NOT VALID again
    ///
    /// ## Undoes
    ///
    /// - `ALTER TABLE … VALIDATE CONSTRAINT`
    ///
    /// ## The undo
    ///
    /// PostgreSQL cannot mark a constraint unvalidated, so the undo drops it and adds it back `NOT VALID`.
    ///
    /// ## Verdict
    ///
    /// **exact**: the constraint returns to its unvalidated state; rows are untouched. Nothing to undo when it was already valid; **manual** when no earlier migration creates it.
    ///
    /// ## Example
    ///
    /// ```sql
    /// -- earlier migrations
    /// CREATE TABLE "Post" ("id" TEXT PRIMARY KEY, "n" INTEGER);
    /// ALTER TABLE "Post" ADD CONSTRAINT "n_positive" CHECK ("n" > 0) NOT VALID;
    ///
    /// -- this migration
    /// ALTER TABLE "Post" VALIDATE CONSTRAINT "n_positive";
    /// ```
    ///
    /// Its undo, **exact**:
    ///
    /// ```sql
    /// ALTER TABLE "Post" DROP CONSTRAINT n_positive;
    /// ALTER TABLE "Post" ADD CONSTRAINT n_positive CHECK (n > 0) NOT VALID;
    /// ```
    ///
    /// ## Cases
    ///
    /// - `tests/cases/constraints/add_constraints.sql` (snapshot `snapshots/constraints__add_constraints.snap`)
    UNDO_VALIDATE_CONSTRAINT = "undo-validate-constraint";
}

/// The undo of rule `undo-validate-constraint` (UNDO_VALIDATE_CONSTRAINT above).
pub fn validate_constraint(catalog: &Catalog, table: &QName, cmd: &pb::AlterTableCmd) -> Undo {
    let t = catalog.table(table).expect("checked by the engine");
    let Some(c) = t.constraint(&cmd.name) else {
        return Undo::manual(format!(
            "constraint {} of {table} is not created by any earlier migration",
            Ident(&cmd.name)
        ));
    };
    if !c.not_valid {
        return Undo::nothing(format!("constraint {} was already valid", Ident(&c.name)));
    }
    Undo::exact(
        format!(
            "turns constraint {} back into a NOT VALID constraint",
            Ident(&c.name)
        ),
        vec![
            recreate::drop_constraint(
                table,
                &c.name,
                c.references.as_ref().map(|r| r.0.clone()),
                c.columns.clone(),
            ),
            recreate::add_constraint(table, c),
        ],
    )
}
