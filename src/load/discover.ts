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
        await this.walk(absolute, add, result.warnings, new Set(), await this.layersWithin(absolute));
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
        if (ignoredBy(layers, path, true)) continue;
        const own = this.options.useIgnoreFiles && isInside(relative(this.options.cwd, path)) ? await this.layer(path) : null;
        await this.walk(path, add, warnings, visiting, own ? [...layers, own] : layers);
      } else if (isFile && MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
        if (ignoredBy(layers, path, false)) continue;
        add({ path });
      }
    }
    visiting.delete(real);
  }

  /** Whether any ignore layer from the working directory down to the file's directory ignores it. */
  private async isIgnored(path: string, isDirectory: boolean): Promise<boolean> {
    return ignoredBy(await this.layersWithin(resolve(path, "..")), path, isDirectory);
  }

  /**
   * The ignore layers that apply to the entries of a directory: the extra patterns, then the ignore
   * files of the working directory and of each directory below it down to this one (none of them
   * for a directory outside the working directory).
   */
  private async layersWithin(directory: string): Promise<IgnoreLayer[]> {
    const layers = this.options.ignorePatterns.length > 0 ? [this.root] : [];
    if (!this.options.useIgnoreFiles) return layers;
    const relativeDir = relative(this.options.cwd, directory);
    const dirs = [this.options.cwd];
    if (relativeDir && isInside(relativeDir)) {
      let current = this.options.cwd;
      for (const part of relativeDir.split(sep)) {
        current = join(current, part);
        dirs.push(current);
      }
    }
    for (const dir of dirs) {
      const layer = await this.layer(dir);
      if (layer) layers.push(layer);
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

/** Whether one of the layers ignores a path (layers whose directory does not hold the path do not apply). */
function ignoredBy(layers: readonly IgnoreLayer[], path: string, isDirectory: boolean): boolean {
  for (const layer of layers) {
    const rel = relative(layer.base, path);
    if (!rel || rel.startsWith("..")) continue;
    const posix = rel.split(sep).join("/") + (isDirectory ? "/" : "");
    if (layer.rules.ignores(posix)) return true;
  }
  return false;
}

/** Whether a path relative to the working directory is the working directory or below it. */
function isInside(relativePath: string): boolean {
  return !relativePath.startsWith("..") && !relativePath.startsWith(sep);
}
