//! Table constraints: `ADD CONSTRAINT` ↔ `DROP CONSTRAINT`, and `VALIDATE CONSTRAINT`.

use super::{recreate, Undo, UndoSql};
use crate::catalog::{Catalog, Constraint, ConstraintKind};
use crate::sql::quote::Ident;
use crate::sql::text::{self, ColumnChange};
use crate::sql::{pb, NodeEnum, QName};

/// Undoes `ADD CONSTRAINT` (any kind, `NOT VALID` included) with `DROP CONSTRAINT`. A primary
/// key also made its columns NOT NULL, so those that were nullable become nullable again.
///
/// Verdict **exact**: dropping a constraint keeps every row.
///
/// ```sql
/// ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"("id");
/// -- undo:
/// ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";
/// ```
pub fn add_constraint(catalog: &Catalog, table: &QName, cmd: &pb::AlterTableCmd) -> Undo {
    let Some(NodeEnum::Constraint(c)) = cmd.def.as_deref().and_then(|d| d.node.as_ref()) else {
        return Undo::manual("ADD CONSTRAINT without a definition");
    };
    let Some(name) = catalog.new_constraint_name(table, c) else {
        return Undo::manual("this kind of constraint (column NOT NULL as a table constraint) is not modelled; reverse it by hand");
    };
    if !c.indexname.is_empty() {
        return add_constraint_using_index(catalog, table, c, &name);
    }
    let mut statements = vec![recreate::drop_constraint(table, &name)];
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

/// Undoes `ADD [CONSTRAINT c] {PRIMARY KEY | UNIQUE} USING INDEX i`: drops the constraint
/// (which drops the index it took over), makes nullable again the key columns that a primary
/// key made NOT NULL, and recreates index `i` under its own name as it was defined. What
/// PostgreSQL does with the index's name and with NOT NULL is in `catalog/using_index.rs`.
///
/// Verdict **exact**: the schema returns as it was and no row changes; the reason says that
/// the index is rebuilt (a full scan under a SHARE lock: writes to the table wait).
/// **manual** when no earlier migration recorded the index's definition.
///
/// ```sql
/// ALTER TABLE "t" ADD PRIMARY KEY USING INDEX "t_id_idx";
/// -- undo (the constraint took the index's name):
/// ALTER TABLE "t" DROP CONSTRAINT "t_id_idx";
/// ALTER TABLE "t" ALTER COLUMN "id" DROP NOT NULL;
/// CREATE UNIQUE INDEX t_id_idx ON t USING btree (id);
/// ```
fn add_constraint_using_index(
    catalog: &Catalog,
    table: &QName,
    c: &pb::Constraint,
    name: &str,
) -> Undo {
    let Some(index) = catalog.adopted_index(table, &c.indexname) else {
        return Undo::manual(format!(
            "the constraint took over index {}, whose definition no earlier migration recorded; drop constraint {} and recreate the index by hand",
            Ident(&c.indexname),
            Ident(name)
        ));
    };
    let mut statements = vec![recreate::drop_constraint(table, name)];
    if c.contype == pb::ConstrType::ConstrPrimary as i32 {
        statements.extend(drop_not_null_made_by_key(
            catalog,
            table,
            &index.key_columns(),
        ));
    }
    statements.push(recreate::create_index(index, false));
    let renamed = if index.name.name == name {
        String::new()
    } else {
        format!(" (the constraint had renamed it to {})", Ident(name))
    };
    Undo::exact(
        format!(
            "drops constraint {} of {table} with its index and recreates index {}{renamed}; the rebuild scans the table under a SHARE lock, so writes wait for it",
            Ident(name),
            index.name
        ),
        statements,
    )
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
        })
        .collect()
}

/// Undoes `DROP CONSTRAINT` by adding the constraint back as it was (`NOT VALID` if it was),
/// together with foreign keys that a dropped primary key or unique constraint took with it.
///
/// Verdict **exact** for a `NOT VALID` constraint (existing rows are not checked); otherwise
/// **lossy**: re-adding validates every row, so the undo fails if rows written since violate
/// it (duplicates, orphans, failed checks).
///
/// ```sql
/// ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";
/// -- undo:
/// ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id");
/// ```
pub fn drop_constraint(catalog: &Catalog, table: &QName, cmd: &pb::AlterTableCmd) -> Undo {
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
    let mut statements = vec![recreate::add_constraint(table, c)];
    let dependents = dependent_foreign_keys(catalog, table, c);
    statements.extend(
        dependents
            .iter()
            .map(|(t, fk)| recreate::add_constraint(t, fk)),
    );
    let reason = format!("adds constraint {} back to {table}", Ident(&c.name));
    if c.not_valid && dependents.is_empty() {
        Undo::exact(
            format!("{reason} as NOT VALID, without checking rows"),
            statements,
        )
    } else {
        Undo::lossy(
            format!(
                "{reason}: it checks every row, so the undo fails if rows written since violate it"
            ),
            statements,
        )
    }
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

/// Undoes `VALIDATE CONSTRAINT`: PostgreSQL cannot mark a constraint unvalidated, so the undo
/// drops it and adds it back `NOT VALID`.
///
/// Verdict **exact**: the constraint returns to its unvalidated state; rows are untouched.
///
/// ```sql
/// ALTER TABLE "Post" VALIDATE CONSTRAINT "Post_authorId_fkey";
/// -- undo:
/// ALTER TABLE "Post" DROP CONSTRAINT "Post_authorId_fkey";
/// ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User" ("id") NOT VALID;
/// ```
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
            recreate::drop_constraint(table, &c.name),
            recreate::add_constraint(table, c),
        ],
    )
}
