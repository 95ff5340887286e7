/**
 * The load worker (a `node:worker_threads` worker started by `load-stage.ts` on big runs). It works in
 * two phases, taking files one at a time from counters shared with the main thread:
 *
 * 1. parse: it reads and parses lint files beside the main thread and posts each parsed file back
 *    (structured clone), so every file is parsed once, by one of the two threads;
 * 2. validate: while the main thread runs model, graph and rules, it validates the files it parsed,
 *    then reads, parses and validates the files the main thread parsed, until the main thread, its
 *    rules done, validates the rest itself. Only the problems of this phase go back.
 *
 * A file that fails here (which reading, parsing and validating never should) is left out of what is
 * posted: the main thread parses it, or its schema stage validates it, inline.
 */
import { parentPort, workerData } from "node:worker_threads";
import { readSourceSync } from "../load/read.js";
import type { SourceFile } from "../load/types.js";
import type { SchemaProblem } from "../schema/types.js";

export interface LoadWorkerInput {
  /** Absolute paths of the lint files (also their display paths, as on the main thread). */
  paths: string[];
  /**
   * An `Int32Array` of two counters over `paths`, shared with the main thread: [0] the next file to
   * parse (phase 1), [1] the next file to validate (phase 2; files the worker parsed are skipped).
   */
  claims: SharedArrayBuffer;
}

/** Phase 1, posted in batches: files parsed here, by index into `paths`. */
export interface ParsedFilesMessage {
  type: "parsed";
  files: { index: number; file: SourceFile }[];
}

/** Phase 1 is over: no more parsed files will come. */
export interface ParseDoneMessage {
  type: "parse-done";
}

/** Phase 2, posted once at the end. */
export interface ValidatedMessage {
  type: "validated";
  /** Indexes (into `paths`) of the files validated here, the ones parsed here included. */
  validated: number[];
  /** The number of documents of each validated file, as parsed here (a check for the main thread). */
  counts: number[];
  /** Problems per document (null: none), by file index; files without problems are left out. */
  problems: Record<number, (SchemaProblem[] | null)[]>;
}

export type LoadWorkerMessage = ParsedFilesMessage | ParseDoneMessage | ValidatedMessage;

/** Files per message in phase 1: fewer messages, without keeping the main thread waiting at the end. */
const BATCH = 16;

async function run(input: LoadWorkerInput, post: (message: LoadWorkerMessage) => void): Promise<void> {
  const claims = new Int32Array(input.claims);
  const total = input.paths.length;

  // Phase 1: parse.
  const parsedHere = new Map<number, SourceFile>();
  let batch: ParsedFilesMessage["files"] = [];
  for (let i = Atomics.add(claims, 0, 1); i < total; i = Atomics.add(claims, 0, 1)) {
    let file: SourceFile;
    try {
      file = readSourceSync(input.paths[i], input.paths[i], "lint");
    } catch {
      continue; // left to the main thread
    }
    parsedHere.set(i, file);
    batch.push({ index: i, file });
    if (batch.length >= BATCH) {
      post({ type: "parsed", files: batch });
      batch = [];
    }
  }
  if (batch.length > 0) post({ type: "parsed", files: batch });
  post({ type: "parse-done" });

  // Phase 2: validate the files parsed here, then claim the others. The validators are loaded only
  // now, so that parsing starts as soon as the worker does.
  const { validateDocuments, SchemaRegistry } = await import("./schema-stage.js");
  const registry = new SchemaRegistry();
  const output: ValidatedMessage = { type: "validated", validated: [], counts: [], problems: {} };
  const validate = (index: number, file: SourceFile) => {
    const problems = validateDocuments(file, registry);
    output.validated.push(index);
    output.counts.push(file.documents.length);
    if (problems.some((found) => found.length > 0)) output.problems[index] = problems.map((found) => (found.length > 0 ? found : null));
  };
  for (const [index, file] of parsedHere) {
    try {
      validate(index, file);
    } catch {
      // Left to the main thread's schema stage.
    }
  }
  for (let i = Atomics.add(claims, 1, 1); i < total; i = Atomics.add(claims, 1, 1)) {
    if (parsedHere.has(i)) continue;
    try {
      validate(i, readSourceSync(input.paths[i], input.paths[i], "lint"));
    } catch {
      // Left to the main thread's schema stage.
    }
  }
  post(output);
}

if (parentPort) {
  const port = parentPort;
  void run(workerData as LoadWorkerInput, (message) => port.postMessage(message));
}
