//! `SELECT *` in a view is expanded by PostgreSQL when the view is created, to the columns
//! that exist then. Recreating the view later from its text would pick up columns added
//! since, so the model expands stars itself, against the model as it stands at creation.

use super::Catalog;
use crate::sql::{build, pb, string_list, Node, NodeEnum, QName};

/// Expands `*` and `alias.*` in the view query's select lists. Returns why not, when a star
/// refers to something whose columns the model does not know (a subquery, CTE, function).
pub fn expand_stars(catalog: &Catalog, query: &mut Node) -> Result<(), String> {
    if let Some(NodeEnum::SelectStmt(select)) = &mut query.node {
        expand_select(catalog, select)?;
    }
    // Any star left (inside a subquery or CTE) would expand differently when replayed.
    let remaining = serde_json::to_string(&*query).is_ok_and(|json| json.contains("\"AStar\""));
    if remaining {
        return Err("the view selects * from a subquery, CTE or function whose columns unmigrate does not track".into());
    }
    Ok(())
}

fn expand_select(catalog: &Catalog, select: &mut pb::SelectStmt) -> Result<(), String> {
    if let Some(larg) = select.larg.as_deref_mut() {
        expand_select(catalog, larg)?;
    }
    if let Some(rarg) = select.rarg.as_deref_mut() {
        expand_select(catalog, rarg)?;
    }
    let ctes: Vec<String> = select
        .with_clause
        .iter()
        .flat_map(|w| &w.ctes)
        .filter_map(|c| match &c.node {
            Some(NodeEnum::CommonTableExpr(cte)) => Some(cte.ctename.clone()),
            _ => None,
        })
        .collect();
    let mut sources = Vec::new();
    for item in &select.from_clause {
        collect_sources(item, &ctes, &mut sources);
    }
    let mut expanded = Vec::with_capacity(select.target_list.len());
    for target in std::mem::take(&mut select.target_list) {
        match star_of(&target) {
            Some(qualifier) => expanded.extend(expand(catalog, &sources, qualifier.as_deref())?),
            None => expanded.push(target),
        }
    }
    select.target_list = expanded;
    Ok(())
}

/// A FROM item: its visible name and the table behind it, when it is a plain table.
struct Source {
    name: String,
    table: Option<QName>,
}

fn collect_sources(item: &Node, ctes: &[String], out: &mut Vec<Source>) {
    match &item.node {
        Some(NodeEnum::RangeVar(rv)) => {
            let name = rv
                .alias
                .as_ref()
                .map_or(rv.relname.clone(), |a| a.aliasname.clone());
            let is_cte = rv.schemaname.is_empty() && ctes.contains(&rv.relname);
            let has_column_aliases = rv.alias.as_ref().is_some_and(|a| !a.colnames.is_empty());
            let table = (!is_cte && !has_column_aliases).then(|| QName::from_range_var(rv));
            out.push(Source { name, table });
        }
        Some(NodeEnum::JoinExpr(join)) => {
            if join.alias.is_some() || !join.using_clause.is_empty() || join.is_natural {
                // USING/NATURAL merge columns and a join alias hides the inner names.
                out.push(Source {
                    name: String::new(),
                    table: None,
                });
            }
            for side in [&join.larg, &join.rarg].into_iter().flatten() {
                collect_sources(side, ctes, out);
            }
        }
        Some(NodeEnum::RangeSubselect(sub)) => out.push(Source {
            name: sub
                .alias
                .as_ref()
                .map(|a| a.aliasname.clone())
                .unwrap_or_default(),
            table: None,
        }),
        _ => out.push(Source {
            name: String::new(),
            table: None,
        }),
    }
}

/// `Some(None)` for a bare `*`, `Some(Some(alias))` for `alias.*`.
fn star_of(target: &Node) -> Option<Option<String>> {
    let Some(NodeEnum::ResTarget(rt)) = &target.node else {
        return None;
    };
    let Some(NodeEnum::ColumnRef(cr)) = rt.val.as_deref().and_then(|v| v.node.as_ref()) else {
        return None;
    };
    if !matches!(
        cr.fields.last().and_then(|f| f.node.as_ref()),
        Some(NodeEnum::AStar(_))
    ) {
        return None;
    }
    let names = string_list(&cr.fields);
    Some(names.last().cloned())
}

fn expand(
    catalog: &Catalog,
    sources: &[Source],
    qualifier: Option<&str>,
) -> Result<Vec<Node>, String> {
    let chosen: Vec<&Source> = match qualifier {
        Some(q) => sources.iter().filter(|s| s.name == q).collect(),
        None => sources.iter().collect(),
    };
    if chosen.is_empty() {
        return Err(format!(
            "the view selects {}.* from something unmigrate cannot resolve",
            qualifier.unwrap_or("")
        ));
    }
    let mut out = Vec::new();
    for source in chosen {
        let table = source
            .table
            .as_ref()
            .and_then(|t| catalog.tables.get(t))
            .filter(|t| t.opaque.is_none())
            .ok_or_else(|| {
                "the view selects * from a relation whose columns unmigrate does not know"
                    .to_string()
            })?;
        for column in &table.columns {
            let reference = build::node(NodeEnum::ColumnRef(pb::ColumnRef {
                fields: vec![build::string(&source.name), build::string(&column.name)],
                location: -1,
            }));
            out.push(build::node(NodeEnum::ResTarget(Box::new(pb::ResTarget {
                val: Some(Box::new(reference)),
                location: -1,
                ..Default::default()
            }))));
        }
    }
    Ok(out)
}
