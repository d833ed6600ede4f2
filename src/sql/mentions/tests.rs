use super::*;

fn of(sql: &str) -> Vec<Mention> {
    let statements = crate::sql::parse_file(std::path::Path::new("m.sql"), sql).expect("parses");
    statements.iter().flat_map(|s| mentions(&s.node)).collect()
}

fn q(name: &str) -> QName {
    QName::new("", name)
}

fn has(found: &[Mention], object: &Object, act: Act) -> bool {
    found.iter().any(|m| m.object.same(object) && m.act == act)
}

#[test]
fn a_foreign_key_uses_its_table_and_the_table_it_references() {
    let found = of(
        r#"ALTER TABLE "orders" ADD CONSTRAINT "orders_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id")"#,
    );
    assert_eq!(
        found[0].what,
        "foreign key orders_user_id_fkey is added to table orders"
    );
    assert!(has(&found, &relation(q("users")), Act::Use));
    assert!(has(
        &found,
        &Object::Column(q("users"), "id".into()),
        Act::Use
    ));
    assert!(has(
        &found,
        &Object::Column(q("orders"), "user_id".into()),
        Act::Use
    ));
    let what: Vec<&str> = found.iter().map(|m| m.what.as_str()).collect();
    assert!(
        what.contains(&"foreign key orders_user_id_fkey references table users"),
        "{what:?}"
    );
}

#[test]
fn renames_give_up_one_name_and_take_another() {
    let found = of(
        "ALTER TABLE t RENAME COLUMN a TO b; ALTER INDEX i RENAME TO j; ALTER TYPE e RENAME TO f",
    );
    assert!(has(
        &found,
        &Object::Column(q("t"), "a".into()),
        Act::RenameFrom
    ));
    assert!(has(
        &found,
        &Object::Column(q("t"), "b".into()),
        Act::RenameTo
    ));
    assert!(has(&found, &relation(q("i")), Act::RenameFrom));
    assert!(has(&found, &relation(q("j")), Act::RenameTo));
    assert!(has(&found, &Object::Type(q("e")), Act::RenameFrom));
}

#[test]
fn adding_a_column_uses_its_table_without_naming_its_other_columns() {
    let found = of(r#"ALTER TABLE "users" ADD COLUMN "b" TEXT"#);
    assert!(has(
        &found,
        &Object::Column(q("users"), "b".into()),
        Act::Create
    ));
    assert!(has(&found, &relation(q("users")), Act::Use));
    assert!(!found
        .iter()
        .any(|m| m.object == Object::Column(q("users"), "a".into())));
}

#[test]
fn a_view_reads_every_column_of_its_tables_and_a_column_type_is_used() {
    let found =
        of("CREATE VIEW v AS SELECT * FROM t; ALTER TABLE u ADD COLUMN s \"Status\" DEFAULT 'A'");
    assert!(has(&found, &Object::AllColumns(q("t")), Act::Use));
    assert!(has(&found, &Object::Type(q("Status")), Act::Use));
}

#[test]
fn an_unreadable_do_block_names_anything() {
    let found = of("DO $$ BEGIN EXECUTE 'DROP TABLE t'; END $$");
    assert!(found.iter().any(|m| m.object == Object::Anything));
}
