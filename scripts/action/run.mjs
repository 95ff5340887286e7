#!/usr/bin/env node
// The GitHub Action's lint step (see action.yml and docs/github-action.md): lints once to JSON, then writes the
// annotations (stdout), the SARIF file, the job summary and the step outputs. The code is src/action/run.ts,
// compiled to dist/ by the build (`npm ci` runs it through `prepare`).
import { runAction } from "../../dist/action/run.js";

process.exitCode = await runAction();
