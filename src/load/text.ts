import type { Point, Span } from "./types.js";

/** Offsets at which each line of a text starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line and column of an offset. */
export function pointAt(text: string, offset: number, starts: number[] = lineStarts(text)): Point {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= clamped) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: clamped - starts[low] + 1, offset: clamped };
}

export function spanAt(text: string, from: number, to: number, starts?: number[]): Span {
  const table = starts ?? lineStarts(text);
  return { start: pointAt(text, from, table), end: pointAt(text, Math.max(from, to), table) };
}

/** The span from the start of line `first` to the end of line `last` (1-based, inclusive). */
export function lineSpan(lines: string[], first: number, last: number): Span {
  const end = lines[last - 1] ?? "";
  return { start: { line: first, column: 1 }, end: { line: last, column: end.replace(/\r$/, "").length + 1 } };
}
