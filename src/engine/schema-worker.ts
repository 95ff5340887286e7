/**
 * The schema worker (a `node:worker_threads` worker started by `load-stage.ts` on big runs): it reads and
 * parses its share of the lint files, exactly as the main thread would, validates their documents with
 * the bundled schemas, and posts back the loaded files with the problems of each document. The main
 * thread loads the other share meanwhile, so loading and validation use both cores.
 *
 * Every file is handled on its own: a file that fails here (which reading and parsing never should) is
 * posted as `null` and the main thread loads and validates it itself.
 */
import { parentPort, workerData } from "node:worker_threads";
import { readSourceSync } from "../load/read.js";
import type { SourceFile } from "../load/types.js";
import { toResource } from "../model/resource.js";
import { validateResource } from "../schema/index.js";
import { SchemaRegistry } from "../schema/registry.js";
import type { SchemaProblem } from "../schema/types.js";

export interface SchemaWorkerInput {
  /** Absolute paths of the lint files to load (also their display paths, as on the main thread). */
  paths: string[];
}

export interface SchemaWorkerFile {
  file: SourceFile;
  /** Problems per document of `file.documents` (null: none); absent when validation failed here. */
  problems?: (SchemaProblem[] | null)[];
}

export interface SchemaWorkerOutput {
  files: (SchemaWorkerFile | null)[];
}

function run(input: SchemaWorkerInput): SchemaWorkerOutput {
  const registry = new SchemaRegistry();
  const files: (SchemaWorkerFile | null)[] = [];
  for (const path of input.paths) {
    let file: SourceFile;
    try {
      file = readSourceSync(path, path, "lint");
    } catch {
      files.push(null);
      continue;
    }
    try {
      const problems = file.documents.map((document) => {
        // Validation needs only the object's apiVersion and kind; the namespace plays no part.
        const found = validateResource(toResource(document.value, { defaultNamespace: "default", origin: "lint" }), registry);
        return found.length > 0 ? found : null;
      });
      files.push({ file, problems });
    } catch {
      files.push({ file });
    }
  }
  return { files };
}

if (parentPort) {
  const output = run(workerData as SchemaWorkerInput);
  parentPort.postMessage(output);
}
