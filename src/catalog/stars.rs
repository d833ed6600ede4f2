//! `SELECT *` in a view is expanded by PostgreSQL when the view is created, to the columns
//! that exist then. Recreating the view later from its text would pick up columns added
//! since, so the model expands stars itself, against the model as it stands at creation:
//! in the view's own select list, and in the CTEs and `FROM` subqueries it reads, whose
//! output columns then resolve a star over them too.

use super::Catalog;
use crate::sql::{build, pb, string_list, string_value, Node, NodeEnum, QName};

/// Expands `*` and `alias.*` in the view query's select lists. Returns why not, when a star
/// refers to something whose columns the model does not know (a function, a view, a table
/// of unknown shape) or sits where the model does not look (a subquery in an expression).
pub fn expand_stars(catalog: &Catalog, query: &mut Node) -> Result<(), String> {
    if let Some(NodeEnum::SelectStmt(select)) = &mut query.node {
        expand_select(catalog, select, &[])?;
    }
    // Any star left (in a subquery inside an expression) would expand differently when
    // replayed.
    let remaining = serde_json::to_string(&*query).is_ok_and(|json| json.contains("\"AStar\""));
    if remaining {
        return Err("the view selects * in a subquery inside an expression (EXISTS, IN, …), which unmigrate does not expand".into());
    }
    Ok(())
}

/// A CTE in scope: its name, and its output columns when the model could work them out.
struct Cte {
    name: String,
    columns: Option<Vec<String>>,
}

/// Expands the stars of one `SELECT` (and of the CTEs and subqueries it reads), and returns
/// its output column names where they are known; `outer` are the CTEs of the queries around
/// it.
fn expand_select(
    catalog: &Catalog,
    select: &mut pb::SelectStmt,
    outer: &[&Cte],
) -> Result<Option<Vec<String>>, String> {
    let mut scope: Vec<Cte> = Vec::new();
    if let Some(with) = select.with_clause.as_mut() {
        if with.recursive {
            // Every CTE sees every other (and itself): their names are known, not their columns.
            for cte in &with.ctes {
                if let Some(NodeEnum::CommonTableExpr(c)) = &cte.node {
                    scope.push(Cte {
                        name: c.ctename.clone(),
                        columns: None,
                    });
                }
            }
        }
        for cte in &mut with.ctes {
            let Some(NodeEnum::CommonTableExpr(c)) = &mut cte.node else {
                continue;
            };
            let visible: Vec<&Cte> = scope.iter().chain(outer.iter().copied()).collect();
            let columns = match c.ctequery.as_deref_mut().and_then(|q| q.node.as_mut()) {
                Some(NodeEnum::SelectStmt(body)) => expand_select(catalog, body, &visible)?,
                _ => None,
            };
            let columns = renamed(columns, &c.aliascolnames);
            scope.retain(|s| s.name != c.ctename);
            scope.push(Cte {
                name: c.ctename.clone(),
                columns,
            });
        }
    }
    let visible: Vec<&Cte> = scope.iter().chain(outer.iter().copied()).collect();
    if let Some(larg) = select.larg.as_deref_mut() {
        let columns = expand_select(catalog, larg, &visible)?;
        if let Some(rarg) = select.rarg.as_deref_mut() {
            expand_select(catalog, rarg, &visible)?;
        }
        // A set operation's columns are named by its first branch.
        return Ok(columns);
    }
    if let Some(first) = select.values_lists.first() {
        let width = match &first.node {
            Some(NodeEnum::List(row)) => row.items.len(),
            _ => return Ok(None),
        };
        return Ok(Some((1..=width).map(|i| format!("column{i}")).collect()));
    }
    let mut sources = Vec::new();
    for item in &mut select.from_clause {
        collect_sources(catalog, item, &visible, &mut sources)?;
    }
    let mut expanded = Vec::with_capacity(select.target_list.len());
    for target in std::mem::take(&mut select.target_list) {
        match star_of(&target) {
            Some(qualifier) => expanded.extend(expand(&sources, qualifier.as_deref())?),
            None => expanded.push(target),
        }
    }
    select.target_list = expanded;
    Ok(select.target_list.iter().map(output_name).collect())
}

/// A FROM item: its visible name and its columns, when the model knows them.
struct Source {
    name: String,
    columns: Option<Vec<String>>,
    /// What it is, for the message when its columns are not known.
    what: &'static str,
}

impl Source {
    fn unknown(what: &'static str) -> Source {
        Source {
            name: String::new(),
            columns: None,
            what,
        }
    }
}

fn collect_sources(
    catalog: &Catalog,
    item: &mut Node,
    ctes: &[&Cte],
    out: &mut Vec<Source>,
) -> Result<(), String> {
    match &mut item.node {
        Some(NodeEnum::RangeVar(rv)) => {
            let name = rv
                .alias
                .as_ref()
                .map_or(rv.relname.clone(), |a| a.aliasname.clone());
            let cte = ctes
                .iter()
                .find(|c| rv.schemaname.is_empty() && c.name == rv.relname);
            let (columns, what) = match cte {
                Some(cte) => (cte.columns.clone(), "a CTE with an unnamed expression"),
                None => (
                    catalog
                        .tables
                        .get(&QName::from_range_var(rv))
                        .filter(|t| t.opaque.is_none())
                        .map(|t| t.columns.iter().map(|c| c.name.clone()).collect()),
                    "a relation that is not a table of known columns",
                ),
            };
            let aliases = rv.alias.as_ref().map_or(&[][..], |a| &a.colnames[..]);
            out.push(Source {
                name,
                columns: renamed(columns, aliases),
                what,
            });
        }
        Some(NodeEnum::JoinExpr(join)) => {
            if join.alias.is_some() || !join.using_clause.is_empty() || join.is_natural {
                // USING/NATURAL merge columns and a join alias hides the inner names.
                out.push(Source::unknown("a join with USING, NATURAL or an alias"));
            }
            for side in [&mut join.larg, &mut join.rarg].into_iter().flatten() {
                collect_sources(catalog, side, ctes, out)?;
            }
        }
        Some(NodeEnum::RangeSubselect(sub)) => {
            let columns = match sub.subquery.as_deref_mut().and_then(|q| q.node.as_mut()) {
                Some(NodeEnum::SelectStmt(body)) => expand_select(catalog, body, ctes)?,
                _ => None,
            };
            let alias = sub.alias.as_ref();
            out.push(Source {
                name: alias.map(|a| a.aliasname.clone()).unwrap_or_default(),
                columns: renamed(columns, alias.map_or(&[][..], |a| &a.colnames[..])),
                what: "a subquery with an unnamed expression",
            });
        }
        _ => out.push(Source::unknown("a function")),
    }
    Ok(())
}

/// Column aliases (`AS x(a, b)`) rename the first columns, in order.
fn renamed(columns: Option<Vec<String>>, aliases: &[Node]) -> Option<Vec<String>> {
    let mut columns = columns?;
    let aliases = string_list(aliases);
    if aliases.len() > columns.len() {
        return None;
    }
    for (column, alias) in columns.iter_mut().zip(aliases) {
        *column = alias;
    }
    Some(columns)
}

/// The name PostgreSQL gives a select-list entry: its alias, or the column it reads. Other
/// expressions get generated names (`?column?`, a function's name) that the model does not
/// work out, so the query's columns are then unknown.
fn output_name(target: &Node) -> Option<String> {
    let Some(NodeEnum::ResTarget(rt)) = &target.node else {
        return None;
    };
    if !rt.name.is_empty() {
        return Some(rt.name.clone());
    }
    match rt.val.as_deref().and_then(|v| v.node.as_ref()) {
        Some(NodeEnum::ColumnRef(cr)) => {
            cr.fields.last().and_then(string_value).map(str::to_string)
        }
        _ => None,
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

fn expand(sources: &[Source], qualifier: Option<&str>) -> Result<Vec<Node>, String> {
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
        let columns = source
            .columns
            .as_ref()
            .filter(|_| !source.name.is_empty())
            .ok_or_else(|| {
                format!(
                    "the view selects * from {}, whose columns unmigrate does not know",
                    source.what
                )
            })?;
        for column in columns {
            let reference = build::node(NodeEnum::ColumnRef(pb::ColumnRef {
                fields: vec![build::string(&source.name), build::string(column)],
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
