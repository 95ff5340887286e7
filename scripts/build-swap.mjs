import { existsSync, renameSync, rmSync } from "node:fs";

/**
 * Replaces `target` by `next` with two renames (the gap between them is the only window without it);
 * another build doing the same at the same time (a shared working tree) only makes it try again.
 */
export function swapDirectory(next, target) {
  const old = `${target}.old-${process.pid}`;
  for (let attempt = 0; ; attempt++) {
    try {
      if (existsSync(target)) renameSync(target, old);
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
    try {
      renameSync(next, target);
      break;
    } catch (error) {
      if (attempt >= 5 || (error.code !== "ENOTEMPTY" && error.code !== "EEXIST")) throw error;
    }
  }
  rmSync(old, { recursive: true, force: true });
}
