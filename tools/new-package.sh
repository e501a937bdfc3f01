#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Scaffolds a library package the way every package in this repo is laid out.
#   tools/new-package.sh <dir, e.g. packages/acpi> <npm name, e.g. @iofleet/acpi> "<description>"
# Afterwards describe it in tools/architecture.json (its layer and arrows), then run
# `node tools/architecture.mjs --write` (Nx tags, docs/architecture.md) and `npx nx sync` (TypeScript
# project references).
set -euo pipefail
dir=$1; name=$2; desc=${3:-}
rel=$(realpath --relative-to="$dir" .)
mkdir -p "$dir/src" "$dir/test"
cat > "$dir/package.json" <<JSON
{
  "name": "$name",
  "version": "0.1.0",
  "private": true,
  "license": "Apache-2.0",
  "description": "$desc",
  "type": "commonjs",
  "main": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    "./package.json": "./package.json",
    ".": { "@iofleet/source": "./src/index.ts", "types": "./dist/index.d.ts", "default": "./dist/index.js" }
  },
  "scripts": { "test": "vitest run", "lint": "biome check ." },
  "dependencies": {}
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "$rel/tsconfig.base.json",
  "files": [],
  "include": [],
  "references": [{ "path": "./tsconfig.lib.json" }, { "path": "./tsconfig.spec.json" }]
}
JSON
cat > "$dir/tsconfig.lib.json" <<JSON
{
  "extends": "$rel/tsconfig.base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist", "tsBuildInfoFile": "dist/tsconfig.lib.tsbuildinfo" },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.test.ts", "src/**/*.spec.ts"],
  "references": []
}
JSON
cat > "$dir/tsconfig.spec.json" <<JSON
{
  "extends": "$rel/tsconfig.base.json",
  "compilerOptions": { "outDir": "./out-tsc/spec", "rootDir": "." },
  "include": ["src/**/*.ts", "test/**/*.ts", "vitest.config.mts"],
  "references": [{ "path": "./tsconfig.lib.json" }]
}
JSON
# The shared test configuration (tools/vitest-config.mjs), imported relative to the package.
shared=$(realpath --relative-to="$dir" "$(dirname "$0")/vitest-config.mjs")
printf "// SPDX-License-Identifier: Apache-2.0\nimport { packageTestConfig } from '%s';\n\nexport default packageTestConfig();\n" "$shared" > "$dir/vitest.config.mts"
[ -f "$dir/src/index.ts" ] || printf '// SPDX-License-Identifier: Apache-2.0\n' > "$dir/src/index.ts"
echo "scaffolded $name in $dir"
