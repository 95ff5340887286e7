/**
 * The validation worker (a `node:worker_threads` worker started by `load-stage.ts` on big runs). The
 * main thread parses every lint file and posts the documents' values here in batches as it goes
 * (structured clone: far cheaper than parsing again, and only the main thread compiles the parser);
 * this thread validates them with the bundled schemas, file by file in the order of a counter shared
 * with the main thread, while the main thread goes on to model, graph and rules. When those are done,
 * the main thread validates what this thread has not claimed yet itself. Only problems go back, once,
 * at the end.
 *
 * A file that fails here (which validating never should) is left out of what is posted: the main
 * thread's schema stage validates it inline.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import type { SchemaProblem } from "../schema/types.js";

export interface ValidationWorkerInput {
  /** How many lint files the main thread parses (indexes of the values it posts). */
  files: number;
  /** An `Int32Array` of one counter, shared with the main thread: the next file to validate. */
  claims: SharedArrayBuffer;
}

/** From the main thread, in batches as it parses: the document values of files, by index. */
export interface ParsedValuesMessage {
  type: "values";
  files: { index: number; values: unknown[] }[];
  /** The main thread is done parsing: no more values will come. */
  last: boolean;
}

/** Posted once at the end. */
export interface ValidatedMessage {
  type: "validated";
  /** Indexes of the files validated here. */
  validated: number[];
  /** The number of documents of each validated file, as received (a check for the main thread). */
  counts: number[];
  /** Problems per document (null: none), by file index; files without problems are left out. */
  problems: Record<number, (SchemaProblem[] | null)[]>;
}

export type ValidationWorkerMessage = ValidatedMessage;

async function run(input: ValidationWorkerInput, post: (message: ValidationWorkerMessage) => void, fromMain: ValuesFromMain): Promise<void> {
  const claims = new Int32Array(input.claims);
  // The validators load while the main thread parses the first files.
  const { validateDocuments, SchemaRegistry } = await import("./schema-stage.js");
  const registry = new SchemaRegistry();
  const output: ValidatedMessage = { type: "validated", validated: [], counts: [], problems: {} };
  for (let i = Atomics.add(claims, 0, 1); i < input.files; i = Atomics.add(claims, 0, 1)) {
    const values = await fromMain.get(i);
    // Values the main thread did not post (it never should) are left to its schema stage.
    if (!Array.isArray(values)) continue;
    try {
      const problems = validateDocuments(values, registry);
      output.validated.push(i);
      output.counts.push(values.length);
      if (problems.some((found) => found.length > 0)) output.problems[i] = problems.map((found) => (found.length > 0 ? found : null));
    } catch {
      // Left to the main thread's schema stage.
    }
  }
  fromMain.close();
  post(output);
}

/** The values the main thread posts (see {@link ParsedValuesMessage}), awaited file by file. */
class ValuesFromMain {
  private readonly values = new Map<number, unknown[]>();
  private done = false;
  private wake: (() => void) | undefined;
  private readonly onMessage = (message: ParsedValuesMessage) => {
    if (message?.type === "values" && Array.isArray(message.files)) {
      for (const entry of message.files) if (Number.isInteger(entry?.index)) this.values.set(entry.index, entry.values);
    }
    // Anything else ends the values: what has not come is left to the main thread.
    if (message?.type !== "values" || message.last) this.done = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  };

  constructor(private readonly port: MessagePort) {
    port.on("message", this.onMessage);
  }

  async get(index: number): Promise<unknown[] | undefined> {
    while (!this.values.has(index) && !this.done) await new Promise<void>((resolve) => (this.wake = resolve));
    const values = this.values.get(index);
    this.values.delete(index);
    return values;
  }

  /** Stops listening, so that the worker exits once it has posted its problems. */
  close(): void {
    this.port.off("message", this.onMessage);
  }
}

if (parentPort) {
  const port = parentPort;
  void run(workerData as ValidationWorkerInput, (message) => port.postMessage(message), new ValuesFromMain(port));
}
