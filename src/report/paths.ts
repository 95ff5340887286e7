import path from "node:path";
import { pathToFileURL } from "node:url";

/** Names such as `<stdin>` or `<text>` that stand for input without a file. */
export function isPseudoPath(filePath: string): boolean {
  return /^<[^<>]*>$/.test(filePath);
}

/**
 * The path to show for a result: relative to `cwd` with forward slashes when the file lies inside it,
 * otherwise absolute (with forward slashes). Pseudo names like `<stdin>` are kept as they are.
 */
export function displayPath(filePath: string, cwd: string): string {
  if (isPseudoPath(filePath)) return filePath;
  const absolute = path.resolve(cwd, filePath);
  const relative = path.relative(cwd, absolute);
  if (isOutside(relative)) return toSlashes(absolute);
  return toSlashes(relative);
}

/** Where a file lies, for SARIF: a relative URI reference under the base when inside `cwd`, else a `file:` URI. */
export function artifactUri(filePath: string, cwd: string): { uri: string; underBase: boolean } {
  if (isPseudoPath(filePath)) return { uri: encodeSegments(filePath), underBase: false };
  const absolute = path.resolve(cwd, filePath);
  const relative = path.relative(cwd, absolute);
  if (isOutside(relative)) {
    return { uri: pathToFileURL(absolute).href, underBase: false };
  }
  return { uri: encodeSegments(toSlashes(relative)), underBase: true };
}

/** The `file:` URI of a directory, ending in `/` as SARIF requires of a base URI. */
export function directoryUri(directory: string): string {
  const href = pathToFileURL(path.resolve(directory)).href;
  return href.endsWith("/") ? href : `${href}/`;
}

function isOutside(relative: string): boolean {
  return relative === "" || relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

function toSlashes(value: string): string {
  return value.split(path.sep).join("/");
}

function encodeSegments(value: string): string {
  return value.split("/").map(encodeURIComponent).join("/");
}
