//! The deparser's text for the statements undo rules build most (tables, columns with their
//! types and simple defaults, key constraints, enum types, renames, plain column indexes),
//! written here instead: a deparse encodes the tree to protobuf, decodes it in C and frees it
//! again, which costs far more than these statements are long.
//!
//! A statement is written here only when every field the deparser reads is one this module
//! writes the way the deparser does; anything else (another kind of expression, an option, a
//! shape not listed) gets `None` and goes to the deparser. Structs are taken apart without `..`, so a
//! field added by a pg_query upgrade must be looked at here before this compiles again. The
//! tests compare every shape and option with the deparser's own output.
//!
//! One file per kind of statement; names go through [`super::quote`], as everywhere.

mod columns;
mod constraints;
mod indexes;
mod renames;
mod tables;
#[cfg(test)]
mod tests;
mod types;
mod values;

use std::fmt::Write;

use super::quote::Ident;
use super::{pb, Node, NodeEnum};

/// The deparser's text for `node`, when it is a shape written here.
pub(crate) fn write(node: &NodeEnum) -> Option<String> {
    let mut out = String::with_capacity(128);
    match node {
        NodeEnum::CreateStmt(s) => tables::create_table(&mut out, s)?,
        NodeEnum::AlterTableStmt(s) => tables::alter_table(&mut out, s)?,
        NodeEnum::CreateEnumStmt(s) => types::create_enum(&mut out, s)?,
        NodeEnum::RenameStmt(s) => renames::rename(&mut out, s)?,
        NodeEnum::IndexStmt(s) => indexes::create_index(&mut out, s)?,
        _ => return None,
    }
    Some(out)
}

/// A relation as `deparseRangeVar` writes it outside FROM: `[ONLY ][schema.]name`.
pub(super) fn relation_name(out: &mut String, rv: &pb::RangeVar) -> Option<()> {
    let pb::RangeVar {
        catalogname,
        schemaname,
        relname,
        inh,
        relpersistence: _, // written by CREATE statements only
        alias,
        location: _,
    } = rv;
    if !catalogname.is_empty() || alias.is_some() || relname.is_empty() {
        return None;
    }
    if !*inh {
        out.push_str("ONLY ");
    }
    if !schemaname.is_empty() {
        let _ = write!(out, "{}.", Ident(schemaname));
    }
    let _ = write!(out, "{}", Ident(relname));
    Some(())
}

/// `a, b`: names of a column list.
pub(super) fn column_list(out: &mut String, columns: &[Node]) -> Option<()> {
    separated(out, columns, ", ", |out, column| {
        let _ = write!(out, "{}", Ident(string(column)?));
        Some(())
    })
}

/// Writes each item with `write`, `separator` between them; `None` as soon as one cannot be
/// written.
pub(super) fn separated<T>(
    out: &mut String,
    items: &[T],
    separator: &str,
    mut write: impl FnMut(&mut String, &T) -> Option<()>,
) -> Option<()> {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        write(out, item)?;
    }
    Some(())
}

/// `a.b`: a dotted name such as a type's.
pub(super) fn any_name(out: &mut String, names: &[Node]) -> Option<()> {
    if names.is_empty() {
        return None;
    }
    separated(out, names, ".", |out, name| {
        let _ = write!(out, "{}", Ident(string(name)?));
        Some(())
    })
}

pub(super) fn string(node: &Node) -> Option<&str> {
    super::string_value(node)
}
