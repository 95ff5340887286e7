// Istio's API validation corpus (../shared/corpus/istio-api-validation): every document of a
// `*-valid.yaml` file must get no error, every document of a `*-invalid.yaml` file at least one.
// The expected answer of each invalid document is in its `# _err:` comment.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { SchemaRegistry } from "../src/schema/registry.js";
import type { SchemaProblem } from "../src/schema/types.js";

const corpusDir = fileURLToPath(new URL("../../shared/corpus/istio-api-validation/", import.meta.url));
const haveCorpus = existsSync(corpusDir);
if (!haveCorpus) console.warn(`schema corpus test skipped: ${corpusDir} not found (../shared is absent)`);

const webhookFile = fileURLToPath(new URL("../src/schema/webhook/index.ts", import.meta.url));
type WebhookFn = (object: Record<string, unknown>) => SchemaProblem[];
let webhookProblems: WebhookFn | undefined;
if (existsSync(webhookFile)) {
  const mod = (await import("../src/schema/webhook/index.js")) as { webhookProblems?: WebhookFn };
  webhookProblems = mod.webhookProblems;
}

interface CorpusDoc {
  file: string;
  index: number;
  err?: string;
  valid: boolean;
  object: Record<string, unknown>;
}

function loadCorpus(): CorpusDoc[] {
  if (!haveCorpus) return [];
  const docs: CorpusDoc[] = [];
  for (const file of readdirSync(corpusDir).sort()) {
    if (!file.endsWith("-valid.yaml") && !file.endsWith("-invalid.yaml")) continue;
    const valid = file.endsWith("-valid.yaml");
    parseAllDocuments(readFileSync(corpusDir + file, "utf8")).forEach((doc, index) => {
      const object = doc.toJS() as unknown;
      if (!object || typeof object !== "object") return;
      const err = /_err:\s*(.*)/.exec(doc.commentBefore ?? "")?.[1]?.trim();
      docs.push({ file, index, err, valid, object: object as Record<string, unknown> });
    });
  }
  return docs;
}

const corpus = loadCorpus();

describe.skipIf(!haveCorpus)("istio-api-validation corpus", () => {
  const registry = new SchemaRegistry();
  const judge = (object: Record<string, unknown>) => [...registry.validate(object), ...(webhookProblems ? webhookProblems(object) : [])];

  it("has documents", () => {
    expect(corpus.length).toBeGreaterThan(0);
  });

  it.each(corpus.filter((d) => d.valid).map((d) => [`${d.file}#${d.index}`, d] as const))("%s is accepted", (_name, doc) => {
    const errors = judge(doc.object).filter((p) => p.severity === 2);
    expect(errors).toEqual([]);
  });

  it.each(corpus.filter((d) => !d.valid).map((d) => [`${d.file}#${d.index}: ${d.err ?? ""}`, d] as const))("%s is rejected", (_name, doc) => {
    const errors = judge(doc.object).filter((p) => p.severity === 2);
    expect(errors.length, `no error for ${doc.file}#${doc.index} (expected: ${doc.err})`).toBeGreaterThan(0);
  });

  it("gets every invalid document rejected by the CRD checks alone (structural + CEL)", () => {
    const missed = corpus
      .filter((d) => !d.valid)
      .filter((d) => !registry.validate(d.object).some((p) => p.severity === 2))
      .map((d) => `${d.file}#${d.index}`);
    expect(missed).toEqual([]);
  });
});
