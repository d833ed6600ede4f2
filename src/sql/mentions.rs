//! Every object a statement names, and what it does to each: creates it, changes it (drops,
//! renames, alters) or only uses it. [`super::touches::Touches`] answers "which tables and
//! columns may this migration change the data of"; this answers the finer question `generate`
//! asks before undoing an older migration alone: does a later migration create, change or
//! use what the undo drops, changes back or needs?
//!
//! Read from parse trees only. Where a statement's shape is not followed here, every relation,
//! column and type its tree names counts as used, and a `DO` block whose SQL cannot be read
//! names everything ([`Object::Anything`]): a reader that errs on the side of "it depends".

mod named;

use std::fmt;

use super::{pb, string_list, string_value, Node, NodeEnum, QName};

/// An object a statement names. Relations (tables, views, indexes, sequences) share one
/// namespace, as in PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    /// A table, view, index or sequence; `on` is an index's table, where the statement says.
    Relation {
        name: QName,
        on: Option<QName>,
    },
    Column(QName, String),
    /// Every column of a table: a view over it, whose `*` the statement does not spell out.
    AllColumns(QName),
    Constraint(QName, String),
    Type(QName),
    /// Whatever a statement this reader cannot follow may name.
    Anything,
}

/// What a statement does to an object it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Create,
    /// Renames another object to this name.
    RenameTo,
    Drop,
    /// Renames this object away.
    RenameFrom,
    /// Changes it in place (a column's type, nullability or default, an enum's values).
    Alter,
    Use,
}

impl Act {
    /// Whether the object's name is taken or given up, or the object changed: not only used.
    pub fn changes(self) -> bool {
        self != Act::Use
    }
}

/// One object a statement names, what it does to it, and how to say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub object: Object,
    pub act: Act,
    /// What the statement does, ending with the object: "foreign key k references table t".
    pub what: String,
}

impl Object {
    /// The table the object belongs to (a column, a constraint, an index whose table is known).
    pub fn table(&self) -> Option<&QName> {
        match self {
            Object::Column(t, _) | Object::AllColumns(t) | Object::Constraint(t, _) => Some(t),
            Object::Relation { on, .. } => on.as_ref(),
            Object::Type(_) | Object::Anything => None,
        }
    }

    /// The same object, whatever each statement knew about it.
    pub fn same(&self, other: &Object) -> bool {
        match (self, other) {
            (Object::Relation { name: a, .. }, Object::Relation { name: b, .. }) => a == b,
            _ => self == other,
        }
    }
}

/// How messages name the object: "table users", "column users.a".
impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Relation { name, on: Some(_) } => write!(f, "index {name}"),
            Object::Relation { name, on: None } => write!(f, "relation {name}"),
            Object::Column(t, c) => write!(f, "column {}", super::quote::Column(t, c)),
            Object::AllColumns(t) => write!(f, "every column of {t}"),
            Object::Constraint(t, c) => {
                write!(f, "constraint {} on {t}", super::quote::Ident(c))
            }
            Object::Type(t) => write!(f, "type {t}"),
            Object::Anything => f.write_str("anything"),
        }
    }
}

/// The objects `node` names, most specific first (a foreign key before the tables its
/// statement names).
pub fn mentions(node: &NodeEnum) -> Vec<Mention> {
    let mut out = Mentions::default();
    out.statement(node);
    out.0
}

#[derive(Default)]
struct Mentions(Vec<Mention>);

impl Mentions {
    fn push(&mut self, object: Object, act: Act, what: String) {
        let mention = Mention { object, act, what };
        if !self.0.contains(&mention) {
            self.0.push(mention);
        }
    }

    fn statement(&mut self, node: &NodeEnum) {
        match node {
            NodeEnum::CreateStmt(c) => self.create_table(c),
            NodeEnum::AlterTableStmt(a) => self.alter_table(a),
            NodeEnum::RenameStmt(r) => self.rename(r),
            NodeEnum::DropStmt(d) => self.drop(d),
            NodeEnum::IndexStmt(i) => self.index(i),
            NodeEnum::ViewStmt(v) => {
                if let Some(rv) = &v.view {
                    self.view(QName::from_range_var(rv), v.query.as_deref());
                }
            }
            NodeEnum::CreateTableAsStmt(c) => {
                if let Some(rv) = c.into.as_ref().and_then(|i| i.rel.as_ref()) {
                    self.view(QName::from_range_var(rv), c.query.as_deref());
                }
            }
            NodeEnum::CreateEnumStmt(e) => {
                let name = QName::from_name_nodes(&e.type_name);
                self.push(
                    Object::Type(name.clone()),
                    Act::Create,
                    format!("type {name} is created"),
                );
            }
            NodeEnum::AlterEnumStmt(e) => {
                let name = QName::from_name_nodes(&e.type_name);
                let (act, what) = if e.old_val.is_empty() {
                    (Act::Use, format!("a value is added to type {name}"))
                } else {
                    (Act::Alter, format!("a value of type {name} is renamed"))
                };
                self.push(Object::Type(name), act, what);
            }
            NodeEnum::AlterObjectSchemaStmt(a) => match &a.relation {
                Some(rv) => {
                    let name = QName::from_range_var(rv);
                    let what = format!("relation {name} moves to schema {}", a.newschema);
                    self.push(relation(name), Act::RenameFrom, what);
                }
                None => self.anything("an object moves to another schema"),
            },
            NodeEnum::CommentStmt(c) => self.comment(c),
            NodeEnum::DoStmt(block) => match super::plpgsql::do_body(block) {
                Ok(body) => {
                    for (_, statement) in &body.statements {
                        self.statement(statement);
                    }
                }
                Err(why) => self.anything(&format!("a DO block this check cannot read ({why})")),
            },
            _ => {}
        }
        self.names(node);
    }

    fn anything(&mut self, what: &str) {
        self.push(Object::Anything, Act::Alter, what.to_string());
    }

    fn create_table(&mut self, c: &pb::CreateStmt) {
        let Some(rv) = &c.relation else { return };
        let table = QName::from_range_var(rv);
        self.push(
            relation(table.clone()),
            Act::Create,
            format!("table {table} is created"),
        );
        for element in &c.table_elts {
            match &element.node {
                Some(NodeEnum::ColumnDef(def)) => {
                    for constraint in &def.constraints {
                        if let Some(NodeEnum::Constraint(k)) = &constraint.node {
                            self.constraint(&table, k, Some(&def.colname), Act::Create);
                        }
                    }
                }
                Some(NodeEnum::Constraint(k)) => self.constraint(&table, k, None, Act::Create),
                _ => {}
            }
        }
    }

    fn alter_table(&mut self, a: &pb::AlterTableStmt) {
        use pb::AlterTableType as T;
        let Some(rv) = &a.relation else { return };
        let table = QName::from_range_var(rv);
        for cmd in &a.cmds {
            let Some(NodeEnum::AlterTableCmd(cmd)) = &cmd.node else {
                continue;
            };
            let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
            let column = |name: &str| Object::Column(table.clone(), name.to_string());
            let subtype = T::try_from(cmd.subtype).unwrap_or(T::Undefined);
            match (subtype, def) {
                (T::AtAddColumn, Some(NodeEnum::ColumnDef(def))) => {
                    let what = format!("{} is added", column(&def.colname));
                    self.push(column(&def.colname), Act::Create, what);
                    for constraint in &def.constraints {
                        if let Some(NodeEnum::Constraint(k)) = &constraint.node {
                            self.constraint(&table, k, Some(&def.colname), Act::Create);
                        }
                    }
                }
                (T::AtDropColumn, _) => {
                    let what = format!("{} is dropped", column(&cmd.name));
                    self.push(column(&cmd.name), Act::Drop, what);
                }
                (T::AtAddConstraint, Some(NodeEnum::Constraint(k))) => {
                    self.constraint(&table, k, None, Act::Create);
                }
                (T::AtDropConstraint, _) => {
                    let k = Object::Constraint(table.clone(), cmd.name.clone());
                    self.push(k.clone(), Act::Drop, format!("{k} is dropped"));
                    // A primary key's or unique constraint's index goes with it.
                    let index = Object::Relation {
                        name: table.sibling(&cmd.name),
                        on: Some(table.clone()),
                    };
                    self.push(index, Act::Drop, format!("{k} is dropped"));
                }
                (T::AtValidateConstraint, _) => {
                    let k = Object::Constraint(table.clone(), cmd.name.clone());
                    self.push(k.clone(), Act::Use, format!("{k} is validated"));
                }
                _ if !cmd.name.is_empty() => {
                    let what = format!("{} is altered", column(&cmd.name));
                    self.push(column(&cmd.name), Act::Alter, what);
                }
                _ => {}
            }
        }
        self.push(
            relation(table.clone()),
            Act::Use,
            format!("table {table} is altered"),
        );
    }

    /// A constraint of `table` (on `column` when written with it); `act` is what happens to
    /// its name.
    fn constraint(&mut self, table: &QName, k: &pb::Constraint, column: Option<&str>, act: Act) {
        use pb::ConstrType as C;
        let kind = C::try_from(k.contype).unwrap_or(C::Undefined);
        let label = match kind {
            C::ConstrForeign => "foreign key",
            C::ConstrPrimary => "primary key",
            C::ConstrUnique => "unique constraint",
            C::ConstrCheck => "check constraint",
            C::ConstrExclusion => "exclusion constraint",
            _ => return,
        };
        let named = if k.conname.is_empty() {
            format!("a {label} of {table}")
        } else {
            format!("{label} {}", super::quote::Ident(&k.conname))
        };
        if !k.conname.is_empty() {
            let what = format!("{named} is added to table {table}");
            self.push(
                Object::Constraint(table.clone(), k.conname.clone()),
                act,
                what,
            );
            if matches!(
                kind,
                C::ConstrPrimary | C::ConstrUnique | C::ConstrExclusion
            ) {
                let index = Object::Relation {
                    name: table.sibling(&k.conname),
                    on: Some(table.clone()),
                };
                self.push(index, act, format!("{named} creates its index"));
            }
        }
        let own = column
            .map(str::to_string)
            .into_iter()
            .chain(string_list(&k.keys))
            .chain(string_list(&k.fk_attrs))
            .chain(string_list(&k.including));
        for c in own {
            let object = Object::Column(table.clone(), c);
            let what = format!("{named} covers {object}");
            self.push(object, Act::Use, what);
        }
        if !k.indexname.is_empty() {
            let index = table.sibling(&k.indexname);
            let what = format!("{named} uses index {index}");
            self.push(relation(index), Act::Use, what);
        }
        if let Some(pk) = &k.pktable {
            let target = QName::from_range_var(pk);
            let what = format!("{named} references table {target}");
            self.push(relation(target.clone()), Act::Use, what);
            for c in string_list(&k.pk_attrs) {
                let object = Object::Column(target.clone(), c);
                let what = format!("{named} references {object}");
                self.push(object, Act::Use, what);
            }
        }
    }

    fn rename(&mut self, r: &pb::RenameStmt) {
        use pb::ObjectType as O;
        let kind = O::try_from(r.rename_type).unwrap_or(O::Undefined);
        let on = r.relation.as_ref().map(QName::from_range_var);
        let (from, to) = match (kind, on) {
            (O::ObjectColumn, Some(t)) => (
                Object::Column(t.clone(), r.subname.clone()),
                Object::Column(t, r.newname.clone()),
            ),
            (O::ObjectTabconstraint, Some(t)) => (
                Object::Constraint(t.clone(), r.subname.clone()),
                Object::Constraint(t, r.newname.clone()),
            ),
            (O::ObjectTable | O::ObjectView | O::ObjectMatview | O::ObjectSequence, Some(t)) => {
                (relation(t.clone()), relation(t.sibling(&r.newname)))
            }
            (O::ObjectIndex, Some(i)) => (relation(i.clone()), relation(i.sibling(&r.newname))),
            (O::ObjectType | O::ObjectDomain, None) => {
                let Some(names) = r.object.as_deref().and_then(name_list) else {
                    return self.anything("a type is renamed");
                };
                let name = QName::from_names(&names);
                let to = name.sibling(&r.newname);
                (Object::Type(name), Object::Type(to))
            }
            (O::ObjectSchema, _) => return self.anything("a schema is renamed"),
            _ => return,
        };
        let what = format!("{from} is renamed to {}", super::quote::Ident(&r.newname));
        self.push(from, Act::RenameFrom, what.clone());
        self.push(to, Act::RenameTo, what);
    }

    fn drop(&mut self, d: &pb::DropStmt) {
        use pb::ObjectType as O;
        let kind = O::try_from(d.remove_type).unwrap_or(O::Undefined);
        for object in &d.objects {
            let Some(names) = name_list(object) else {
                continue;
            };
            let name = QName::from_names(&names);
            let object = match kind {
                O::ObjectTable | O::ObjectView | O::ObjectMatview | O::ObjectSequence => {
                    relation(name)
                }
                O::ObjectIndex => relation(name),
                O::ObjectType | O::ObjectDomain => Object::Type(name),
                O::ObjectSchema => {
                    self.anything(&format!("schema {} is dropped", names.join(".")));
                    continue;
                }
                _ => continue,
            };
            let what = format!("{object} is dropped");
            self.push(object, Act::Drop, what);
        }
    }

    fn index(&mut self, i: &pb::IndexStmt) {
        let Some(rv) = &i.relation else { return };
        let table = QName::from_range_var(rv);
        let label = if i.idxname.is_empty() {
            format!("an index on {table}")
        } else {
            format!("index {}", super::quote::Ident(&i.idxname))
        };
        if !i.idxname.is_empty() {
            let index = Object::Relation {
                name: table.sibling(&i.idxname),
                on: Some(table.clone()),
            };
            self.push(
                index,
                Act::Create,
                format!("{label} is created on table {table}"),
            );
        }
        self.push(
            relation(table.clone()),
            Act::Use,
            format!("{label} is created on table {table}"),
        );
        for param in i.index_params.iter().chain(&i.index_including_params) {
            if let Some(NodeEnum::IndexElem(e)) = &param.node {
                if !e.name.is_empty() {
                    let object = Object::Column(table.clone(), e.name.clone());
                    self.push(object.clone(), Act::Use, format!("{label} covers {object}"));
                }
            }
        }
    }

    fn view(&mut self, view: QName, query: Option<&Node>) {
        self.push(
            relation(view.clone()),
            Act::Create,
            format!("view {view} is created"),
        );
        let Some(query) = query else { return };
        let mut read = Vec::new();
        named::each_named(query, |mention| {
            if let (Object::Relation { name, .. }, Act::Use) = (&mention.object, mention.act) {
                read.push(name.clone());
            }
        });
        for table in read {
            let what = format!("view {view} reads table {table}");
            self.push(relation(table.clone()), Act::Use, what.clone());
            self.push(Object::AllColumns(table), Act::Use, what);
        }
    }

    fn comment(&mut self, c: &pb::CommentStmt) {
        use pb::ObjectType as O;
        let Some(names) = c.object.as_deref().and_then(name_list) else {
            return;
        };
        let object = match (O::try_from(c.objtype).unwrap_or(O::Undefined), &names[..]) {
            (O::ObjectColumn, [table @ .., column]) => {
                Object::Column(QName::from_names(table), column.clone())
            }
            (O::ObjectTable | O::ObjectView | O::ObjectIndex, _) => {
                relation(QName::from_names(&names))
            }
            (O::ObjectType, _) => Object::Type(QName::from_names(&names)),
            _ => return,
        };
        let what = format!("{object} gets a comment");
        self.push(object, Act::Use, what);
    }

    /// Every relation, column and type the statement's tree names, as used (see
    /// [`named::each_named`]).
    fn names(&mut self, node: &NodeEnum) {
        let node = Node {
            node: Some(node.clone()),
        };
        let mut found = Vec::new();
        named::each_named(&node, |m| found.push(m));
        for m in found {
            self.push(m.object, m.act, m.what);
        }
    }
}

fn relation(name: QName) -> Object {
    Object::Relation { name, on: None }
}

/// A dotted name as a `DROP` or `COMMENT` lists it: a `List` of strings or a `TypeName`.
fn name_list(node: &Node) -> Option<Vec<String>> {
    match &node.node {
        Some(NodeEnum::List(list)) => Some(string_list(&list.items)),
        Some(NodeEnum::TypeName(t)) => Some(string_list(&t.names)),
        Some(NodeEnum::String(_)) => string_value(node).map(|s| vec![s.to_string()]),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
