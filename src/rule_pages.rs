//! The declarations of rules (explain's hazard rules, the undo rules) and their documentation
//! pages (`docs/rules/`, `docs/undo-rules/`), as ruff declares its rules: a rule's doc comment
//! *is* its page. `declare!` turns the doc comment and id into a [`RuleDoc`]; the page is
//! generated from it, and a test checks that the committed pages are what the declarations
//! generate.

/// Declares a rule of the family file it stands in, beside its code, from its doc comment:
/// `declare!(Kind: /// summary … NAME = "id";)` is `pub(super) const NAME: Kind` over a
/// [`RuleDoc`], its `family` the family file's name (or its folder's, for a rule declared in a
/// file of its own under it) and its `file` the declaring file. `rule!` and `undo_rule!` are
/// this, for their kind.
macro_rules! declare {
    ($kind:ty: $(#[doc = $doc:literal])+ $name:ident = $id:literal;) => {
        pub(super) const $name: $kind = <$kind>::new(&$crate::rule_pages::RuleDoc {
            id: $id,
            family: $crate::rule_pages::family(module_path!()),
            file: file!(),
            doc: concat!($($doc, "\n"),+),
        });
    };
}
pub(crate) use declare;

/// The project's documentation URL for rule pages, with `{id}` where a rule's id goes
/// (`docs_url` in unmigrate.toml); set once, by the command line, before any report.
static DOCS_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Makes every rule's help point to `template` (with `{id}` replaced). The first setting
/// wins: a process reads one configuration.
pub fn set_docs_url(template: &str) {
    let _ = DOCS_URL.set(template.to_string());
}

/// Everything said about a rule, in one place: its declaration.
#[derive(Debug)]
pub struct RuleDoc {
    /// The stable id: never renamed or reused (CI configurations name explain rules in
    /// `--fail-on`).
    pub id: &'static str,
    /// The family: the name of the family file the rule is declared in, or of the family's
    /// folder when the rule has a file of its own in it (`declare!` fills it in).
    pub family: &'static str,
    /// The file the rule is declared in, from the crate's root (`src/undo/columns/drop.rs`).
    pub file: &'static str,
    /// The rule's doc comment, line by line as the macro received it (each line with the space
    /// after `///`): the summary, a blank line, then the page's Markdown sections.
    pub doc: &'static str,
}

impl RuleDoc {
    /// One line for `unmigrate rule`, what the rule finds or undoes in a few words: the doc
    /// comment's first line.
    pub fn summary(&self) -> &'static str {
        self.doc.lines().next().unwrap_or_default().trim()
    }

    /// The page's sections: the doc comment after the summary, as Markdown.
    pub fn sections(&self) -> String {
        let lines: Vec<&str> = (self.doc.lines().skip(1))
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
            .collect();
        lines.join("\n").trim().to_string()
    }

    /// The Markdown page: the id, the summary as a sentence, `about` (the rule's kind and where
    /// it is declared), then the sections.
    pub fn page(&self, about: &str) -> String {
        let summary = sentence(self.summary());
        format!(
            "# {}\n\n{summary}.\n\n{about}\n\n{}\n",
            self.id,
            self.sections()
        )
    }
}

/// What sets one kind of rule apart (explain's hazard rules, the undo rules): its registry,
/// where its pages live and how a page says what it is. A rule of the kind is a [`RuleOf`].
pub trait RuleKind: 'static {
    /// The name of the kind's rule type, as `Debug` shows a rule (`Rule(id)`).
    const NAME: &'static str;
    /// Every rule of the kind, family by family, in the order `unmigrate rule` lists them.
    const ALL: &'static [RuleOf<Self>];
    /// The folder, relative to the repository, that holds the kind's pages (`<id>.md` each).
    const PAGES: &'static str;
    /// The line of a page that says what kind of rule it is and where a rule of `family` is
    /// declared.
    fn about(family: &str, file: &str) -> String;
}

/// A rule of kind `K`: a reference to its declaration beside its code.
pub struct RuleOf<K: ?Sized>(&'static RuleDoc, std::marker::PhantomData<K>);

impl<K: RuleKind> RuleOf<K> {
    pub const fn new(doc: &'static RuleDoc) -> RuleOf<K> {
        RuleOf(doc, std::marker::PhantomData)
    }

    /// Every rule of the kind, family by family, in the order `unmigrate rule` (and explain's
    /// report summaries) list them.
    pub const ALL: &'static [RuleOf<K>] = K::ALL;

    /// The stable id: the name of its documentation page (and, for an explain rule, of
    /// `--fail-on` values).
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// Its declaration: id, family and documentation.
    pub fn about(self) -> &'static RuleDoc {
        self.0
    }

    pub fn from_id(id: &str) -> Option<RuleOf<K>> {
        K::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// Why `id` names no rule of the kind, with the closest id when one is near (a typo).
    pub fn unknown_id(id: &str) -> String {
        let ids = K::ALL.iter().map(|r| r.id());
        match crate::suggest::nearest(id, ids) {
            Some(near) => {
                format!("{id}: no such rule; did you mean {near}? (`unmigrate rule` lists them)")
            }
            None => format!("{id}: no such rule (`unmigrate rule` lists them)"),
        }
    }

    /// Where to read the rule's documentation: its page at the project's `docs_url` (see
    /// [`set_docs_url`]), else the command that prints it (`unmigrate rule <id>`). Never a path
    /// inside unmigrate's source tree, which is a broken link in a pull-request comment.
    pub fn doc(self) -> String {
        self.doc_url()
            .unwrap_or_else(|| format!("unmigrate rule {}", self.id()))
    }

    /// The rule's page at the project's `docs_url`, when one is set.
    pub fn doc_url(self) -> Option<String> {
        DOCS_URL.get().map(|url| url.replace("{id}", self.id()))
    }

    /// The Markdown page of the rule, as `unmigrate rule ID` prints it and the kind's pages
    /// folder holds it.
    pub fn page(self) -> String {
        self.0.page(&K::about(self.0.family, self.0.file))
    }
}

impl<K: ?Sized> Clone for RuleOf<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: ?Sized> Copy for RuleOf<K> {}

impl<K: RuleKind> PartialEq for RuleOf<K> {
    fn eq(&self, other: &RuleOf<K>) -> bool {
        self.id() == other.id()
    }
}

impl<K: RuleKind> Eq for RuleOf<K> {}

impl<K: RuleKind> std::hash::Hash for RuleOf<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state)
    }
}

impl<K: RuleKind> std::fmt::Debug for RuleOf<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({})", K::NAME, self.id())
    }
}

impl<K: RuleKind> std::fmt::Display for RuleOf<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl<K: RuleKind> serde::Serialize for RuleOf<K> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// How many rules the families' lists hold together.
pub(crate) const fn count<T>(families: &[&[T]]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < families.len() {
        n += families[i].len();
        i += 1;
    }
    n
}

/// The families' lists, one after the other: the registry of one kind of rule.
pub(crate) const fn registry<T: Copy, const N: usize>(families: &[&[T]]) -> [T; N] {
    let mut all = [families[0][0]; N];
    let (mut n, mut i) = (0, 0);
    while i < families.len() {
        let mut j = 0;
        while j < families[i].len() {
            all[n] = families[i][j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    all
}

/// A rule's family: the segment of the `module_path!()` of the file it is declared in that
/// follows the kind's module (`undo`, `explain::rules`): `unmigrate::undo::columns` and
/// `unmigrate::undo::columns::drop` are both `columns`, so the family names the family's file
/// or its folder.
pub(crate) const fn family(module_path: &'static str) -> &'static str {
    let bytes = module_path.as_bytes();
    // The segments are scanned one by one; the one after `undo` or `rules` is the family.
    let mut start = 0;
    let mut after_kind = false;
    while start < bytes.len() {
        let mut end = start;
        while end < bytes.len() && bytes[end] != b':' {
            end += 1;
        }
        let (head, _) = bytes.split_at(end);
        let (_, segment) = head.split_at(start);
        if after_kind {
            return match std::str::from_utf8(segment) {
                Ok(name) => name,
                Err(_) => module_path,
            };
        }
        after_kind = matches!(segment, b"undo" | b"rules");
        start = end + 2;
    }
    module_path
}

/// The summary as a sentence: a capital first letter (it is written to follow an id).
fn sentence(summary: &str) -> String {
    let mut chars = summary.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
impl RuleDoc {
    /// The body of the section `## title` ("" when there is none).
    pub(crate) fn section(&self, title: &str) -> String {
        let heading = format!("## {title}");
        let mut lines = self.doc.lines().map(|l| l.strip_prefix(' ').unwrap_or(l));
        let _ = lines.by_ref().find(|line| *line == heading);
        let mut body = Vec::new();
        let mut in_code = false;
        for line in lines {
            if !in_code && line.starts_with("## ") {
                break;
            }
            in_code ^= line.starts_with("```");
            body.push(line);
        }
        body.join("\n").trim().to_string()
    }
}

/// Checks what every declaration of a kind of rule must be: its id kebab-case and declared
/// once, its summary not a sentence, and the file of its family under `dir` (or a file in the
/// family's folder) declaring it (`NAME = "id";`).
#[cfg(test)]
pub(crate) fn check_declarations(dir: &str, docs: &[&RuleDoc]) {
    let ids: std::collections::BTreeSet<&str> = docs.iter().map(|doc| doc.id).collect();
    assert_eq!(ids.len(), docs.len(), "an id is declared twice");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for doc in docs {
        let id = doc.id;
        let kebab = id
            .split('-')
            .all(|w| !w.is_empty() && w.bytes().all(|c| c.is_ascii_lowercase()));
        assert!(kebab, "{id}: ids are kebab-case words");
        assert!(
            !doc.summary().ends_with('.'),
            "{id}: a summary is not a sentence"
        );
        let family_file = format!("{dir}/{}.rs", doc.family);
        let in_folder = format!("{dir}/{}/", doc.family);
        assert!(
            doc.file == family_file || doc.file.starts_with(&in_folder),
            "{id}: declared in {}, neither {family_file} nor a file under {in_folder}",
            doc.file
        );
        let file = root.join(doc.file);
        let source = std::fs::read_to_string(&file).unwrap_or_default();
        let declared = source.contains(&format!(" = \"{id}\";"));
        assert!(declared, "{id} is not declared in {}", file.display());
    }
}

/// An example migration as a page shows it: a SQL block whose earlier migrations, when it
/// needs them, come first (`-- earlier migrations`, then `-- this migration`).
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Example {
    /// The earlier migrations, folded into the model first ("" for none).
    pub before: String,
    /// The migration itself.
    pub sql: String,
}

#[cfg(test)]
impl Example {
    /// The example of a `sql` code block (the text between its fences).
    pub(crate) fn parse(block: &str) -> Example {
        let code = block.strip_prefix("sql").unwrap_or(block).trim();
        let split = (code.strip_prefix("-- earlier migrations\n"))
            .and_then(|rest| rest.split_once("\n\n-- this migration\n"));
        match split {
            Some((before, sql)) => Example {
                before: before.to_string(),
                sql: sql.to_string(),
            },
            None => Example {
                sql: code.to_string(),
                ..Example::default()
            },
        }
    }
}

/// Checks that `dir` (relative to the repository) holds exactly `pages` (id and text, one
/// `<id>.md` each), and lists what differs. With `UNMIGRATE_WRITE_DOCS` set (`just
/// rule-docs`) it writes the pages instead, and removes pages of rules that are gone.
#[cfg(test)]
pub(crate) fn check_generated(dir: &str, pages: &[(&str, String)], test: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let write = std::env::var_os("UNMIGRATE_WRITE_DOCS").is_some();
    if write {
        std::fs::create_dir_all(&dir).expect("the pages' folder");
    }
    let mut stale = Vec::new();
    for (id, want) in pages {
        let path = dir.join(format!("{id}.md"));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            if write {
                std::fs::write(&path, want).expect("write the page");
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    for entry in std::fs::read_dir(&dir).expect("the pages' folder") {
        let path = entry.expect("entry").path();
        let id = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        if !pages.iter().any(|(known, _)| Some(*known) == id.as_deref()) {
            if write {
                std::fs::remove_file(&path).expect("remove the orphaned page");
            } else {
                stale.push(format!("{} (no such rule)", path.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "pages out of date; run `just rule-docs` (UNMIGRATE_WRITE_DOCS=1 cargo test --lib {test}) and commit:\n  {}",
        stale.join("\n  ")
    );
}

#[cfg(test)]
mod tests {
    use super::family;

    #[test]
    fn a_family_is_the_segment_after_the_kinds_module() {
        assert_eq!(family("unmigrate::undo::columns"), "columns");
        assert_eq!(family("unmigrate::undo::columns::drop"), "columns");
        assert_eq!(family("unmigrate::explain::rules::indexes"), "indexes");
    }
}
