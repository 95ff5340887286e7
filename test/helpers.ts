import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Ajv } from "ajv";
import ajvFormats from "ajv-formats";
import { afterAll } from "vitest";
import { main, type CliIo } from "../src/cli/main.js";

/** The shared corpora beside the repository (absent on a user's fresh clone). */
export const SHARED = resolve(__dirname, "../../shared");
export const HAS_SHARED = existsSync(join(SHARED, "README.md"));
if (!HAS_SHARED) console.warn(`note: ${SHARED} is absent; tests that read the shared corpora are skipped`);

/**
 * Fixture directories of this test file. Removed by one hook registered while the file is collected: an
 * `afterAll` registered from inside a running test is never called, which left hundreds of directories
 * in the temporary directory per run.
 */
const fixtures = new Set<string>();
afterAll(() => {
  for (const dir of fixtures) rmSync(dir, { recursive: true, force: true });
  fixtures.clear();
});

/** A throw-away directory of files, removed after the test file. */
export function fixture(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-lint-test-"));
  fixtures.add(dir);
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with the given working directory and stdin. */
export async function runCli(args: string[], options: { cwd: string; stdin?: string; isTTY?: boolean }): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    readStdin: async () => options.stdin ?? "",
    cwd: options.cwd,
    isTTY: options.isTTY ?? false,
    env: {},
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** Runs the CLI with `--format json` and returns the parsed results. */
export async function lintJson(args: string[], options: { cwd: string; stdin?: string }) {
  const run = await runCli(["--format", "json", ...args], options);
  let results: {
    filePath: string;
    messages: {
      ruleId: string | null;
      severity: number;
      message: string;
      line: number;
      column: number;
      endLine?: number;
      endColumn?: number;
      fatal?: boolean;
      messageId?: string;
      istioCode?: string;
      resource?: { kind: string; namespace?: string; name: string };
    }[];
    errorCount: number;
    warningCount: number;
  }[] = [];
  if (run.stdout.trim()) results = JSON.parse(run.stdout);
  return { ...run, results };
}

/** The `--format json` messages of one rule over some files (a string is one `input.yaml`); `args` default to the files. */
export async function lintRule(rule: string, files: string | Record<string, string>, args?: string[]) {
  const inputs = typeof files === "string" ? { "input.yaml": files } : files;
  const dir = fixture(inputs);
  const run = await lintJson(args ?? Object.keys(inputs), { cwd: dir });
  return { ...run, messages: run.results.flatMap((result) => result.messages).filter((message) => message.ruleId === rule) };
}

/** Line (1-based) of the first occurrence of `needle` at or after character `from` of the text. */
export function lineOf(text: string, needle: string, from = 0): number {
  const index = text.indexOf(needle, from);
  if (index === -1) throw new Error(`${needle} not found`);
  return text.slice(0, index).split("\n").length;
}

/** The SARIF 2.1.0 schema as shipped by @microsoft/jest-sarif (draft-04, loaded into Ajv's draft-07 validator). */
export function sarifValidator() {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve("@microsoft/jest-sarif/package.json"));
  const schema = JSON.parse(readFileSync(join(packageDir, "lib", "schemas", "sarif-2.1.0-rtm.5.json"), "utf8"));
  // draft-04 names the schema with `id`; nothing else in this schema differs from draft-07.
  // One of its patterns is not valid with the `u` flag, hence unicodeRegExp: false.
  delete schema.$schema;
  schema.$id = schema.id;
  delete schema.id;
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  // ajv-formats is CommonJS: under NodeNext its default import is the module object.
  const addFormats = ((ajvFormats as { default?: unknown }).default ?? ajvFormats) as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  return ajv.compile(schema);
}
