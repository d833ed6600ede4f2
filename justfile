# Developer shortcuts for unmigrate. `just` is optional (`cargo install just`):
# every recipe is a plain cargo command you can run yourself.

# List the recipes.
default:
    @just --list

# Run all tests (the README's test command).
test:
    cargo test

# Run the tests, then review new and changed snapshots.
snap:
    @command -v cargo-insta >/dev/null || cargo install cargo-insta --locked
    -INSTA_UPDATE=new cargo test
    cargo insta review

# Regenerate docs/rules/*.md and docs/undo-rules/*.md from the rules' declarations (a test
# fails when a page drifts).
rule-docs:
    UNMIGRATE_WRITE_DOCS=1 cargo test --lib -- explain::rules::tests::docs_rules_pages_are_generated undo::rule::tests::docs_undo_rules_pages_are_generated

# Scaffold an explain rule NAME (kebab-case) in FAMILY (columns, compat, constraints, indexes,
# maintenance, timeouts, transactions): declaration and stub check, fixtures, generated page.
new-rule NAME FAMILY:
    bash scripts/new-rule {{NAME}} {{FAMILY}}

# Scaffold an undo rule undo-NAME (NAME: the forward statement undone, kebab-case) in FAMILY
# (a file of src/undo/): declaration and stub function, generated page; then wire it into
# src/undo/mod.rs's dispatch.
new-undo-rule NAME FAMILY:
    bash scripts/new-undo-rule {{NAME}} {{FAMILY}}

# Benchmarks: generate vs. parse-only; a langfuse drill vs. bare apply, and start-up time.
bench:
    cargo run --release --bin unmigrate-bench
    cargo run --release --bin unmigrate-drill-bench

# Scale: time and peak memory of generate, explain and drill on synthetic histories and files
# of growing size, with the growth for 4x the input; exits 1 when a target is missed.
bench-scale:
    cargo build --release --bins
    target/release/unmigrate-scale-bench

# Drill all eight corpora ($UNMIGRATE_CORPUS, else ../shared/corpus) with the generated undos and
# print the verdict/drill summary table, then the other tools' hand-written downs by verdict and
# their --rollback-all (CI runs the Prisma drills as tests in tests/corpus.rs).
corpus:
    cargo run --release --bin unmigrate-corpus

# How deployable the generated undo is: `explain` over every undo `generate --all` writes for
# both corpora (in a temporary copy), the hazards an undo can always avoid per rule and corpus;
# exits 1 while any is not zero (issue 13). `--json` for the counts as JSON.
undo-lint *ARGS:
    cargo run --release --bin unmigrate-undo-lint -- {{ARGS}}

# Fetch the pinned corpora into DIR (default $UNMIGRATE_CORPUS, else ../shared/corpus).
fetch-corpus *DIR:
    bash .ci/fetch-corpus {{DIR}}

# rustfmt check, clippy and rustdoc with warnings as errors, as CI runs them.
lint:
    cargo fmt --check
    cargo clippy --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps

# Format the code.
fmt:
    cargo fmt

# Build and run the demo (keep in sync with .ci/setup; exit 1 from generate = some undo is manual).
demo:
    cargo build --release
    target/release/unmigrate generate drills/demo/migrations --all --dry-run || [ $? -eq 1 ]
    target/release/unmigrate drill drills/demo.toml

# Everything .ci/run does (installs missing system packages first).
ci:
    bash .ci/run
