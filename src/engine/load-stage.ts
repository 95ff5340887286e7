/**
 * The load stage: finds the files, reads and parses them. On big runs, when a core is spare, one
 * worker thread (see `load-worker.ts`) parses about half of the lint files beside this thread and
 * posts them here, so each file is parsed once; then, while this thread runs model, graph and rules,
 * it validates them. Its problems (keyed by file and document) reach the schema stage through
 * `prevalidated`, which the engine calls after the rules. Small runs load everything here and
 * validate inline.
 */
import { existsSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Discoverer, type DiscoverResult } from "../load/discover.js";
import { parseBytes, readSourceSync } from "../load/read.js";
import type { SourceDocument, SourceFile, SourceRole } from "../load/types.js";
import type { SchemaProblem } from "../schema/types.js";
import type { LoadWorkerInput, LoadWorkerMessage, ValidatedMessage } from "./load-worker.js";

export interface LoadInputOptions {
  cwd: string;
  /** Files, directories, globs; `-` reads stdin (given in `stdin`). */
  patterns: string[];
  stdin?: { text: string; filename?: string };
  /** Files that inform the analysis but are not reported on. */
  contextPatterns: string[];
  ignorePatterns: string[];
  useIgnoreFiles: boolean;
  /** CustomResourceDefinition files whose schemas replace the bundled ones. */
  crdFiles: string[];
  debug: (message: string) => void;
  /**
   * Lint files from which on one worker thread validates them beside model, graph and rules (default:
   * the `MESH_LINT_WORKER_THRESHOLD` environment variable, else 64 when a core is idle; `0` always,
   * `Infinity` never). Results are the same either way.
   */
  workerThreshold?: number;
  /** The worker's script (default: `load-worker.js` of the build); tests give failing ones. */
  workerScript?: URL;
  /** Told as files are loaded (the CLI's progress line). */
  onProgress?: (event: LintProgress) => void;
}

/** A step of a run: its stage, and while loading, the lint files loaded so far of how many. */
export interface LintProgress {
  stage: "load" | "context" | "model" | "schema" | "graph" | "rules" | "report";
  done?: number;
  total?: number;
}

export interface LoadedInput {
  found: DiscoverResult;
  lintFiles: SourceFile[];
  contextFiles: SourceFile[];
  crdFiles: SourceFile[];
  /**
   * Schema problems of lint documents validated beside the other stages (bundled schemas only: the
   * schema stage uses them only when the run has no CustomResourceDefinition). The worker validates
   * files while this thread runs model, graph and rules; called when those are done, this validates
   * here the files the worker has not claimed yet, then waits for the worker. Empty without worker.
   */
  prevalidated: () => Promise<Map<SourceDocument, SchemaProblem[]>>;
}

/** Below this many lint files, the worker's start-up costs more than it saves. */
const DEFAULT_WORKER_THRESHOLD = 64;
/** A roomier young generation: parsing allocates many short-lived objects. */
const WORKER_YOUNG_GENERATION_MB = 64;

/**
 * Lint files from which on the load worker is used: the `workerThreshold` option, else the
 * `MESH_LINT_WORKER_THRESHOLD` environment variable (`0` always uses it, `Infinity` never), else 64
 * when a core is idle (see {@link spareCore}) and never when none is.
 */
export function workerThreshold(option: number | undefined, env: NodeJS.ProcessEnv = process.env, idle = spareCore): number {
  if (option !== undefined) return option;
  const fromEnv = env.MESH_LINT_WORKER_THRESHOLD;
  if (fromEnv !== undefined && fromEnv.trim() !== "" && !Number.isNaN(Number(fromEnv))) return Number(fromEnv);
  return idle() ? DEFAULT_WORKER_THRESHOLD : Infinity;
}

/**
 * Whether a second core is free for the worker. The worker costs CPU (a second isolate, its start-up,
 * parsing the files a second time): worth it when it runs beside the main thread, a loss on a machine
 * already busy with other work, where the threads would only take turns. Judged from how idle the
 * machine's cores were since this module was loaded (this thread keeps one busy meanwhile), which
 * follows the machine's load at once, unlike the one-minute load average (used when the sample is too
 * short to tell).
 */
export function spareCore(): boolean {
  const cores = typeof availableParallelism === "function" ? availableParallelism() : cpus().length;
  if (cores < 2) return false;
  const now = cpuSample();
  const total = now.total - startSample.total;
  if (now.cores === startSample.cores && total >= 20 * now.cores) return ((now.idle - startSample.idle) / total) * now.cores >= 0.7;
  return loadavg()[0] <= cores - 1;
}

/** Idle and total CPU milliseconds of all cores so far. */
function cpuSample(): { idle: number; total: number; cores: number } {
  let idle = 0;
  let total = 0;
  const list = cpus();
  for (const { times } of list) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total, cores: list.length };
}

const startSample = cpuSample();

function readAll(paths: string[], role: SourceRole): SourceFile[] {
  return paths.map((path) => readSourceSync(path, path, role));
}

export async function loadInput(options: LoadInputOptions): Promise<LoadedInput> {
  const discovery = { cwd: options.cwd, ignorePatterns: options.ignorePatterns, useIgnoreFiles: options.useIgnoreFiles };
  const found = await new Discoverer(discovery).discover(options.patterns.filter((pattern) => pattern !== "-"));
  const lintPaths = found.files.map((file) => file.path);
  const lintSet = new Set(lintPaths);

  // The worker and this thread parse the files that are not ignored explicitly between them, each
  // claiming the next one from a shared counter; the worker posts its files here. While this thread
  // runs model, graph and rules, the worker validates the files (see `load-worker.ts`).
  const candidates = found.files.flatMap((file, index) => (file.ignoredExplicitly ? [] : [index]));
  const script = options.workerScript ?? workerScript();
  const useWorker = script !== undefined && candidates.length > 0 && candidates.length >= workerThreshold(options.workerThreshold);
  const claims = useWorker ? new Int32Array(new SharedArrayBuffer(8)) : undefined;
  const workerStarted = performance.now();
  const worker = useWorker ? runWorker(script, { paths: candidates.map((index) => lintPaths[index]), claims: claims!.buffer as SharedArrayBuffer }) : undefined;

  const lintFiles: SourceFile[] = new Array(lintPaths.length);
  const progress = options.onProgress;
  let loaded = 0;
  const tell = () => progress?.({ stage: "load", done: Math.min(lintPaths.length, loaded + (claims ? Atomics.load(claims, 0) : 0)), total: lintPaths.length });
  tell();
  const readHere = (index: number) => {
    lintFiles[index] = readSourceSync(lintPaths[index], lintPaths[index], "lint");
    loaded++;
    if (progress) tell();
  };
  if (worker && claims) {
    for (let i = Atomics.add(claims, 0, 1); i < candidates.length; i = Atomics.add(claims, 0, 1)) readHere(candidates[i]);
    // The files the worker parsed; those it claimed and did not deliver (it failed) are parsed here.
    for (const [i, file] of await worker.parsed) lintFiles[candidates[i]] = file;
  }
  for (let index = 0; index < lintPaths.length; index++) if (!lintFiles[index]) readHere(index);
  progress?.({ stage: "load", done: lintPaths.length, total: lintPaths.length });

  let contextFiles: SourceFile[] = [];
  if (options.contextPatterns.length > 0) {
    progress?.({ stage: "context" });
    const context = await new Discoverer(discovery).discover(options.contextPatterns);
    const paths = context.files.map((file) => file.path).filter((path) => !lintSet.has(path));
    contextFiles = readAll(paths, "context");
    options.debug(`context: ${paths.length} file(s) loaded for analysis only`);
  }
  const crdFiles = readAll(
    options.crdFiles.map((path) => resolve(options.cwd, path)),
    "context",
  );

  const prevalidated = async (): Promise<Map<SourceDocument, SchemaProblem[]>> => {
    const into = new Map<SourceDocument, SchemaProblem[]>();
    if (!worker || !claims) return into;
    const delivered = await worker.parsed;
    // What the worker has not claimed yet is validated here, with the values this thread parsed.
    let validate: ((file: SourceFile) => void) | undefined;
    let here = 0;
    for (let i = Atomics.add(claims, 1, 1); i < candidates.length; i = Atomics.add(claims, 1, 1)) {
      if (delivered.has(i)) continue; // validated by the worker, which parsed it
      if (!validate) {
        const { prevalidate, SchemaRegistry } = await import("./schema-stage.js");
        const registry = new SchemaRegistry();
        validate = (file) => prevalidate(file, registry, into);
      }
      validate(lintFiles[candidates[i]]);
      here++;
    }
    const waitStarted = performance.now();
    const output = await worker.validated;
    let there = 0;
    output?.validated.forEach((i, k) => {
      const file = lintFiles[candidates[i]];
      // The worker parsed the same bytes the same way; a file that changed in between is left to the schema stage.
      if (!file || file.documents.length !== output.counts[k]) return;
      const problems = output.problems[i];
      file.documents.forEach((document, d) => into.set(document, problems?.[d] ?? []));
      there++;
    });
    options.debug(
      `load worker: parsed ${delivered.size} and validated ${there} of ${candidates.length} file(s)${output ? "" : " (failed: the rest is validated inline)"}, this thread validated ${here}; ` +
        `done ${(performance.now() - workerStarted).toFixed(0)} ms after its start; the main thread waited ${(performance.now() - waitStarted).toFixed(0)} ms`,
    );
    return into;
  };

  found.files.forEach((file, index) => {
    if (file.ignoredExplicitly) {
      lintFiles[index] = {
        ...lintFiles[index],
        documents: [],
        problems: [
          {
            ruleId: "load",
            severity: 1,
            fatal: false,
            message: 'File ignored because of a matching ignore pattern. Use "--no-ignore" to lint it.',
            span: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } },
          },
        ],
      };
    }
  });
  if (options.stdin) {
    const name = options.stdin.filename ? resolve(options.cwd, options.stdin.filename) : "<stdin>";
    lintFiles.push(parseBytes(Buffer.from(options.stdin.text, "utf8"), name, "lint"));
  }
  for (const file of [...lintFiles, ...contextFiles]) {
    for (const skipped of file.skipped) {
      options.debug(`${relative(options.cwd, file.path) || file.path}:${skipped.span.start.line}: skipped document ${skipped.index + 1}: ${skipped.reason}`);
    }
  }
  return { found, lintFiles, contextFiles, crdFiles, prevalidated };
}

/**
 * The worker's script: beside this module once built (`dist/engine`, or the bundle's directory);
 * when running from the TypeScript sources (tests), the build's copy in `dist/engine`, if any.
 */
function workerScript(): URL | undefined {
  const here = import.meta.url;
  const url = here.endsWith(".ts") ? new URL("../../dist/engine/load-worker.js", here) : new URL("./load-worker.js", here);
  try {
    return existsSync(fileURLToPath(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

interface RunningWorker {
  /** The files the worker parsed, by index into its paths: all of them once it says it is done, what came before when it fails. */
  parsed: Promise<Map<number, SourceFile>>;
  /** What it validated; undefined when it fails in any way. */
  validated: Promise<ValidatedMessage | undefined>;
}

/**
 * Runs the worker. Neither promise ever rejects: a worker that fails, exits or posts anything unexpected
 * is stopped, and what it did not deliver is done on the main thread.
 */
function runWorker(script: URL, input: LoadWorkerInput): RunningWorker {
  const parsed = new Map<number, SourceFile>();
  let resolveParsed!: (files: Map<number, SourceFile>) => void;
  let resolveValidated!: (output: ValidatedMessage | undefined) => void;
  const result: RunningWorker = {
    parsed: new Promise((resolvePromise) => (resolveParsed = resolvePromise)),
    validated: new Promise((resolvePromise) => (resolveValidated = resolvePromise)),
  };
  let worker: Worker | undefined;
  const fail = () => {
    resolveParsed(parsed);
    resolveValidated(undefined);
    void worker?.terminate().catch(() => {});
  };
  try {
    worker = new Worker(script, {
      workerData: input,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      stdout: true,
      stderr: true,
    });
  } catch {
    fail();
    return result;
  }
  const total = input.paths.length;
  worker.on("message", (message: LoadWorkerMessage) => {
    if (message?.type === "parsed" && Array.isArray(message.files)) {
      for (const entry of message.files) {
        if (!entry || !Number.isInteger(entry.index) || entry.index < 0 || entry.index >= total || parsed.has(entry.index)) return fail();
        if (!isSourceFile(entry.file, input.paths[entry.index])) return fail();
        parsed.set(entry.index, entry.file);
      }
    } else if (message?.type === "parse-done") {
      resolveParsed(parsed);
    } else if (
      message?.type === "validated" &&
      Array.isArray(message.validated) &&
      Array.isArray(message.counts) &&
      message.validated.length === message.counts.length &&
      message.validated.every((i) => Number.isInteger(i) && i >= 0 && i < total) &&
      typeof message.problems === "object" &&
      message.problems !== null
    ) {
      resolveParsed(parsed);
      resolveValidated(message);
    } else {
      fail();
    }
  });
  worker.once("error", fail);
  worker.once("exit", fail);
  return result;
}

/** Whether a worker's message holds a parsed file of the shape `parseSource` makes, for `path`. */
function isSourceFile(file: SourceFile | undefined, path: string): file is SourceFile {
  return (
    typeof file === "object" &&
    file !== null &&
    file.path === path &&
    file.role === "lint" &&
    typeof file.text === "string" &&
    Array.isArray(file.skipped) &&
    Array.isArray(file.problems) &&
    Array.isArray(file.documents) &&
    file.documents.every(
      (document) =>
        typeof document === "object" &&
        document !== null &&
        Number.isInteger(document.index) &&
        Array.isArray(document.base) &&
        typeof document.value === "object" &&
        document.value !== null &&
        typeof document.span === "object",
    )
  );
}
