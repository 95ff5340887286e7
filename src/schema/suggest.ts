import leven from "leven";

/**
 * The candidate closest to a name that was probably mistyped (a field, a rule id): equal once case,
 * `-` and `_` are ignored, else the nearest by edit distance, if within a third of the longer name
 * (at least 2). Undefined when nothing is that close.
 */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const n = norm(name);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = norm(c) === n ? 0 : leven(name, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(name.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}
