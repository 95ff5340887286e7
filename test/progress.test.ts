import { describe, expect, it } from "vitest";
import { main, type CliIo } from "../src/cli/main.js";
import { PROGRESS_INTERVAL_MS, PROGRESS_MIN_FILES, ProgressLine, progressWanted, renderProgress } from "../src/cli/progress.js";
import { fixture } from "./helpers.js";

const CLEAR = "\r\x1b[K";

describe("progressWanted", () => {
  it("only on a terminal, outside CI", () => {
    expect(progressWanted({ stderrIsTTY: true, env: {} })).toBe(true);
    expect(progressWanted({ stderrIsTTY: false, env: {} })).toBe(false);
    expect(progressWanted({ stderrIsTTY: undefined, env: {} })).toBe(false);
    expect(progressWanted({ stderrIsTTY: true, env: { CI: "true" } })).toBe(false);
    expect(progressWanted({ stderrIsTTY: true, env: { CI: "1" } })).toBe(false);
    expect(progressWanted({ stderrIsTTY: true, env: { GITHUB_ACTIONS: "true" } })).toBe(false);
    expect(progressWanted({ stderrIsTTY: true, env: { TERM: "dumb" } })).toBe(false);
    expect(progressWanted({ stderrIsTTY: true, env: {}, debug: true })).toBe(false);
  });

  it("treats an empty or false CI as unset", () => {
    expect(progressWanted({ stderrIsTTY: true, env: { CI: "" } })).toBe(true);
    expect(progressWanted({ stderrIsTTY: true, env: { CI: "false" } })).toBe(true);
    expect(progressWanted({ stderrIsTTY: true, env: { CI: "0" } })).toBe(true);
  });
});

describe("renderProgress", () => {
  it("counts files while loading, names the stage after", () => {
    expect(renderProgress({ stage: "load", done: 312, total: 800 }, 800)).toBe("mesh-lint: loading 312/800 files (39%)");
    expect(renderProgress({ stage: "rules" }, 800)).toBe("mesh-lint: running the rules (800 files)…");
    expect(renderProgress({ stage: "context" }, undefined)).toBe("mesh-lint: loading the context…");
  });

  it("never reaches the terminal's last column", () => {
    const text = renderProgress({ stage: "graph" }, 12345, 20);
    expect(text.length).toBe(19);
    expect(text.endsWith("…")).toBe(true);
  });
});

describe("ProgressLine", () => {
  function line(minFiles = PROGRESS_MIN_FILES) {
    const writes: string[] = [];
    let now = 0;
    const progress = new ProgressLine((text) => writes.push(text), { now: () => now, minFiles, columns: () => 100 });
    return { progress, writes, tick: (ms: number) => (now += ms) };
  }

  it("draws nothing for a run under the threshold, not even a clear", () => {
    const { progress, writes } = line();
    progress.update({ stage: "load", done: 0, total: PROGRESS_MIN_FILES - 1 });
    progress.update({ stage: "model" });
    progress.clear();
    expect(writes).toEqual([]);
  });

  it("rewrites one line in place, throttled, and erases it at the end", () => {
    const { progress, writes, tick } = line(10);
    progress.update({ stage: "load", done: 0, total: 500 });
    progress.update({ stage: "load", done: 1, total: 500 }); // too soon: skipped
    tick(PROGRESS_INTERVAL_MS);
    progress.update({ stage: "load", done: 2, total: 500 });
    progress.update({ stage: "load", done: 500, total: 500 }); // the last file: always drawn
    progress.update({ stage: "model" }); // a new stage: drawn at once
    progress.clear();
    progress.clear(); // once only
    expect(writes).toEqual([
      `${CLEAR}mesh-lint: loading 0/500 files (0%)`,
      `${CLEAR}mesh-lint: loading 2/500 files (0%)`,
      `${CLEAR}mesh-lint: loading 500/500 files (100%)`,
      `${CLEAR}mesh-lint: building the model (500 files)…`,
      CLEAR,
    ]);
    expect(writes.join("")).not.toContain("\n");
  });
});

describe("the CLI's progress line", () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < PROGRESS_MIN_FILES + 10; i++) {
    files[`manifests/cm-${String(i).padStart(3, "0")}.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: default\ndata:\n  key: value\n`;
  }
  const dir = fixture(files);

  async function run(options: { stderrIsTTY: boolean; env: NodeJS.ProcessEnv; args?: string[] }) {
    let stdout = "";
    let stderr = "";
    const io: CliIo = {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      readStdin: async () => "",
      cwd: dir,
      isTTY: false,
      env: options.env,
      stderrIsTTY: options.stderrIsTTY,
      columns: () => 80,
    };
    const code = await main([...(options.args ?? []), "manifests"], io);
    return { code, stdout, stderr };
  }

  it("draws on a terminal and leaves the line erased before the report", async () => {
    const { code, stderr } = await run({ stderrIsTTY: true, env: {} });
    expect(code).toBe(0);
    expect(stderr).toContain(`${CLEAR}mesh-lint: loading 0/${PROGRESS_MIN_FILES + 10} files`);
    expect(stderr).toContain("running the rules");
    expect(stderr.endsWith(CLEAR)).toBe(true);
    expect(stderr).not.toContain("\n");
  });

  it("never in CI, never when stderr is not a terminal, never with --debug", async () => {
    expect((await run({ stderrIsTTY: true, env: { CI: "true" } })).stderr).toBe("");
    expect((await run({ stderrIsTTY: false, env: {} })).stderr).toBe("");
    expect((await run({ stderrIsTTY: true, env: {}, args: ["--debug"] })).stderr).not.toContain(CLEAR);
  });
});
