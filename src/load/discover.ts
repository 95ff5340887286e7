import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";

/** Extensions a directory walk picks up. */
export const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"];

/** `glob`, imported when a pattern is neither a file nor a directory (most runs name neither). */
let glob: typeof import("glob") | undefined;

/** Directories never walked into. */
const ALWAYS_SKIPPED = new Set([".git", "node_modules"]);

export interface DiscoverOptions {
  cwd: string;
  /** Extra .gitignore-style patterns (`--ignore-pattern`, config `ignorePatterns`), relative to cwd. */
  ignorePatterns: string[];
  /** Read `.gitignore` and `.mesh-lintignore` files (default true). */
  useIgnoreFiles: boolean;
}

export interface DiscoveredFile {
  /** Absolute path. */
  path: string;
  /** A file named on the command line that an ignore pattern matches (ESLint warns about these). */
  ignoredExplicitly?: boolean;
}

export interface DiscoverResult {
  files: DiscoveredFile[];
  /** Patterns that matched no file: a usage error, as in ESLint. */
  unmatched: string[];
  /** Problems met while walking (unreadable directories, symlink loops). */
  warnings: string[];
}

/** Ignore rules of one directory, with the directory they are relative to. */
interface IgnoreLayer {
  base: string;
  rules: Ignore;
}

export class Discoverer {
  private readonly layers = new Map<string, IgnoreLayer | null>();
  private readonly root: IgnoreLayer;

  constructor(private readonly options: DiscoverOptions) {
    this.root = { base: options.cwd, rules: ignore().add(options.ignorePatterns) };
  }

  async discover(patterns: string[]): Promise<DiscoverResult> {
    const result: DiscoverResult = { files: [], unmatched: [], warnings: [] };
    const seen = new Set<string>();
    const add = (file: DiscoveredFile) => {
      if (seen.has(file.path)) return;
      seen.add(file.path);
      result.files.push(file);
    };
    for (const pattern of patterns) {
      const before = result.files.length;
      const absolute = resolve(this.options.cwd, pattern);
      const info = await stat(absolute).catch(() => undefined);
      if (info?.isFile()) {
        const ignored = await this.isIgnored(absolute, false);
        add({ path: absolute, ...(ignored ? { ignoredExplicitly: true } : {}) });
      } else if (info?.isDirectory()) {
        await this.walk(absolute, add, result.warnings, new Set());
      } else if ((glob ??= await import("glob")).hasMagic(pattern, { windowsPathsNoEscape: false })) {
        const matches = await glob.glob(pattern, {
          cwd: this.options.cwd,
          absolute: true,
          nodir: true,
          dot: false,
          ignore: ["**/node_modules/**", "**/.git/**"],
        });
        matches.sort();
        for (const match of matches) {
          if (!MANIFEST_EXTENSIONS.some((ext) => match.endsWith(ext))) continue;
          if (await this.isIgnored(match, false)) continue;
          add({ path: match });
        }
      }
      if (result.files.length === before && !(info?.isFile() ?? false)) result.unmatched.push(pattern);
    }
    return result;
  }

  private async walk(
    directory: string,
    add: (file: DiscoveredFile) => void,
    warnings: string[],
    visiting: Set<string>,
  ): Promise<void> {
    let real: string;
    try {
      real = await realpath(directory);
    } catch (error) {
      warnings.push(`${this.display(directory)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`);
      return;
    }
    if (visiting.has(real)) {
      warnings.push(`${this.display(directory)}: symbolic link loop, not followed`);
      return;
    }
    visiting.add(real);
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      warnings.push(`${this.display(directory)}: cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`);
      visiting.delete(real);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(directory, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        if (!target) {
          warnings.push(`${this.display(path)}: broken symbolic link or link loop, skipped`);
          continue;
        }
        isDirectory = target.isDirectory();
        isFile = target.isFile();
      }
      if (isDirectory) {
        if (ALWAYS_SKIPPED.has(entry.name)) continue;
        if (await this.isIgnored(path, true)) continue;
        await this.walk(path, add, warnings, visiting);
      } else if (isFile && MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
        if (await this.isIgnored(path, false)) continue;
        add({ path });
      }
    }
    visiting.delete(real);
  }

  /** Whether any ignore layer from the working directory down to the file's directory ignores it. */
  private async isIgnored(path: string, isDirectory: boolean): Promise<boolean> {
    const candidates = [this.root];
    if (this.options.useIgnoreFiles) {
      const relativeDir = relative(this.options.cwd, resolve(path, ".."));
      const inside = !relativeDir.startsWith("..") && !relativeDir.startsWith(sep);
      const dirs = [this.options.cwd];
      if (inside && relativeDir) {
        let current = this.options.cwd;
        for (const part of relativeDir.split(sep)) {
          current = join(current, part);
          dirs.push(current);
        }
      }
      for (const dir of dirs) {
        const layer = await this.layer(dir);
        if (layer) candidates.push(layer);
      }
    }
    for (const layer of candidates) {
      const rel = relative(layer.base, path);
      if (!rel || rel.startsWith("..")) continue;
      const posix = rel.split(sep).join("/") + (isDirectory ? "/" : "");
      if (layer.rules.ignores(posix)) return true;
    }
    return false;
  }

  private async layer(dir: string): Promise<IgnoreLayer | null> {
    if (this.layers.has(dir)) return this.layers.get(dir) ?? null;
    let text = "";
    for (const name of [".gitignore", ".mesh-lintignore"]) {
      text += (await readFile(join(dir, name), "utf8").catch(() => "")) + "\n";
    }
    const layer = text.trim() ? { base: dir, rules: ignore().add(text) } : null;
    this.layers.set(dir, layer);
    return layer;
  }

  private display(path: string): string {
    return relative(this.options.cwd, path) || ".";
  }
}
