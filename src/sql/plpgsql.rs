//! `DO` blocks read through their PL/pgSQL body (`pg_query::parse_plpgsql`): the SQL
//! statements it runs, when it holds nothing else that changes anything (no dynamic SQL, no
//! call of a function that may change something). One reader for the fold (which follows a
//! block that only adds constraints and indexes) and the undo rule `undo-do-block`.

use serde_json::Value;

use super::refs::walk;
use super::{pb, string_value, NodeEnum};

/// The SQL a `DO` block runs.
#[derive(Clone)]
pub struct DoBody {
    /// Each statement, with the text it was parsed from.
    pub statements: Vec<(String, NodeEnum)>,
    /// Whether some statements run only on some paths (`ELSE`, `ELSIF`, `CASE`, an exception
    /// handler): then not every statement ran.
    pub branches: bool,
}

/// PL/pgSQL statements whose only effect is control flow or the SQL they hold (checked apart).
const PLAIN_STATEMENTS: &[&str] = &[
    "PLpgSQL_stmt_block",
    "PLpgSQL_stmt_if",
    "PLpgSQL_stmt_case",
    "PLpgSQL_stmt_loop",
    "PLpgSQL_stmt_while",
    "PLpgSQL_stmt_fori",
    "PLpgSQL_stmt_exit",
    "PLpgSQL_stmt_return",
    "PLpgSQL_stmt_assign",
    "PLpgSQL_stmt_raise",
    "PLpgSQL_stmt_assert",
    "PLpgSQL_stmt_perform",
    "PLpgSQL_stmt_execsql",
];

/// Built-in functions an expression or statement of the block may call: they change
/// nothing (aggregates, and functions of values, text, JSON, arrays and time). Called without
/// a schema or in `pg_catalog`; `nextval`, `setval` and the like are not among them.
const PURE_FUNCTIONS: &[&str] = &[
    // aggregates
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "bool_and",
    "bool_or",
    "every",
    "string_agg",
    "array_agg",
    "jsonb_agg",
    "json_agg",
    "jsonb_object_agg",
    "json_object_agg",
    // values and text
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "lower",
    "upper",
    "length",
    "char_length",
    "octet_length",
    "concat",
    "concat_ws",
    "format",
    "md5",
    "substring",
    "substr",
    "left",
    "right",
    "position",
    "strpos",
    "split_part",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "replace",
    "translate",
    "regexp_replace",
    "regexp_match",
    "starts_with",
    "repeat",
    "lpad",
    "rpad",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "to_char",
    "to_number",
    "abs",
    "floor",
    "ceil",
    "ceiling",
    "round",
    "trunc",
    "mod",
    "power",
    "sign",
    // arrays
    "array_length",
    "array_to_string",
    "string_to_array",
    "cardinality",
    "array_position",
    "unnest",
    // JSON
    "jsonb_typeof",
    "json_typeof",
    "jsonb_array_length",
    "json_array_length",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "to_jsonb",
    "to_json",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "jsonb_object_keys",
    "jsonb_strip_nulls",
    // time
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "clock_timestamp",
    "date_trunc",
    "date_part",
    "extract",
    "age",
    "to_timestamp",
    "to_date",
    "make_interval",
];

/// The SQL statements of a `DO` block's PL/pgSQL body, or why it cannot be followed.
///
/// The undo rule and then the model's fold each read the block just parsed, and reading one
/// (PL/pgSQL parse, JSON, a parse of each statement) costs more per byte than anything else
/// in generation: the last block read on this thread is kept for the second reader.
pub fn do_body(s: &pb::DoStmt) -> Result<DoBody, String> {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(pb::DoStmt, Result<DoBody, String>)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((block, body)) if block == s => body.clone(),
        _ => {
            let body = read_do_body(s);
            *last = Some((s.clone(), body.clone()));
            body
        }
    })
}

fn read_do_body(s: &pb::DoStmt) -> Result<DoBody, String> {
    let mut body = None;
    for arg in &s.args {
        let Some(NodeEnum::DefElem(d)) = &arg.node else {
            continue;
        };
        let value = d.arg.as_deref().and_then(string_value);
        match d.defname.as_str() {
            "as" => body = value,
            "language" if value.is_some_and(|l| !l.eq_ignore_ascii_case("plpgsql")) => {
                return Err(format!("its language is {}", value.unwrap_or("?")));
            }
            _ => {}
        }
    }
    let body = body.ok_or("it has no body")?;
    let tag = (0..)
        .map(|n| format!("$unmigrate{n}$"))
        .find(|t| !body.contains(t.as_str()))
        .expect("a free dollar-quote tag");
    let tree = pg_query::parse_plpgsql(&format!("DO {tag}{body}{tag}"))
        .map_err(|e| format!("its body does not parse: {e}"))?;
    let mut problem = None;
    let mut branches = false;
    let mut statements = Vec::new();
    let mut expressions = Vec::new();
    walk(&tree, &mut |key, value| {
        if key.starts_with("PLpgSQL_stmt_") && !PLAIN_STATEMENTS.contains(&key) {
            problem.get_or_insert_with(|| format!("it holds {}", statement_label(key)));
        }
        if matches!(
            key,
            "else_body" | "elsif_list" | "case_when_list" | "exceptions"
        ) {
            branches = true;
        }
        if key == "sqlstmt" {
            if let Some(query) = value.pointer("/PLpgSQL_expr/query").and_then(Value::as_str) {
                statements.push(query.to_string());
            }
        } else if key == "PLpgSQL_expr" {
            if let Some(query) = value.get("query").and_then(Value::as_str) {
                expressions.push(query.to_string());
            }
        }
    });
    if let Some(problem) = problem {
        return Err(problem);
    }
    for expression in expressions.iter().filter(|e| !statements.contains(e)) {
        pure_expression(expression)?;
    }
    let mut parsed_statements = Vec::new();
    for sql in &statements {
        let parsed = pg_query::parse(sql, 0)
            .map_err(|e| format!("`{}` does not parse: {e}", one_line(sql)))?;
        for raw in parsed.protobuf.stmts {
            let Some(node) = raw.stmt.and_then(|n| n.node) else {
                continue;
            };
            calls_only_pure(&node)?;
            parsed_statements.push((sql.clone(), node));
        }
    }
    Ok(DoBody {
        statements: parsed_statements,
        branches,
    })
}

/// SQL of the body as one line, cut short, for a note (which the undo file prints as a
/// comment line).
pub fn one_line(sql: &str) -> String {
    const LONGEST: usize = 160;
    let words: Vec<&str> = sql.split_whitespace().collect();
    let line = words.join(" ");
    match line.char_indices().nth(LONGEST) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

/// `PLpgSQL_stmt_dynexecute` → "dynexecute": the statement kind, for the note.
fn statement_label(key: &str) -> String {
    let kind = key.trim_start_matches("PLpgSQL_stmt_");
    match kind {
        "dynexecute" | "dynfors" => "dynamic SQL (EXECUTE)".to_string(),
        other => format!("a PL/pgSQL `{other}` statement"),
    }
}

/// An expression of the block (a condition, a value): it reads, and calls only pure functions.
fn pure_expression(expression: &str) -> Result<(), String> {
    let text = match expression.split_once(":=") {
        Some((_, value)) => value,
        None => expression,
    };
    let parsed = pg_query::parse(&format!("SELECT {text}"), 0)
        .or_else(|_| pg_query::parse(text, 0))
        .map_err(|_| {
            format!(
                "it holds an expression unmigrate cannot read: `{}`",
                one_line(expression)
            )
        })?;
    for raw in &parsed.protobuf.stmts {
        if let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) {
            if !matches!(node, NodeEnum::SelectStmt(_)) {
                return Err(format!("it runs `{}`", one_line(expression)));
            }
            calls_only_pure(node)?;
        }
    }
    Ok(())
}

/// Fails on a call of a function that may change something (any but the built-in functions
/// that change nothing), or on a data change nested in a `WITH` or a subquery. Walks the tree's serde form, which reaches every node kind.
pub fn calls_only_pure(node: &NodeEnum) -> Result<(), String> {
    let tree = serde_json::to_value(pb::Node {
        node: Some(node.clone()),
    })
    .map_err(|e| format!("its tree cannot be read: {e}"))?;
    // The statement itself may be the one data change (it is judged apart).
    let mut own = usize::from(matches!(
        node,
        NodeEnum::InsertStmt(_) | NodeEnum::UpdateStmt(_) | NodeEnum::DeleteStmt(_)
    ));
    let mut problem = None;
    walk(&tree, &mut |key, inner| match key {
        "FuncCall" => {
            let name: Vec<&str> = inner
                .get("funcname")
                .and_then(Value::as_array)
                .map(|parts| {
                    parts
                        .iter()
                        .filter_map(|p| p.pointer("/node/String/sval")?.as_str())
                        .collect()
                })
                .unwrap_or_default();
            let last = name.last().map(|n| n.to_lowercase()).unwrap_or_default();
            let built_in = match name.as_slice() {
                [_] => true,
                [schema, _] => schema.eq_ignore_ascii_case("pg_catalog"),
                _ => false,
            };
            if !built_in || !PURE_FUNCTIONS.contains(&last.as_str()) {
                problem.get_or_insert_with(|| format!("it calls {}()", name.join(".")));
            }
        }
        "InsertStmt" | "UpdateStmt" | "DeleteStmt" => {
            if own == 0 {
                problem.get_or_insert_with(|| {
                    "it changes data inside a WITH or a subquery".to_string()
                });
            }
            own = own.saturating_sub(1);
        }
        _ => {}
    });
    problem.map_or(Ok(()), Err)
}

/// The SQL statements a function runs, from its body: each statement of a `LANGUAGE sql`
/// body, or the SQL statements of a PL/pgSQL body; with whether the PL/pgSQL body also runs
/// dynamic SQL (`EXECUTE`), which no reader can follow. Fails for another language, or a
/// body that does not parse.
pub fn function_statements(s: &pb::CreateFunctionStmt) -> Result<(Vec<NodeEnum>, bool), String> {
    let option = |name: &str| {
        s.options.iter().find_map(|o| match &o.node {
            Some(NodeEnum::DefElem(d)) if d.defname == name => d.arg.as_deref(),
            _ => None,
        })
    };
    let language = option("language").and_then(string_value).unwrap_or("sql");
    let body: String = match option("as").and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::List(l)) => l.items.iter().filter_map(string_value).collect(),
        _ => String::new(),
    };
    let parse = |sql: &str| -> Result<Vec<NodeEnum>, String> {
        let parsed =
            pg_query::parse(sql, 0).map_err(|e| format!("its body does not parse: {e}"))?;
        Ok((parsed.protobuf.stmts.into_iter())
            .filter_map(|raw| raw.stmt.and_then(|n| n.node))
            .collect())
    };
    match language.to_ascii_lowercase().as_str() {
        "sql" => Ok((parse(&body)?, false)),
        "plpgsql" => {
            let text = super::deparse(NodeEnum::CreateFunctionStmt(Box::new(s.clone())))?;
            let tree = pg_query::parse_plpgsql(&text)
                .map_err(|e| format!("its body does not parse: {e}"))?;
            let mut queries = Vec::new();
            let mut dynamic = false;
            walk(&tree, &mut |key, value| {
                dynamic |= matches!(key, "PLpgSQL_stmt_dynexecute" | "PLpgSQL_stmt_dynfors");
                if key == "sqlstmt" {
                    if let Some(q) = value.pointer("/PLpgSQL_expr/query").and_then(Value::as_str) {
                        queries.push(q.to_string());
                    }
                }
            });
            let mut statements = Vec::new();
            for query in &queries {
                statements.extend(parse(query)?);
            }
            Ok((statements, dynamic))
        }
        other => Err(format!("its language is {other}")),
    }
}
