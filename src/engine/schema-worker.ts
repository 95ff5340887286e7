/**
 * The schema worker (a `node:worker_threads` worker started by `load-stage.ts` on big runs): it reads,
 * parses and validates lint files with the bundled schemas while the main thread, which loads every
 * file itself, runs model, graph and rules. Files are claimed one at a time from a counter shared
 * with the main thread, which validates the ones left when its rules are done. Only the problems go
 * back (by file and document index), never the parsed values.
 *
 * A file that fails here (which reading, parsing and validating never should) is left out of
 * `validated`: the main thread's schema stage validates it inline.
 */
import { parentPort, workerData } from "node:worker_threads";
import { readSourceSync } from "../load/read.js";
import { toResource } from "../model/resource.js";
import { validateResource } from "../schema/index.js";
import { SchemaRegistry } from "../schema/registry.js";
import type { SchemaProblem } from "../schema/types.js";

export interface SchemaWorkerInput {
  /** Absolute paths of the lint files (also their display paths, as on the main thread). */
  paths: string[];
  /** An `Int32Array` counter over `paths`, shared with the main thread: the next file to claim. */
  claims: SharedArrayBuffer;
}

export interface SchemaWorkerOutput {
  /** Indexes (into `paths`) of the files validated here. */
  validated: number[];
  /** The number of documents of each validated file, as parsed here (a check for the main thread). */
  counts: number[];
  /** Problems per document (null: none), by file index; files without problems are left out. */
  problems: Record<number, (SchemaProblem[] | null)[]>;
}

function run(input: SchemaWorkerInput): SchemaWorkerOutput {
  const registry = new SchemaRegistry();
  const claims = new Int32Array(input.claims);
  const output: SchemaWorkerOutput = { validated: [], counts: [], problems: {} };
  for (let i = Atomics.add(claims, 0, 1); i < input.paths.length; i = Atomics.add(claims, 0, 1)) {
    try {
      const file = readSourceSync(input.paths[i], input.paths[i], "lint");
      let any = false;
      const problems = file.documents.map((document) => {
        // Validation needs only the object's apiVersion and kind; the namespace plays no part.
        const found = validateResource(toResource(document.value, { defaultNamespace: "default", origin: "lint" }), registry);
        if (found.length === 0) return null;
        any = true;
        return found;
      });
      output.validated.push(i);
      output.counts.push(file.documents.length);
      if (any) output.problems[i] = problems;
    } catch {
      // Left to the main thread.
    }
  }
  return output;
}

if (parentPort) {
  parentPort.postMessage(run(workerData as SchemaWorkerInput));
}
