import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll } from "vitest";
import { main, type CliIo } from "../src/cli/main.js";

/** The shared corpora beside the repository (absent on a user's fresh clone). */
export const SHARED = resolve(__dirname, "../../shared");
export const HAS_SHARED = existsSync(join(SHARED, "README.md"));
if (!HAS_SHARED) console.warn(`note: ${SHARED} is absent; tests that read the shared corpora are skipped`);

/** A throw-away directory of files, removed after the test file. */
export function fixture(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), "mesh-lint-test-"));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
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
      istioCode?: string;
      resource?: { kind: string; namespace?: string; name: string };
    }[];
    errorCount: number;
    warningCount: number;
  }[] = [];
  if (run.stdout.trim()) results = JSON.parse(run.stdout);
  return { ...run, results };
}
