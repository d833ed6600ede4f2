#!/usr/bin/env python3
"""Compares `unmigrate explain` with squawk over the corpora (see docs/explain-vs-squawk.md).

Usage, from the repository root, with squawk-cli 2.70 on PATH (pip install squawk-cli):
    python3 docs/explain-vs-squawk.py ../shared/corpus
Runs both tools on every migration.sql and prints, per hazard concept and corpus, how many
each reports and how many agree. Findings are matched per file (same file, same concept:
min of the two counts agree), since the tools point at different lines of a statement.
"""
import collections
import json
import subprocess
import sys
from pathlib import Path

# squawk rule → the unmigrate rule for the same hazard (None: no counterpart).
SQUAWK_TO_OURS = {
    "adding-required-field": "add-column-not-null-without-default",
    "adding-field-with-default": "add-column-rewrites-table",
    "changing-column-type": "alter-column-type-rewrites-table",
    "adding-not-nullable-field": "set-not-null-scans-table",
    "require-concurrent-index-creation": "create-index-without-concurrently",
    "require-concurrent-index-deletion": "drop-index-without-concurrently",
    "require-concurrent-reindex": "reindex-without-concurrently",
    "adding-foreign-key-constraint": "add-foreign-key-without-not-valid",
    "disallowed-unique-constraint": "add-unique-constraint-builds-index",
    "adding-serial-primary-key-field": "add-unique-constraint-builds-index",
    "ban-concurrent-index-creation-in-transaction": "non-transactional-in-transaction",
    "ban-drop-column": "drop-column",
    "ban-drop-table": "drop-table",
    "renaming-column": "rename-column",
    "renaming-table": "rename-table",
    "require-lock-timeout": "missing-lock-timeout",
    "ban-drop-default": "drop-default-of-not-null-column",
}
# constraint-missing-not-valid covers FKs, CHECKs and validate-in-same-transaction: split
# by what the squawk message says.
STYLE = {"prefer-timestamp-tz", "prefer-bigint-over-int", "prefer-robust-stmts", "prefer-text-field",
         "ban-char-field", "prefer-identity", "identifier-too-long", "require-enum-value-ordering"}


def squawk(corpus: Path):
    files = sorted(str(p) for p in corpus.glob("*/migration.sql"))
    out = subprocess.run(["squawk", "--reporter", "json", "--assume-in-transaction", "--pg-version", "15", *files],
                         capture_output=True, text=True)
    found = collections.Counter()
    for v in json.loads(out.stdout):
        rule = v["rule_name"]
        if rule == "constraint-missing-not-valid":
            # The statement from the reported line (0-based) to its semicolon.
            lines = Path(v["file"]).read_text().splitlines()[v["line"]:]
            text = ""
            for line in lines:
                text += line + "\n"
                if ";" in line:
                    break
            if "VALIDATE" in text.upper():
                rule = "squawk:validate"
            elif "FOREIGN KEY" in text.upper() or "REFERENCES" in text.upper():
                rule = "squawk:fk-not-valid"
            elif "PRIMARY KEY" in text.upper():
                rule = "squawk:pk-not-valid"
            else:
                rule = "squawk:check-not-valid"
        found[(Path(v["file"]).parent.name, rule)] += 1
    return found


def ours(corpus: Path, binary: str):
    out = subprocess.run([binary, "explain", str(corpus), "--format", "json"], capture_output=True, text=True,
                         check=True)
    found = collections.Counter()
    for m in json.loads(out.stdout)["migrations"]:
        for s in m["statements"]:
            for h in s["hazards"]:
                found[(m["name"], h["rule"])] += 1
    return found


def concept_of_squawk(rule):
    if rule == "squawk:fk-not-valid":
        return "add-foreign-key-without-not-valid"
    if rule == "squawk:check-not-valid":
        return "add-check-without-not-valid"
    if rule == "squawk:pk-not-valid":
        return "add-unique-constraint-builds-index"
    if rule == "squawk:validate":
        return "validate-in-same-transaction"
    return SQUAWK_TO_OURS.get(rule, "squawk only: " + rule)


def main():
    root = Path(sys.argv[1])
    binary = sys.argv[2] if len(sys.argv) > 2 else "target/debug/unmigrate"
    for corpus in ["langfuse", "triggerdev"]:
        s, o = squawk(root / corpus), ours(root / corpus, binary)
        # squawk may report one statement under two rules of the same concept (a foreign key
        # as adding-foreign-key-constraint and constraint-missing-not-valid; a primary key as
        # adding-serial-primary-key-field and constraint-missing-not-valid): per file, take
        # the larger of its rules' counts for a concept rather than their sum.
        per_rule = collections.Counter()
        for (f, r), n in s.items():
            per_rule[(f, concept_of_squawk(r), r)] += n
        s_c = collections.Counter()
        for (f, c, _), n in per_rule.items():
            s_c[(f, c)] = max(s_c[(f, c)], n)
        concepts = sorted({c for _, c in s_c} | {c for _, c in o})
        print(f"\n{corpus}\n| concept | unmigrate | squawk | both (per file) |\n| --- | ---: | ---: | ---: |")
        for c in concepts:
            if c.removeprefix("squawk only: ") in STYLE:
                continue
            files = {f for f, cc in s_c if cc == c} | {f for f, cc in o if cc == c}
            ours_n = sum(o[(f, c)] for f in files)
            theirs = sum(s_c[(f, c)] for f in files)
            both = sum(min(o[(f, c)], s_c[(f, c)]) for f in files)
            print(f"| {c} | {ours_n} | {theirs} | {both} |")


if __name__ == "__main__":
    main()
