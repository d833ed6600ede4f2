//! Zero-downtime hazard rules. One file per family; every rule has a stable id (never
//! renamed or reused: CI configurations name them in `--fail-on`) and a documentation page
//! `docs/rules/<id>.md` saying what it finds, why it hurts, and what to write instead.
//!
//! A rule reads one statement and its [`Context`] (the model just before the statement, the
//! whole file) and returns hazards; rules never see each other's results.

mod columns;
mod compat;
mod constraints;
mod indexes;
mod maintenance;
mod timeouts;
mod transactions;

use serde::{Serialize, Serializer};

use super::{Context, Impact};
use crate::sql::NodeEnum;

/// Every rule, by stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    AddColumnNotNullWithoutDefault,
    AddColumnRewritesTable,
    AlterColumnTypeRewritesTable,
    SetNotNullScansTable,
    CreateIndexWithoutConcurrently,
    DropIndexWithoutConcurrently,
    ReindexWithoutConcurrently,
    AddForeignKeyWithoutNotValid,
    AddCheckWithoutNotValid,
    AddUniqueConstraintBuildsIndex,
    ValidateInSameTransaction,
    NonTransactionalInTransaction,
    EnumValueAddedAndUsed,
    BackfillHoldingDdlLock,
    DropColumn,
    DropTable,
    RenameColumn,
    RenameTable,
    RenameEnumValue,
    DropDefaultOfNotNullColumn,
    WholeTableRewrite,
    RefreshMaterializedViewWithoutConcurrently,
    MissingLockTimeout,
}

impl Rule {
    pub const ALL: &'static [Rule] = &[
        Rule::AddColumnNotNullWithoutDefault,
        Rule::AddColumnRewritesTable,
        Rule::AlterColumnTypeRewritesTable,
        Rule::SetNotNullScansTable,
        Rule::CreateIndexWithoutConcurrently,
        Rule::DropIndexWithoutConcurrently,
        Rule::ReindexWithoutConcurrently,
        Rule::AddForeignKeyWithoutNotValid,
        Rule::AddCheckWithoutNotValid,
        Rule::AddUniqueConstraintBuildsIndex,
        Rule::ValidateInSameTransaction,
        Rule::NonTransactionalInTransaction,
        Rule::EnumValueAddedAndUsed,
        Rule::BackfillHoldingDdlLock,
        Rule::DropColumn,
        Rule::DropTable,
        Rule::RenameColumn,
        Rule::RenameTable,
        Rule::RenameEnumValue,
        Rule::DropDefaultOfNotNullColumn,
        Rule::WholeTableRewrite,
        Rule::RefreshMaterializedViewWithoutConcurrently,
        Rule::MissingLockTimeout,
    ];

    /// The stable id: the name of its documentation page and of `--fail-on` values.
    pub fn id(self) -> &'static str {
        match self {
            Rule::AddColumnNotNullWithoutDefault => "add-column-not-null-without-default",
            Rule::AddColumnRewritesTable => "add-column-rewrites-table",
            Rule::AlterColumnTypeRewritesTable => "alter-column-type-rewrites-table",
            Rule::SetNotNullScansTable => "set-not-null-scans-table",
            Rule::CreateIndexWithoutConcurrently => "create-index-without-concurrently",
            Rule::DropIndexWithoutConcurrently => "drop-index-without-concurrently",
            Rule::ReindexWithoutConcurrently => "reindex-without-concurrently",
            Rule::AddForeignKeyWithoutNotValid => "add-foreign-key-without-not-valid",
            Rule::AddCheckWithoutNotValid => "add-check-without-not-valid",
            Rule::AddUniqueConstraintBuildsIndex => "add-unique-constraint-builds-index",
            Rule::ValidateInSameTransaction => "validate-in-same-transaction",
            Rule::NonTransactionalInTransaction => "non-transactional-in-transaction",
            Rule::EnumValueAddedAndUsed => "enum-value-added-and-used",
            Rule::BackfillHoldingDdlLock => "backfill-holding-ddl-lock",
            Rule::DropColumn => "drop-column",
            Rule::DropTable => "drop-table",
            Rule::RenameColumn => "rename-column",
            Rule::RenameTable => "rename-table",
            Rule::RenameEnumValue => "rename-enum-value",
            Rule::DropDefaultOfNotNullColumn => "drop-default-of-not-null-column",
            Rule::WholeTableRewrite => "whole-table-rewrite",
            Rule::RefreshMaterializedViewWithoutConcurrently => {
                "refresh-materialized-view-without-concurrently"
            }
            Rule::MissingLockTimeout => "missing-lock-timeout",
        }
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// Where its documentation lives, relative to the repository.
    pub fn doc(self) -> String {
        format!("docs/rules/{}.md", self.id())
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One hazard found in one statement.
#[derive(Debug, Clone, Serialize)]
pub struct Hazard {
    pub rule: Rule,
    /// What is wrong here, naming the objects.
    pub message: String,
    /// What to write instead.
    pub help: String,
    pub doc: String,
}

impl Hazard {
    pub fn new(rule: Rule, message: impl Into<String>, help: impl Into<String>) -> Self {
        Hazard {
            rule,
            message: message.into(),
            help: help.into(),
            doc: rule.doc(),
        }
    }
}

/// Every hazard of one statement, family by family. `impact` is the statement's own
/// documented impact (see [`super::impact`]).
pub fn check(ctx: &Context, node: &NodeEnum, impact: &Impact) -> Vec<Hazard> {
    let mut out = Vec::new();
    columns::check(ctx, node, &mut out);
    constraints::check(ctx, node, &mut out);
    indexes::check(ctx, node, &mut out);
    transactions::check(ctx, node, &mut out);
    compat::check(ctx, node, &mut out);
    maintenance::check(ctx, node, &mut out);
    timeouts::check(ctx, impact, &mut out);
    out
}

/// The `ALTER TABLE` commands of a statement on a table (not an index or view), with the
/// table's name.
pub(super) fn table_cmds(
    node: &NodeEnum,
) -> Option<(
    crate::sql::QName,
    impl Iterator<Item = &crate::sql::pb::AlterTableCmd>,
)> {
    let NodeEnum::AlterTableStmt(s) = node else {
        return None;
    };
    if s.objtype != crate::sql::pb::ObjectType::ObjectTable as i32 {
        return None;
    }
    let table = crate::sql::QName::from_range_var(s.relation.as_ref()?);
    let cmds = s.cmds.iter().filter_map(|c| match &c.node {
        Some(NodeEnum::AlterTableCmd(cmd)) => Some(&**cmd),
        _ => None,
    });
    Some((table, cmds))
}
