import { isUtf8 } from "node:buffer";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { LoadProblem, SourceFile, SourceRole } from "./types.js";
import { parseSource } from "./parse.js";
import { spanAt } from "./text.js";

/** Files larger than this are not analysed (Kubernetes limits one object to 1.5 MiB in etcd). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

const start = { line: 1, column: 1 };

function problemFile(path: string, role: SourceRole, message: string, text = "", offset = 0): SourceFile {
  const problem: LoadProblem = {
    ruleId: "load",
    severity: 2,
    fatal: true,
    message,
    span: text ? spanAt(text, offset, offset + 1) : { start, end: start },
  };
  return { path, role, text, documents: [], skipped: [], problems: [problem] };
}

/** Decodes bytes as a Kubernetes client would: UTF-8 (BOM removed) or UTF-16 with a BOM. */
export function decode(bytes: Uint8Array): { text: string } | { error: string; offset: number; text?: string } {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: new TextDecoder("utf-16le").decode(bytes.subarray(2)) };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: new TextDecoder("utf-16be").decode(bytes.subarray(2)) };
  }
  const probe = bytes.subarray(0, Math.min(bytes.length, 8192));
  const nul = probe.indexOf(0);
  if (nul !== -1) return { error: "This is a binary file, not YAML or JSON; it is skipped", offset: 0 };
  if (isUtf8(bytes)) {
    // The common case, without a TextDecoder per file: valid UTF-8, a leading BOM removed.
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
    return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
  }
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return { text };
  } catch {
    // Point at the first character that did not decode.
    const lossy = new TextDecoder("utf-8").decode(bytes);
    return { error: "This file is not valid UTF-8 text; it is skipped", offset: Math.max(0, lossy.indexOf("\uFFFD")), text: lossy };
  }
}
/** Reads and parses one file; every failure becomes a message on that file, never an exception. */
export async function readSource(path: string, displayPath: string, role: SourceRole): Promise<SourceFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return unreadable(error, displayPath, role);
  }
  return parseBytes(bytes, displayPath, role);
}

/**
 * {@link readSource}, synchronously: for many small files, one `readFileSync` each costs far less
 * than the promise machinery of `readFile` (open, fstat, read, close as separate round trips).
 */
export function readSourceSync(path: string, displayPath: string, role: SourceRole): SourceFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return unreadable(error, displayPath, role);
  }
  return parseBytes(bytes, displayPath, role);
}

function unreadable(error: unknown, displayPath: string, role: SourceRole): SourceFile {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === "EACCES" || code === "EPERM"
      ? "permission denied"
      : code === "EISDIR"
        ? "it is a directory"
        : code === "ELOOP"
          ? "too many levels of symbolic links"
          : code === "ENOENT"
            ? "no such file"
            : (error as Error).message;
  return problemFile(displayPath, role, `The file could not be read: ${why}`);
}

export function parseBytes(bytes: Uint8Array, displayPath: string, role: SourceRole): SourceFile {
  if (bytes.length > MAX_FILE_BYTES) {
    return problemFile(
      displayPath,
      role,
      `The file is ${(bytes.length / 1024 / 1024).toFixed(0)} MiB, over the ${MAX_FILE_BYTES / 1024 / 1024} MiB limit; it is skipped`,
    );
  }
  const decoded = decode(bytes);
  if ("error" in decoded) return problemFile(displayPath, role, decoded.error, decoded.text, decoded.offset);
  try {
    return parseSource(displayPath, decoded.text, role);
  } catch (error) {
    return problemFile(displayPath, role, `The file could not be parsed: ${(error as Error).message}`, decoded.text);
  }
}
