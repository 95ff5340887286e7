/**
 * The pre-commit hook, for real: Debian's `pre-commit` installs this repository's hook the way it installs
 * every `language: node` hook (`npm install` in a clone of the hook repository, `npm pack`, `npm install -g`
 * of the tarball), and `git commit` in a throw-away repository runs it.
 *
 * The hook source is a git repository made from this working tree (tracked and untracked files that
 * .gitignore does not exclude), so the test checks the code being tested, committed or not, and needs no
 * network but the npm registry (and little of it: `prefer-offline` uses npm's cache). Installing the hook
 * environment is slow (an `npm install` and two builds), so it is done once, in `beforeAll`, into a
 * PRE_COMMIT_HOME that every case shares.
 *
 * Skipped, with the reason in its name, where `pre-commit` or `git` is not installed (`.ci/run` installs
 * both, so CI always runs it).
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..");

function tool(command: string): string | undefined {
  const run = spawnSync(command, ["--version"], { encoding: "utf8" });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

const PRE_COMMIT = tool("pre-commit");
const GIT = tool("git");
const IS_CLONE = GIT !== undefined && spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: ROOT, encoding: "utf8" }).stdout.trim() === "true";
const MISSING = !GIT
  ? "git is not installed"
  : !PRE_COMMIT
    ? "pre-commit is not installed (apt-get install pre-commit; .ci/run does)"
    : !IS_CLONE
      ? `${ROOT} is not a git work tree`
      : undefined;
if (MISSING) console.warn(`note: the pre-commit integration test is skipped: ${MISSING}`);

/** Minutes: the hook environment's `npm install` and the build it runs (twice: `npm install`, `npm pack`). */
const INSTALL_TIMEOUT = 15 * 60_000;
const CASE_TIMEOUT = 3 * 60_000;

/**
 * The environment of every command: this test's own npm and git settings removed (under `npm test` npm
 * exports `npm_config_*` variables naming this repository; inside a git hook `GIT_DIR` and friends point at
 * another repository), pre-commit's store in the shared temp directory, npm's cache preferred.
 */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|NPM_|GIT_|PRE_COMMIT|INIT_CWD$)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/**
 * For the throw-away repositories and pre-commit, also without the user's git configuration (a global
 * `core.hooksPath` makes `pre-commit install` refuse; `commit.gpgsign` would ask for a key).
 */
function environment(work: string): NodeJS.ProcessEnv {
  const gitconfig = join(work, "gitconfig");
  writeFileSync(gitconfig, "[init]\n\tdefaultBranch = main\n");
  return {
    ...cleanEnvironment(),
    GIT_CONFIG_GLOBAL: gitconfig,
    GIT_CONFIG_NOSYSTEM: "1",
    PRE_COMMIT_HOME: join(work, "pre-commit-home"),
    npm_config_prefer_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    NO_COLOR: "1",
  };
}

interface Run {
  status: number | null;
  output: string;
}

/**
 * Runs a command without blocking this test worker: a synchronous spawn of the minute-long hook
 * install would starve the worker's event loop, and vitest then fails the run with an RPC timeout
 * ("Timeout calling onTaskUpdate") although every test passes.
 */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeout = CASE_TIMEOUT): Promise<Run> {
  return new Promise((resolvePromise) => {
    let output = "";
    const child = spawn(command, args, { cwd, env, timeout, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", (error) => resolvePromise({ status: null, output: `${output}\n${error.message}` }));
    child.on("close", (status, signal) => resolvePromise({ status, output: signal ? `${output}\nkilled by ${signal}` : output }));
  });
}

async function must(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeout?: number): Promise<string> {
  const result = await run(command, args, cwd, env, timeout);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} (in ${cwd}) exited ${result.status}:\n${result.output}`);
  return result.output;
}

const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: shop
spec:
  selector:
    app: reviews
  ports:
    - name: http
      port: 9080
${["v1", "v2"]
  .map(
    (version) => `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: reviews-${version}
  namespace: shop
spec:
  selector:
    matchLabels:
      app: reviews
      version: ${version}
  template:
    metadata:
      labels:
        app: reviews
        version: ${version}
    spec:
      containers:
        - name: reviews
          image: example/reviews:${version}
          ports:
            - containerPort: 9080
`,
  )
  .join("")}`;

const DESTINATION_RULE = (extra = "") => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews
  namespace: shop
spec:
  host: reviews
${extra}  subsets:
    - name: v1
      labels:
        version: v1
    - name: v2
      labels:
        version: v2
`;

const EXTRA_SUBSET = (name: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: reviews-${name}
  namespace: shop
spec:
  host: reviews
  subsets:
    - name: v3
      labels:
        version: v3
`;

const VIRTUAL_SERVICE = (subset: string, extra = "") => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: shop
spec:
  hosts:
    - reviews
  http:
    - route:
        - destination:
            host: reviews
            subset: ${subset}
${extra}`;

describe.skipIf(MISSING !== undefined)(`pre-commit hook${MISSING ? ` (skipped: ${MISSING})` : ""}`, () => {
  let work: string;
  let repo: string;
  let env: NodeJS.ProcessEnv;
  const write = (name: string, text: string) => {
    mkdirSync(dirname(join(repo, name)), { recursive: true });
    writeFileSync(join(repo, name), text);
  };
  const git = (...args: string[]) => must("git", args, repo, env);
  const commit = (message: string) => run("git", ["commit", "-m", message], repo, env);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "mesh-lint-pre-commit-"));
    env = environment(work);

    // The hook source: this working tree as one commit.
    const source = join(work, "hook-source");
    const listed = (await must("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT, cleanEnvironment())).split("\0").filter(Boolean);
    for (const file of new Set(listed)) {
      if (!existsSync(join(ROOT, file))) continue; // deleted in the work tree
      mkdirSync(dirname(join(source, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(source, file));
    }
    for (const args of [["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "hook source"]]) {
      await must("git", args, source, env);
    }
    const rev = (await must("git", ["rev-parse", "HEAD"], source, env)).trim();

    // The repository that uses the hook.
    repo = join(work, "repo");
    mkdirSync(repo);
    await git("init", "-q");
    await git("config", "user.name", "mesh-lint test");
    await git("config", "user.email", "test@example.invalid");
    write(".pre-commit-config.yaml", `repos:\n  - repo: ${source}\n    rev: ${rev}\n    hooks:\n      - id: mesh-lint\n`);
    await must("pre-commit", ["install"], repo, env);
    // The slow part, once: npm install (which builds), npm pack (which builds again), npm install -g.
    await must("pre-commit", ["install-hooks"], repo, env, INSTALL_TIMEOUT);
  }, INSTALL_TIMEOUT + 60_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("installs a working mesh-lint binary into the hook environment", async () => {
    const binary = installedBinary(join(work, "pre-commit-home"));
    expect(binary, "mesh-lint in the hook environment").toBeDefined();
    const version = await must(binary!, ["--version"], repo, env);
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("lets a clean first commit through", async () => {
    write("mesh/reviews.yaml", SERVICE);
    write("mesh/destination-rule.yaml", DESTINATION_RULE());
    // Never context: a .gitignore'd file and one under node_modules (untracked, so in the work tree while the
    // hook runs) that define subset v3. Were they loaded, the bad commit below would get another finding.
    write(".gitignore", "generated/\n");
    write("generated/extra-subset.yaml", EXTRA_SUBSET("generated"));
    write("node_modules/some-package/extra-subset.yaml", EXTRA_SUBSET("node-modules"));
    await git("add", ".gitignore", ".pre-commit-config.yaml", "mesh");
    const result = await commit("reviews: Service, Deployments, DestinationRule");
    expect(result.output).toMatch(/mesh-lint \(Istio manifests\)\.+Passed/);
    expect(result.status, result.output).toBe(0);
  });

  it("blocks a bad commit and shows the finding", async () => {
    // A route to subset v3, which the DestinationRule (in a file this commit does not touch) does not define.
    write("mesh/reviews.yaml", SERVICE + VIRTUAL_SERVICE("v3"));
    await git("add", "mesh/reviews.yaml");
    const result = await commit("reviews: route to v3");
    console.info(`git commit, blocked by the hook:\n${result.output}`);
    expect(result.status, result.output).not.toBe(0);
    expect(result.output).toMatch(/mesh-lint \(Istio manifests\)\.+Failed/);
    expect(result.output).toContain("mesh/reviews.yaml");
    // The finding names the DestinationRule of the unchanged file (the context was loaded), and only it
    // (the ignored files and node_modules were not).
    expect(result.output).toMatch(/Destination subset "v3" of "reviews" does not exist.*defines only v1, v2.*missing-subset/);
    expect(await git("log", "--format=%s")).not.toContain("route to v3");
  });

  it("lets the fixed commit through", async () => {
    write("mesh/reviews.yaml", SERVICE + VIRTUAL_SERVICE("v2"));
    write("mesh/destination-rule.yaml", DESTINATION_RULE("  trafficPolicy:\n    connectionPool:\n      tcp:\n        maxConnections: 100\n"));
    await git("add", "mesh");
    const result = await commit("reviews: route to v2");
    expect(result.output).toMatch(/mesh-lint \(Istio manifests\)\.+Passed/);
    expect(result.status, result.output).toBe(0);
  });

  it("passes only the changed file, with the DestinationRule of an unchanged file as context: no false missing subset", async () => {
    write("mesh/reviews.yaml", SERVICE + VIRTUAL_SERVICE("v2", "          weight: 100\n      timeout: 5s\n"));
    await git("add", "mesh/reviews.yaml");
    const result = await commit("reviews: timeout");
    expect(result.output).toMatch(/mesh-lint \(Istio manifests\)\.+Passed/);
    expect(result.status, result.output).toBe(0);
    expect((await git("show", "--name-only", "--format=", "HEAD")).trim()).toBe("mesh/reviews.yaml");

    // The control: the same file linted alone (no context) has the missing subset the context prevents.
    const alone = await run(installedBinary(join(work, "pre-commit-home"))!, ["mesh/reviews.yaml"], repo, env);
    expect(alone.status).toBe(1);
    expect(alone.output).toMatch(/Destination subset "v2" of "reviews" does not exist.*missing-subset/);
  });
});

/** The `mesh-lint` that pre-commit installed (`<home>/repo*\/node_env-*\/bin/mesh-lint`). */
function installedBinary(home: string): string | undefined {
  for (const repo of readdirSync(home)) {
    const dir = join(home, repo);
    if (!repo.startsWith("repo") || !existsSync(dir)) continue;
    for (const env of readdirSync(dir)) {
      const binary = join(dir, env, "bin", "mesh-lint");
      if (env.startsWith("node_env") && existsSync(binary)) return binary;
    }
  }
  return undefined;
}
