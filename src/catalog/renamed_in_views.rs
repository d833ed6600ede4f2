//! A view's recorded definition follows renames of what it reads, as PostgreSQL's views do
//! (they hold the objects themselves, not their names): a table renamed since the view was
//! created, or a column of it. Replaying the recorded text as written would read the new
//! column of the old name, or fail, so the model rewrites the text as PostgreSQL would show it.
//!
//! A column is followed only where the query leaves no doubt which table a reference reads:
//! every reference that ends in the old name is resolved against the `FROM` items of its
//! `SELECT` and of the `SELECT`s around it. Anything else (a `JOIN … USING` on the column, a
//! reference an unknown source could hold, a node kind not followed) makes the view's
//! definition not replayable, and the undo that needs it manual.

use serde_json::Value;

use crate::sql::refs::walk;
use crate::sql::{build, pb, string_list, Node, NodeEnum, QName};

/// What a `FROM` item holds, for resolving a column name.
#[derive(Clone, PartialEq)]
enum Holds {
    /// The renamed table itself.
    Renamed,
    /// A table the model knows: whether it has a column of the old name.
    Known(bool),
    /// Something whose columns are not known here (a CTE, subquery, function, view).
    Unknown,
}

struct Source {
    /// The name references qualify it by: its alias, or the relation's name.
    name: String,
    holds: Holds,
}

/// A rename of column `old` of `table` to `new`, followed through one query.
struct ColumnRename<'a> {
    table: &'a QName,
    old: &'a str,
    new: &'a str,
    /// Whether another relation has a column named `old` (`None`: not known).
    has_old: &'a dyn Fn(&QName) -> Option<bool>,
    /// The `FROM` items of the `SELECT`s being walked, innermost last.
    scopes: Vec<Vec<Source>>,
    /// CTE names visible where the walk is.
    ctes: Vec<String>,
    /// References ending in `old` the walk resolved (rewritten or left).
    seen: usize,
}

/// Rewrites `query` (a view's) for the rename of column `old` of `table` to `new`. `has_old`
/// says whether another relation has a column named `old`. Fails, saying why, when a
/// reference cannot be resolved with certainty.
pub(super) fn rename_column(
    query: &mut Node,
    table: &QName,
    old: &str,
    new: &str,
    has_old: &dyn Fn(&QName) -> Option<bool>,
) -> Result<(), String> {
    let total = references_ending_in(query, old);
    if total == 0 {
        return Ok(());
    }
    let mut rename = ColumnRename {
        table,
        old,
        new,
        has_old,
        scopes: Vec::new(),
        ctes: Vec::new(),
        seen: 0,
    };
    let Some(NodeEnum::SelectStmt(select)) = &mut query.node else {
        return Err("its query is not a SELECT".into());
    };
    rename.select(select)?;
    if rename.seen != total {
        return Err(format!(
            "column {old} of {table} it reads was renamed to {new}, and unmigrate cannot follow every reference to it"
        ));
    }
    Ok(())
}

/// How many column references in `node` end in `column`.
fn references_ending_in(node: &Node, column: &str) -> usize {
    let Ok(tree) = serde_json::to_value(node) else {
        return usize::MAX;
    };
    let mut count = 0;
    walk(&tree, &mut |key, inner| {
        let last = (key == "ColumnRef")
            .then(|| inner.get("fields").and_then(Value::as_array))
            .flatten()
            .and_then(|fields| fields.last())
            .and_then(|f| f.pointer("/node/String/sval"))
            .and_then(Value::as_str);
        if last == Some(column) {
            count += 1;
        }
    });
    count
}

impl ColumnRename<'_> {
    fn select(&mut self, s: &mut pb::SelectStmt) -> Result<(), String> {
        let ctes_before = self.ctes.len();
        if let Some(with) = &mut s.with_clause {
            for cte in &mut with.ctes {
                let Some(NodeEnum::CommonTableExpr(cte)) = &mut cte.node else {
                    continue;
                };
                // A recursive CTE reads itself.
                self.ctes.push(cte.ctename.clone());
                if let Some(NodeEnum::SelectStmt(q)) =
                    cte.ctequery.as_deref_mut().and_then(|q| q.node.as_mut())
                {
                    self.select(q)?;
                }
            }
        }
        if let (Some(l), Some(r)) = (s.larg.as_deref_mut(), s.rarg.as_deref_mut()) {
            self.select(l)?;
            self.select(r)?;
        }
        let mut sources = Vec::new();
        for item in &mut s.from_clause {
            self.source(item, &mut sources)?;
        }
        self.scopes.push(sources);
        // Join conditions were walked with the sources of their level (see `source`).
        for target in &mut s.target_list {
            self.target(target)?;
        }
        for list in [
            &mut s.group_clause,
            &mut s.sort_clause,
            &mut s.distinct_clause,
            &mut s.window_clause,
        ] {
            for node in list {
                self.expr(node)?;
            }
        }
        for row in &mut s.values_lists {
            self.expr(row)?;
        }
        for node in [&mut s.where_clause, &mut s.having_clause]
            .into_iter()
            .flatten()
        {
            self.expr(node)?;
        }
        self.scopes.pop();
        self.ctes.truncate(ctes_before);
        Ok(())
    }

    /// A `FROM` item: its sources, and the expressions it holds (join conditions, function
    /// arguments, subqueries), walked once all the sources of the level are known.
    fn source(&mut self, item: &mut Node, sources: &mut Vec<Source>) -> Result<(), String> {
        match &mut item.node {
            Some(NodeEnum::RangeVar(rv)) => {
                let name = rv
                    .alias
                    .as_ref()
                    .map_or(rv.relname.clone(), |a| a.aliasname.clone());
                let is_cte = rv.schemaname.is_empty() && self.ctes.contains(&rv.relname);
                let aliased_columns = rv.alias.as_ref().is_some_and(|a| !a.colnames.is_empty());
                let relation = QName::from_range_var(rv);
                let holds = if is_cte || aliased_columns {
                    Holds::Unknown
                } else if relation == *self.table {
                    Holds::Renamed
                } else {
                    (self.has_old)(&relation).map_or(Holds::Unknown, Holds::Known)
                };
                sources.push(Source { name, holds });
            }
            Some(NodeEnum::JoinExpr(join)) => {
                if join.is_natural || join.alias.is_some() {
                    return Err("it joins with NATURAL or a join alias".into());
                }
                if string_list(&join.using_clause)
                    .iter()
                    .any(|c| c == self.old)
                {
                    return Err(format!("it joins USING ({})", self.old));
                }
                for side in [&mut join.larg, &mut join.rarg].into_iter().flatten() {
                    self.source(side, sources)?;
                }
                if let Some(quals) = join.quals.as_deref_mut() {
                    // The condition sees the sources joined so far (and the levels around).
                    let level = std::mem::take(sources);
                    self.scopes.push(level);
                    let walked = self.expr(quals);
                    *sources = self.scopes.pop().expect("pushed above");
                    walked?;
                }
            }
            Some(NodeEnum::RangeSubselect(sub)) => {
                if let Some(NodeEnum::SelectStmt(q)) =
                    sub.subquery.as_deref_mut().and_then(|q| q.node.as_mut())
                {
                    self.select(q)?;
                }
                let name = sub.alias.as_ref().map(|a| a.aliasname.clone());
                sources.push(Source {
                    name: name.unwrap_or_default(),
                    holds: Holds::Unknown,
                });
            }
            Some(NodeEnum::RangeFunction(f)) => {
                for function in &mut f.functions {
                    self.expr(function)?;
                }
                let name = f.alias.as_ref().map(|a| a.aliasname.clone());
                sources.push(Source {
                    name: name.unwrap_or_default(),
                    holds: Holds::Unknown,
                });
            }
            _ => return Err("it reads a FROM item unmigrate does not follow".into()),
        }
        Ok(())
    }

    /// An output column: a bare reference rewritten keeps its old output name.
    fn target(&mut self, target: &mut Node) -> Result<(), String> {
        let Some(NodeEnum::ResTarget(t)) = &mut target.node else {
            return self.expr(target).map(|_| ());
        };
        let Some(val) = t.val.as_deref_mut() else {
            return Ok(());
        };
        let rewritten = self.expr(val)?;
        if rewritten && t.name.is_empty() && matches!(val.node, Some(NodeEnum::ColumnRef(_))) {
            t.name = self.old.to_string();
        }
        Ok(())
    }

    /// Walks an expression; true when it is itself a column reference that was rewritten.
    fn expr(&mut self, node: &mut Node) -> Result<bool, String> {
        let Some(inner) = node.node.as_mut() else {
            return Ok(false);
        };
        match inner {
            NodeEnum::ColumnRef(c) => return self.column_ref(c),
            NodeEnum::SelectStmt(s) => self.select(s)?,
            NodeEnum::SubLink(s) => {
                self.each(s.testexpr.as_deref_mut())?;
                self.each(s.subselect.as_deref_mut())?;
            }
            NodeEnum::AExpr(e) => {
                self.each(e.lexpr.as_deref_mut())?;
                self.each(e.rexpr.as_deref_mut())?;
            }
            NodeEnum::BoolExpr(e) => self.all(&mut e.args)?,
            NodeEnum::FuncCall(f) => {
                self.all(&mut f.args)?;
                self.all(&mut f.agg_order)?;
                self.each(f.agg_filter.as_deref_mut())?;
                if let Some(over) = f.over.as_deref_mut() {
                    self.all(&mut over.partition_clause)?;
                    self.all(&mut over.order_clause)?;
                }
            }
            NodeEnum::TypeCast(c) => self.each(c.arg.as_deref_mut())?,
            NodeEnum::CollateClause(c) => self.each(c.arg.as_deref_mut())?,
            NodeEnum::NamedArgExpr(a) => self.each(a.arg.as_deref_mut())?,
            NodeEnum::NullTest(t) => self.each(t.arg.as_deref_mut())?,
            NodeEnum::BooleanTest(t) => self.each(t.arg.as_deref_mut())?,
            NodeEnum::CaseExpr(c) => {
                self.each(c.arg.as_deref_mut())?;
                self.all(&mut c.args)?;
                self.each(c.defresult.as_deref_mut())?;
            }
            NodeEnum::CaseWhen(w) => {
                self.each(w.expr.as_deref_mut())?;
                self.each(w.result.as_deref_mut())?;
            }
            NodeEnum::CoalesceExpr(c) => self.all(&mut c.args)?,
            NodeEnum::MinMaxExpr(m) => self.all(&mut m.args)?,
            NodeEnum::RowExpr(r) => self.all(&mut r.args)?,
            NodeEnum::AArrayExpr(a) => self.all(&mut a.elements)?,
            NodeEnum::AIndirection(a) => self.each(a.arg.as_deref_mut())?,
            NodeEnum::SortBy(s) => self.each(s.node.as_deref_mut())?,
            NodeEnum::ResTarget(t) => self.each(t.val.as_deref_mut())?,
            NodeEnum::List(l) => self.all(&mut l.items)?,
            NodeEnum::GroupingSet(g) => self.all(&mut g.content)?,
            NodeEnum::WindowDef(w) => {
                self.all(&mut w.partition_clause)?;
                self.all(&mut w.order_clause)?;
            }
            // Anything else is walked no further: a reference inside it goes uncounted, and
            // the count at the end says so.
            _ => {}
        }
        Ok(false)
    }

    fn each(&mut self, node: Option<&mut Node>) -> Result<(), String> {
        if let Some(node) = node {
            self.expr(node)?;
        }
        Ok(())
    }

    fn all(&mut self, nodes: &mut [Node]) -> Result<(), String> {
        for node in nodes {
            self.expr(node)?;
        }
        Ok(())
    }

    /// Resolves a reference ending in the old name, and rewrites it when it reads the renamed
    /// table.
    fn column_ref(&mut self, c: &mut pb::ColumnRef) -> Result<bool, String> {
        let names = string_list(&c.fields);
        if names.last().map(String::as_str) != Some(self.old) || names.len() != c.fields.len() {
            return Ok(false);
        }
        self.seen += 1;
        let renamed = match names.as_slice() {
            [_] => self.unqualified()?,
            [qualifier, _] => self.qualified(qualifier)?,
            _ => return Err("it names a column with its schema".into()),
        };
        if renamed {
            *c.fields.last_mut().expect("a field") = build::string(self.new);
        }
        Ok(renamed)
    }

    fn qualified(&self, qualifier: &str) -> Result<bool, String> {
        for level in self.scopes.iter().rev() {
            if let Some(source) = level.iter().find(|s| s.name == qualifier) {
                return Ok(source.holds == Holds::Renamed);
            }
        }
        Err(format!(
            "it qualifies a column by {qualifier}, which unmigrate cannot resolve"
        ))
    }

    fn unqualified(&self) -> Result<bool, String> {
        for level in self.scopes.iter().rev() {
            let renamed = level.iter().any(|s| s.holds == Holds::Renamed);
            let known_other = level.iter().any(|s| s.holds == Holds::Known(true));
            let unknown = level.iter().any(|s| s.holds == Holds::Unknown);
            match (renamed, known_other, unknown) {
                (true, false, false) => return Ok(true),
                (false, true, false) => return Ok(false),
                (false, false, false) => continue,
                _ => {
                    return Err(format!(
                        "it reads a column {} that more than one of its sources may hold",
                        self.old
                    ))
                }
            }
        }
        Ok(false)
    }
}

/// Rewrites `query` (a view's) for the rename of table `old` to `new_name`: every `FROM` item
/// that reads it reads the new name, aliased by the old one when it had no alias, so the
/// references qualified by the old name still resolve (PostgreSQL shows a renamed table so).
/// False when the old name is still read somewhere the rewrite does not reach.
pub(super) fn rename_table(query: &mut Node, old: &QName, new_name: &str) -> bool {
    let mut visit = |rv: &mut pb::RangeVar| {
        if QName::from_range_var(rv) != *old {
            return;
        }
        if rv.alias.is_none() {
            rv.alias = Some(pb::Alias {
                aliasname: rv.relname.clone(),
                colnames: Vec::new(),
            });
        }
        rv.relname = new_name.to_string();
    };
    each_range_var(query, &mut visit);
    !crate::sql::refs::relation_refs(query).contains(old)
}

/// Calls `visit` with every `FROM` item that names a relation, in every `SELECT` of `node`
/// that a view's query usually holds (its CTEs, set operations, joins, subqueries).
fn each_range_var(node: &mut Node, visit: &mut impl FnMut(&mut pb::RangeVar)) {
    let Some(inner) = node.node.as_mut() else {
        return;
    };
    match inner {
        NodeEnum::RangeVar(rv) => visit(rv),
        NodeEnum::SelectStmt(s) => select_range_vars(s, visit),
        NodeEnum::JoinExpr(j) => {
            for side in [&mut j.larg, &mut j.rarg, &mut j.quals]
                .into_iter()
                .flatten()
            {
                each_range_var(side, visit);
            }
        }
        NodeEnum::RangeSubselect(sub) => {
            if let Some(q) = sub.subquery.as_deref_mut() {
                each_range_var(q, visit);
            }
        }
        NodeEnum::SubLink(s) => {
            if let Some(q) = s.subselect.as_deref_mut() {
                each_range_var(q, visit);
            }
        }
        NodeEnum::ResTarget(t) => {
            if let Some(v) = t.val.as_deref_mut() {
                each_range_var(v, visit);
            }
        }
        NodeEnum::AExpr(e) => {
            for side in [&mut e.lexpr, &mut e.rexpr].into_iter().flatten() {
                each_range_var(side, visit);
            }
        }
        NodeEnum::BoolExpr(e) => {
            for arg in &mut e.args {
                each_range_var(arg, visit);
            }
        }
        _ => {}
    }
}

fn select_range_vars(s: &mut pb::SelectStmt, visit: &mut impl FnMut(&mut pb::RangeVar)) {
    if let Some(with) = &mut s.with_clause {
        for cte in &mut with.ctes {
            if let Some(NodeEnum::CommonTableExpr(cte)) = &mut cte.node {
                if let Some(q) = cte.ctequery.as_deref_mut() {
                    each_range_var(q, visit);
                }
            }
        }
    }
    for side in [&mut s.larg, &mut s.rarg].into_iter().flatten() {
        select_range_vars(side, visit);
    }
    let nodes = (s.from_clause.iter_mut())
        .chain(s.target_list.iter_mut())
        .chain(s.where_clause.as_deref_mut())
        .chain(s.having_clause.as_deref_mut());
    for node in nodes {
        each_range_var(node, visit);
    }
}
