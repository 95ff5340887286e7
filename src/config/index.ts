import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Ajv } from "ajv";
import { load, loadAll } from "../load/js-yaml.js";
import type { Severity } from "../rules/types.js";
import type { InstallProfile } from "../model/mesh.js";

/** The configuration file, as written (data only; never executed). */
export interface ConfigFile {
  rules?: Record<string, Severity>;
  ignorePatterns?: string[];
  context?: string[];
  reportUnusedDisableDirectives?: boolean;
  namespace?: string;
  crds?: string[];
  mesh?: {
    install?: InstallProfile;
    meshConfig?: string;
    rootNamespace?: string;
    trustDomain?: string;
    outboundTrafficPolicy?: "ALLOW_ANY" | "REGISTRY_ONLY";
    enableAutoMtls?: boolean;
    requireEgressGateway?: boolean;
  };
}

export interface LoadedConfig {
  /** Absolute path of the file, or undefined when none was found. */
  path?: string;
  /** The directory relative paths in the file are resolved against. */
  directory: string;
  config: ConfigFile;
}

export const CONFIG_FILE_NAMES = [".mesh-lint.yaml", ".mesh-lint.yml"];

/** A problem with the configuration: the CLI exits 2 with this message. */
export class ConfigError extends Error {}

let validator: ((value: unknown) => boolean) & { errors?: unknown } | undefined;

function validate(value: unknown): string[] {
  if (!validator) {
    const schema = JSON.parse(readFileSync(new URL("../../schemas/config.schema.json", import.meta.url), "utf8"));
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (validator(value)) return [];
  const errors = (validator.errors ?? []) as { instancePath: string; message?: string; params?: Record<string, unknown> }[];
  return errors.map((error) => {
    const where = error.instancePath ? error.instancePath.slice(1).replace(/\//g, ".") : "(top level)";
    const extra =
      error.params && "additionalProperty" in error.params
        ? ` "${String(error.params.additionalProperty)}"`
        : error.params && "allowedValues" in error.params
          ? ` (${(error.params.allowedValues as unknown[]).join(", ")})`
          : "";
    return `${where}: ${error.message}${extra}`;
  });
}

/** Finds `.mesh-lint.yaml` from `cwd` upward. */
export function findConfig(cwd: string): string | undefined {
  let dir = resolve(cwd);
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Reads and validates a configuration file; throws ConfigError with a clear message. */
export function readConfig(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read the configuration file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  let value: unknown;
  try {
    value = loadAll(text)[0];
  } catch (error) {
    throw new ConfigError(`the configuration file ${path} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (value === null || value === undefined) value = {};
  const problems = validate(value);
  if (problems.length > 0) {
    throw new ConfigError(`the configuration file ${path} is not valid:\n  ${problems.join("\n  ")}`);
  }
  return { path, directory: dirname(path), config: value as ConfigFile };
}

/** The configuration for a run: `--config FILE`, else the nearest `.mesh-lint.yaml`, else none. */
export function loadConfig(cwd: string, explicit?: string): LoadedConfig {
  if (explicit) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`the configuration file ${explicit} does not exist`);
    return readConfig(path);
  }
  const found = findConfig(cwd);
  return found ? readConfig(found) : { directory: cwd, config: {} };
}
