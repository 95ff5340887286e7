/**
 * The progress line: on a terminal, a run over a few hundred files shows one line on stderr that is
 * rewritten in place (`mesh-lint: loading 312/800 files`, then the stage) and erased before the report
 * is printed. Never in CI logs, never into a pipe or a file: only when stderr is a TTY and `CI` is unset.
 */
import type { LintProgress } from "../engine/lint.js";

/** A step of a run, as `lint()` reports it through its `onProgress` option. */
export type ProgressEvent = LintProgress;

/** Runs over fewer files finish before a progress line would tell anything. */
export const PROGRESS_MIN_FILES = 200;
/** At most one redraw per this many milliseconds (stage changes are drawn at once). */
export const PROGRESS_INTERVAL_MS = 80;

/** Environment variables set by CI services that do not set `CI` itself. */
const CI_VARIABLES = ["CI", "CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "TF_BUILD", "JENKINS_URL", "TEAMCITY_VERSION"];

/**
 * Whether a progress line may be drawn at all: stderr is a terminal, no CI variable is set (an empty
 * value or `false` / `0` counts as unset), the terminal is not `dumb`, and `--debug` is not writing lines
 * to the same stream.
 */
export function progressWanted(options: { stderrIsTTY: boolean | undefined; env: NodeJS.ProcessEnv; debug?: boolean }): boolean {
  if (!options.stderrIsTTY || options.debug) return false;
  if (options.env.TERM === "dumb") return false;
  return !CI_VARIABLES.some((name) => {
    const value = options.env[name];
    return value !== undefined && value !== "" && value !== "false" && value !== "0";
  });
}

const STAGE_TEXT: Record<ProgressEvent["stage"], string> = {
  load: "loading",
  context: "loading the context",
  model: "building the model",
  schema: "validating schemas",
  graph: "translating to Envoy configuration",
  rules: "running the rules",
  report: "placing the messages",
};

/** The text of the line for an event: `mesh-lint: loading 312/800 files`, cut to the terminal's width. */
export function renderProgress(event: ProgressEvent, total: number | undefined, columns = 80): string {
  const files = total === undefined ? "" : `${total} file${total === 1 ? "" : "s"}`;
  let text: string;
  if (event.stage === "load" && event.done !== undefined && total !== undefined) {
    const percent = total > 0 ? Math.floor((event.done / total) * 100) : 100;
    text = `mesh-lint: loading ${event.done}/${files} (${percent}%)`;
  } else {
    text = `mesh-lint: ${STAGE_TEXT[event.stage]}${files ? ` (${files})` : ""}…`;
  }
  const width = Math.max(10, columns - 1); // never the last column: some terminals wrap there
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** Erases the current line and puts the cursor at its start. */
const CLEAR_LINE = "\r\x1b[K";

/**
 * Draws the progress line through `write` (stderr). Nothing is drawn until the run is known to cover at
 * least {@link PROGRESS_MIN_FILES} files; {@link clear} erases whatever was drawn (call it before any other
 * output, and at the end).
 */
export class ProgressLine {
  private total: number | undefined;
  private shown = false;
  private lastDraw = -Infinity;
  private lastStage: ProgressEvent["stage"] | undefined;
  private readonly columns: () => number;
  private readonly now: () => number;
  private readonly minFiles: number;

  constructor(
    private readonly write: (text: string) => void,
    options: { columns?: () => number | undefined; now?: () => number; minFiles?: number } = {},
  ) {
    this.columns = () => options.columns?.() || 80;
    this.now = options.now ?? (() => performance.now());
    this.minFiles = options.minFiles ?? PROGRESS_MIN_FILES;
  }

  update(event: ProgressEvent): void {
    if (event.total !== undefined) this.total = event.total;
    if (this.total === undefined || this.total < this.minFiles) return;
    const now = this.now();
    const stageChanged = event.stage !== this.lastStage;
    const finished = event.stage === "load" && event.done !== undefined && event.done === this.total;
    if (!stageChanged && !finished && now - this.lastDraw < PROGRESS_INTERVAL_MS) return;
    this.lastStage = event.stage;
    this.lastDraw = now;
    this.shown = true;
    this.write(`${CLEAR_LINE}${renderProgress(event, this.total, this.columns())}`);
  }

  /** Erases the line, if one was drawn. */
  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.write(CLEAR_LINE);
  }
}
