/**
 * The result shape every formatter reads: ESLint's, plus mesh-lint's own fields on each message.
 * Formatters know nothing of Istio; they print what is here.
 */
export interface ResourceRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface LintMessage {
  ruleId: string | null;
  /** 1 warning, 2 error. */
  severity: 1 | 2;
  message: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  /** A file that could not be parsed or read at all. */
  fatal?: boolean;
  /** The `istioctl analyze` code that corresponds, e.g. `IST0101`. */
  istioCode?: string;
  /** The object the message is about (namespace after defaulting). */
  resource?: ResourceRef;
  /** The rule's documentation. */
  url?: string;
  /** The message id inside the rule's catalogue. */
  messageId?: string;
}

export interface LintResult {
  /** Absolute path, or `<stdin>` (or the --stdin-filename). */
  filePath: string;
  messages: LintMessage[];
  errorCount: number;
  warningCount: number;
  fatalErrorCount: number;
  fixableErrorCount: 0;
  fixableWarningCount: 0;
  /** The file's text, for formatters that show code frames. */
  source?: string;
}

/** What a formatter knows about the rules that produced the messages (for SARIF's rule table). */
export interface RuleDescriptor {
  id: string;
  description: string;
  url?: string;
  defaultSeverity: "error" | "warn" | "off";
}

export interface FormatContext {
  cwd: string;
  rules: RuleDescriptor[];
  /** Whether colour may be used (a TTY without NO_COLOR). */
  color: boolean;
  toolVersion: string;
  /** The tool's home page, for SARIF's `tool.driver.informationUri` (a default is used when absent). */
  homepage?: string;
}

export type Formatter = (results: LintResult[], context: FormatContext) => string;
