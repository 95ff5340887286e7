/**
 * The load stage: finds the files, reads and parses them. On big runs, when a core is spare, this
 * thread posts the values of the documents it parses to a worker thread (see `validation-worker.ts`),
 * which validates them while this thread goes on to model, graph and rules. Its problems (keyed by
 * file and document) reach the schema stage through `prevalidated`, which the engine calls after the
 * rules. Small runs validate inline, in the schema stage.
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
import type { ValidationWorkerInput, ValidationWorkerMessage, ParsedValuesMessage, ValidatedMessage } from "./validation-worker.js";

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
  /**
   * When model, graph and rules are done, this thread validates the files the worker has not claimed
   * yet if at least this many are left (default 1,000), else it waits for the worker.
   */
  workerLeftovers?: number;
  /** The worker's script (default: `validation-worker.js` of the build); tests give failing ones. */
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
   * here the files the worker has not claimed yet (when many are left), then waits for the worker.
   * Empty without worker.
   */
  prevalidated: () => Promise<Map<SourceDocument, SchemaProblem[]>>;
}

/** Below this many lint files, the worker's start-up costs more than it saves. */
const DEFAULT_WORKER_THRESHOLD = 64;
/**
 * The main thread validates files the worker has not claimed yet only when at least this many are
 * left: loading the validators here costs about as much as validating a thousand files.
 */
const MIN_LEFTOVERS = 1000;
/** Files per message of values posted to the worker. */
const VALUES_BATCH = 32;
/** A roomier young generation: validation allocates many short-lived objects. */
const WORKER_YOUNG_GENERATION_MB = 64;

/**
 * Lint files from which on the validation worker is used: the `workerThreshold` option, else the
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
 * copying the documents to it): worth it when it runs beside the main thread, a loss on a machine
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

  // This thread parses every file; on big runs it posts the values of those not ignored explicitly to
  // the worker as it goes, which validates them while this thread runs model, graph and rules.
  const candidates = found.files.flatMap((file, index) => (file.ignoredExplicitly ? [] : [index]));
  const script = options.workerScript ?? workerScript();
  const useWorker = script !== undefined && candidates.length > 0 && candidates.length >= workerThreshold(options.workerThreshold);
  const claims = useWorker ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
  const workerStarted = performance.now();
  const worker = useWorker ? runWorker(script, { files: candidates.length, claims: claims!.buffer as SharedArrayBuffer }) : undefined;

  const lintFiles: SourceFile[] = new Array(lintPaths.length);
  const progress = options.onProgress;
  let loaded = 0;
  const readHere = (index: number) => {
    lintFiles[index] = readSourceSync(lintPaths[index], lintPaths[index], "lint");
    loaded++;
    progress?.({ stage: "load", done: loaded, total: lintPaths.length });
  };
  progress?.({ stage: "load", done: 0, total: lintPaths.length });
  if (worker) {
    let batch: ParsedValuesMessage["files"] = [];
    try {
      for (let i = 0; i < candidates.length; i++) {
        readHere(candidates[i]);
        batch.push({ index: i, values: lintFiles[candidates[i]].documents.map((document) => document.value) });
        if (batch.length >= VALUES_BATCH) {
          worker.send({ type: "values", files: batch, last: false });
          batch = [];
        }
      }
    } finally {
      worker.send({ type: "values", files: batch, last: true });
    }
  }
  for (let index = 0; index < lintPaths.length; index++) if (!lintFiles[index]) readHere(index);

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
    // What the worker has not claimed yet is validated here, when that is worth loading the
    // validators on this thread too; otherwise the worker is waited for.
    let validate: ((file: SourceFile) => void) | undefined;
    let here = 0;
    const left = candidates.length - Math.min(candidates.length, Atomics.load(claims, 0));
    for (let i = left >= (options.workerLeftovers ?? MIN_LEFTOVERS) ? Atomics.add(claims, 0, 1) : candidates.length; i < candidates.length; i = Atomics.add(claims, 0, 1)) {
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
      // The worker validated the values posted to it; a count that differs is left to the schema stage.
      if (!file || file.documents.length !== output.counts[k]) return;
      const problems = output.problems[i];
      file.documents.forEach((document, d) => into.set(document, problems?.[d] ?? []));
      there++;
    });
    options.debug(
      `validation worker: validated ${there} of ${candidates.length} file(s)${output ? "" : " (failed: the rest is validated inline)"}, this thread validated ${here}; ` +
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
  const url = here.endsWith(".ts") ? new URL("../../dist/engine/validation-worker.js", here) : new URL("./validation-worker.js", here);
  try {
    return existsSync(fileURLToPath(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

interface RunningWorker {
  /** What it validated; undefined when it fails in any way. */
  validated: Promise<ValidatedMessage | undefined>;
  /** Posts the values of parsed files (a worker that failed ignores them). */
  send: (message: ParsedValuesMessage) => void;
}

/**
 * Runs the worker. The promise never rejects: a worker that fails, exits or posts anything unexpected
 * is stopped, and what it did not deliver is validated on the main thread.
 */
function runWorker(script: URL, input: ValidationWorkerInput): RunningWorker {
  let resolveValidated!: (output: ValidatedMessage | undefined) => void;
  let worker: Worker | undefined;
  let failed = false;
  const fail = () => {
    failed = true;
    resolveValidated(undefined);
    void worker?.terminate().catch(() => {});
  };
  const result: RunningWorker = {
    validated: new Promise((resolvePromise) => (resolveValidated = resolvePromise)),
    send: (message) => {
      if (failed || !worker) return;
      try {
        worker.postMessage(message);
      } catch {
        fail();
      }
    },
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
  const total = input.files;
  worker.on("message", (message: ValidationWorkerMessage) => {
    if (
      message?.type === "validated" &&
      Array.isArray(message.validated) &&
      Array.isArray(message.counts) &&
      message.validated.length === message.counts.length &&
      message.validated.every((i) => Number.isInteger(i) && i >= 0 && i < total) &&
      typeof message.problems === "object" &&
      message.problems !== null
    ) {
      resolveValidated(message);
    } else {
      fail();
    }
  });
  worker.once("error", fail);
  worker.once("exit", fail);
  return result;
}
