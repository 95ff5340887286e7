#!/usr/bin/env node
// The CLI, bundled by `npm run build` (scripts/build.mjs) into dist/bundle: one file to resolve at
// start-up, with what a run may not need (CEL, ajv, the stylish reporter...) in chunks loaded on demand.
import { main } from "../dist/bundle/mesh-lint.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`mesh-lint: internal error: ${error?.stack ?? error}\n`);
    process.exitCode = 2;
  },
);
