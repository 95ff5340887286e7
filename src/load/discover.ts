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
  /** The extra patterns: applied after every ignore file, so they have the last word (as ESLint's `--ignore-pattern`). */
  private readonly extra: IgnoreLayer | undefined;

  constructor(private readonly options: DiscoverOptions) {
    this.extra = options.ignorePatterns.length > 0 ? { base: options.cwd, rules: ignore().add(options.ignorePatterns) } : undefined;
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
        const layers = await this.layersWithin(absolute);
        if (layers) await this.walk(absolute, add, result.warnings, new Set(), layers);
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

  /**
   * Walks a directory. `layers` are the ignore layers that apply to its entries (those of the
   * working directory down to this one), so each entry is judged without looking them up again.
   */
  private async walk(
    directory: string,
    add: (file: DiscoveredFile) => void,
    warnings: string[],
    visiting: Set<string>,
    layers: readonly IgnoreLayer[],
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
        if (this.ignores(layers, path, true)) continue;
        const own = this.options.useIgnoreFiles && isInside(relative(this.options.cwd, path)) ? await this.layer(path) : null;
        await this.walk(path, add, warnings, visiting, own ? [...layers, own] : layers);
      } else if (isFile && MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
        if (this.ignores(layers, path, false)) continue;
        add({ path });
      }
    }
    visiting.delete(real);
  }

  /**
   * Whether a path is ignored: its directory, or one above it below the working directory, is ignored
   * (git never re-includes what is inside an ignored directory), or the layers down to its directory
   * ignore it (see {@link Discoverer.ignores}).
   */
  private async isIgnored(path: string, isDirectory: boolean): Promise<boolean> {
    const layers = await this.layersWithin(resolve(path, ".."));
    return !layers || this.ignores(layers, path, isDirectory);
  }

  /**
   * As git decides: the last pattern that matches the path wins, a deeper ignore file's over a
   * shallower one's and a later line's over an earlier one's, so `!pattern` re-includes what an ignore
   * file above ignores. The extra patterns come last.
   */
  private ignores(layers: readonly IgnoreLayer[], path: string, isDirectory: boolean): boolean {
    let ignored = false;
    for (const layer of this.extra ? [...layers, this.extra] : layers) {
      const rel = relative(layer.base, path);
      if (!rel || rel.startsWith("..")) continue;
      const verdict = layer.rules.test(rel.split(sep).join("/") + (isDirectory ? "/" : ""));
      if (verdict.ignored) ignored = true;
      else if (verdict.unignored) ignored = false;
    }
    return ignored;
  }

  /**
   * The ignore files' layers that apply to the entries of a directory: those of the working directory
   * and of each directory below it down to this one (only the working directory's for a directory
   * outside it). Undefined when the directory, or one above it below the working directory, is
   * ignored: the walk never enters it.
   */
  private async layersWithin(directory: string): Promise<IgnoreLayer[] | undefined> {
    const layers: IgnoreLayer[] = [];
    const add = async (dir: string) => {
      const layer = this.options.useIgnoreFiles ? await this.layer(dir) : null;
      if (layer) layers.push(layer);
    };
    await add(this.options.cwd);
    const relativeDir = relative(this.options.cwd, directory);
    if (relativeDir && isInside(relativeDir)) {
      let current = this.options.cwd;
      for (const part of relativeDir.split(sep)) {
        current = join(current, part);
        if (this.ignores(layers, current, true)) return undefined;
        await add(current);
      }
    }
    return layers;
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

/** Whether a path relative to the working directory is the working directory or below it. */
function isInside(relativePath: string): boolean {
  return !relativePath.startsWith("..") && !relativePath.startsWith(sep);
}
