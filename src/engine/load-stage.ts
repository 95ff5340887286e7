/**
 * The load stage: finds the files, reads and parses them. On big runs one worker thread (see
 * `schema-worker.ts`) loads a share of the lint files and validates their documents while the main
 * thread loads the rest, so the two cores share the two costliest stages; the worker's problems are
 * handed to the schema stage as `prevalidated`. Small runs load everything here and validate inline.
 */
import { existsSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Discoverer, type DiscoverResult } from "../load/discover.js";
import { parseBytes, readSourceSync } from "../load/read.js";
import type { SourceDocument, SourceFile, SourceRole } from "../load/types.js";
import { toResource } from "../model/resource.js";
import { validateResource } from "../schema/index.js";
import { SchemaRegistry } from "../schema/registry.js";
import type { SchemaProblem } from "../schema/types.js";
import type { SchemaWorkerInput, SchemaWorkerOutput } from "./schema-worker.js";

export interface LoadInputOptions {
  cwd: string;
  patterns: string[];
  stdin?: { text: string; filename?: string };
  contextPatterns: string[];
  ignorePatterns: string[];
  useIgnoreFiles: boolean;
  crdFiles: string[];
  debug: (message: string) => void;
  /** Lint files from which on the schema worker is used (see {@link workerThreshold}). */
  workerThreshold?: number;
  /** The worker's script (default: `schema-worker.js` of the build); tests give failing ones. */
  workerScript?: URL;
}

export interface LoadedInput {
  found: DiscoverResult;
  lintFiles: SourceFile[];
  contextFiles: SourceFile[];
  crdFiles: SourceFile[];
  /**
   * Schema problems of lint documents validated while loading, by the worker or, while waiting for
   * it, by the main thread (bundled schemas only: the schema stage uses them only when the run has no
   * CustomResourceDefinition).
   */
  prevalidated: Map<SourceDocument, SchemaProblem[]>;
}

/** Below this many lint files, the worker's start-up costs more than it saves. */
const DEFAULT_WORKER_THRESHOLD = 64;
/** The share of the lint files the worker loads: it validates them too, the main thread does not. */
const WORKER_SHARE = 0.4;
/** A roomier young generation: parsing allocates many short-lived objects. */
const WORKER_YOUNG_GENERATION_MB = 48;

/**
 * Lint files from which on the schema worker is used: the `workerThreshold` option, else the
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
 * Whether a second core is free for the worker. The split costs CPU (a second isolate, its start-up,
 * sending the loaded files back): worth it when the worker runs beside the main thread, a loss on a
 * machine already busy with other work, where the threads would only take turns.
 */
export function spareCore(): boolean {
  const cores = typeof availableParallelism === "function" ? availableParallelism() : cpus().length;
  return cores >= 2 && loadavg()[0] <= cores - 1;
}

function readAll(paths: string[], role: SourceRole): SourceFile[] {
  return paths.map((path) => readSourceSync(path, path, role));
}

export async function loadInput(options: LoadInputOptions): Promise<LoadedInput> {
  const discovery = { cwd: options.cwd, ignorePatterns: options.ignorePatterns, useIgnoreFiles: options.useIgnoreFiles };
  const found = await new Discoverer(discovery).discover(options.patterns.filter((pattern) => pattern !== "-"));
  const lintPaths = found.files.map((file) => file.path);
  const lintSet = new Set(lintPaths);

  // The worker takes the last files that are not ignored explicitly; the main thread the others.
  const prevalidated = new Map<SourceDocument, SchemaProblem[]>();
  const candidates = found.files.flatMap((file, index) => (file.ignoredExplicitly ? [] : [index]));
  const script = options.workerScript ?? workerScript();
  const useWorker = script !== undefined && candidates.length > 0 && candidates.length >= workerThreshold(options.workerThreshold);
  const workerIndexes = useWorker ? candidates.slice(candidates.length - Math.max(1, Math.floor(candidates.length * WORKER_SHARE))) : [];
  const workerStarted = performance.now();
  const pending = useWorker ? runWorker(script, { paths: workerIndexes.map((index) => lintPaths[index]) }) : undefined;

  const lintFiles: SourceFile[] = new Array(lintPaths.length);
  const byWorker = new Set(workerIndexes);
  lintPaths.forEach((path, index) => {
    if (!byWorker.has(index)) lintFiles[index] = readSourceSync(path, path, "lint");
  });

  let contextFiles: SourceFile[] = [];
  if (options.contextPatterns.length > 0) {
    const context = await new Discoverer(discovery).discover(options.contextPatterns);
    const paths = context.files.map((file) => file.path).filter((path) => !lintSet.has(path));
    contextFiles = readAll(paths, "context");
    options.debug(`context: ${paths.length} file(s) loaded for analysis only`);
  }
  const crdFiles = readAll(
    options.crdFiles.map((path) => resolve(options.cwd, path)),
    "context",
  );

  if (pending) {
    // While the worker finishes its share, validate this thread's (the schema stage keeps these
    // problems only when the run has no CustomResourceDefinition, as it does the worker's).
    const registry = new SchemaRegistry();
    lintFiles.forEach((file, index) => {
      if (file && !found.files[index].ignoredExplicitly) prevalidate(file, registry, prevalidated);
    });
    const waitStarted = performance.now();
    const output = await pending;
    options.debug(
      `schema worker: ${workerIndexes.length} of ${lintPaths.length} file(s)${output ? "" : " (failed: loaded and validated inline)"}, ` +
        `ready ${(performance.now() - workerStarted).toFixed(0)} ms after its start; the main thread waited ${(performance.now() - waitStarted).toFixed(0)} ms`,
    );
    workerIndexes.forEach((index, i) => {
      const entry = output?.files[i];
      if (!entry) {
        // The worker could not load this file (or did not finish): load it here, validate inline.
        lintFiles[index] = readSourceSync(lintPaths[index], lintPaths[index], "lint");
        return;
      }
      lintFiles[index] = entry.file;
      if (!entry.problems || entry.problems.length !== entry.file.documents.length) return;
      entry.file.documents.forEach((document, d) => prevalidated.set(document, entry.problems![d] ?? []));
    });
  }

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

/** Validates a file's documents with the bundled schemas, as the worker does. */
function prevalidate(file: SourceFile, registry: SchemaRegistry, into: Map<SourceDocument, SchemaProblem[]>): void {
  let problems: SchemaProblem[][];
  try {
    problems = file.documents.map((document) => validateResource(toResource(document.value, { defaultNamespace: "default", origin: "lint" }), registry));
  } catch {
    return; // left to the schema stage, which meets the same trouble where it always has
  }
  file.documents.forEach((document, index) => into.set(document, problems[index]));
}

/**
 * The worker's script: beside this module once built (`dist/engine`, or the bundle's directory);
 * when running from the TypeScript sources (tests), the build's copy in `dist/engine`, if any.
 */
function workerScript(): URL | undefined {
  const here = import.meta.url;
  const url = here.endsWith(".ts") ? new URL("../../dist/engine/schema-worker.js", here) : new URL("./schema-worker.js", here);
  try {
    return existsSync(fileURLToPath(url)) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the worker; resolves to its output, or to undefined when it fails in any way (never rejects). */
function runWorker(script: URL, input: SchemaWorkerInput): Promise<SchemaWorkerOutput | undefined> {
  return new Promise((resolvePromise) => {
    let settled = false;
    const settle = (output: SchemaWorkerOutput | undefined) => {
      if (settled) return;
      settled = true;
      resolvePromise(output);
    };
    let worker: Worker;
    try {
      worker = new Worker(script, {
        workerData: input,
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
        stdout: true,
        stderr: true,
      });
    } catch {
      settle(undefined);
      return;
    }
    worker.once("message", (output: SchemaWorkerOutput) => {
      settle(output && Array.isArray(output.files) && output.files.length === input.paths.length ? output : undefined);
    });
    worker.once("error", () => settle(undefined));
    worker.once("exit", () => settle(undefined));
  });
}
