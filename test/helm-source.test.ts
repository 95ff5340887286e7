import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { helmSections, resolveHelmSource, splitByHelmSource } from "../src/load/helm-source.js";
import { reviewsDeployment, reviewsDestinationRule, reviewsVirtualService } from "./fixtures/manifests.js";
import { fixture, lintJson, runCli } from "./helpers.js";

// A chart as it sits in a repository: templates with Helm expressions (never linted themselves).
const TEMPLATES: Record<string, string> = {
  "Chart.yaml": "apiVersion: v2\nname: bookinfo\nversion: 0.1.0\n",
  "values.yaml": "name: reviews\nversions: [v1, v2]\ncanary:\n  subset: v3\n",
  "templates/service.yaml": `apiVersion: v1
kind: Service
metadata:
  name: {{ .Values.name }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "bookinfo.labels" . | nindent 4 }}
spec:
  selector:
    app: {{ .Values.name }}
  ports:
    - name: http
      port: 9080
`,
  "templates/deployment.yaml": `{{- range .Values.versions }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $.Values.name }}-{{ . }}
  namespace: {{ $.Release.Namespace }}
spec:
  selector:
    matchLabels:
      app: {{ $.Values.name }}
      version: {{ . }}
  template:
    metadata:
      labels:
        app: {{ $.Values.name }}
        version: {{ . }}
    spec:
      containers:
        - name: {{ $.Values.name }}
          image: example/{{ $.Values.name }}:{{ . }}
{{- end }}
`,
  "templates/destination-rule.yaml": `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: {{ .Values.name }}
  namespace: {{ .Release.Namespace }}
spec:
  host: {{ .Values.name }}
  subsets:
  {{- range .Values.versions }}
    - name: {{ . }}
      labels:
        version: {{ . }}
  {{- end }}
`,
  "templates/virtual-service.yaml": `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: {{ .Values.name }}
  namespace: {{ .Release.Namespace }}
spec:
  hosts:
    - {{ .Values.name }}
  http:
    - route:
        - destination:
            host: {{ .Values.name }}
            subset: {{ .Values.canary.subset }}
`,
};

/** `helm template bookinfo charts/bookinfo --namespace shop`, as Helm 3 prints it. */
const RENDERED = `---
# Source: bookinfo/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: reviews
  namespace: shop
  labels:
    helm.sh/chart: bookinfo-0.1.0
    app.kubernetes.io/name: bookinfo
    app.kubernetes.io/instance: bookinfo
    app.kubernetes.io/managed-by: Helm
spec:
  selector:
    app: reviews
  ports:
    - name: http
      port: 9080
---
# Source: bookinfo/templates/deployment.yaml
${reviewsDeployment("v1", "example/reviews:v1")}---
# Source: bookinfo/templates/deployment.yaml
${reviewsDeployment("v2", "example/reviews:v2")}---
# Source: bookinfo/templates/destination-rule.yaml
${reviewsDestinationRule(["v1", "v2"])}---
# Source: bookinfo/templates/virtual-service.yaml
${reviewsVirtualService("v3")}`;

const RENDERED_SUBSET_LINE = RENDERED.split("\n").indexOf("            subset: v3") + 1;
const TEMPLATE_SUBSET_LINE = TEMPLATES["templates/virtual-service.yaml"].split("\n").findIndex((line) => line.includes("subset:")) + 1;

function chart(prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(TEMPLATES).map(([name, text]) => [`${prefix}/${name}`, text]));
}

describe("helmSections", () => {
  it("finds each rendered document's template and its body lines", () => {
    const sections = helmSections(RENDERED);
    expect(sections.map((section) => section.source)).toEqual([
      "bookinfo/templates/service.yaml",
      "bookinfo/templates/deployment.yaml",
      "bookinfo/templates/deployment.yaml",
      "bookinfo/templates/destination-rule.yaml",
      "bookinfo/templates/virtual-service.yaml",
    ]);
    const lines = RENDERED.split("\n");
    for (const section of sections) {
      expect(lines[section.firstLine - 2]).toBe(`# Source: ${section.source}`);
      expect(lines[section.firstLine - 1]).toMatch(/^apiVersion: /);
    }
    const last = sections[4];
    expect(lines[last.lastLine - 1]).toBe("            subset: v3");
    expect(last.templateLine).toBe(1);
  });

  it("continues a template's line count in its second document, after the first and a ---", () => {
    const [, first, second] = helmSections(RENDERED);
    expect(first.templateLine).toBe(1);
    expect(second.templateLine).toBe(first.templateLine + (first.lastLine - first.firstLine + 1) + 1);
  });

  it("attributes only documents that start with the comment", () => {
    const text = "apiVersion: v1\nkind: ConfigMap\n# Source: not/a/header.yaml\n---\n\n# Source: app/templates/a.yaml\nkind: A\n---\nkind: B\n";
    expect(helmSections(text)).toEqual([{ source: "app/templates/a.yaml", firstLine: 7, lastLine: 7, templateLine: 1 }]);
    expect(helmSections("apiVersion: v1\nkind: ConfigMap\n")).toEqual([]);
  });

  it("handles CRLF line ends", () => {
    const [section] = helmSections("---\r\n# Source: app/templates/a.yaml\r\nkind: A\r\n");
    expect(section).toMatchObject({ source: "app/templates/a.yaml", firstLine: 3, lastLine: 3 });
  });
});

describe("resolveHelmSource", () => {
  const existing = (...paths: string[]) => (path: string) => paths.includes(path);
  it("tries the path as written, the chart directory the input is named after, then charts/", () => {
    expect(resolveHelmSource("app/templates/x.yaml", "/repo", "<stdin>", existing("/repo/app/templates/x.yaml"))).toBe("/repo/app/templates/x.yaml");
    expect(resolveHelmSource("app/templates/x.yaml", "/repo", "/repo/deploy/app", existing("/repo/deploy/app/templates/x.yaml"))).toBe(
      "/repo/deploy/app/templates/x.yaml",
    );
    expect(resolveHelmSource("app/templates/x.yaml", "/repo", "<stdin>", existing("/repo/charts/app/templates/x.yaml"))).toBe(
      "/repo/charts/app/templates/x.yaml",
    );
    expect(resolveHelmSource("app/templates/x.yaml", "/repo", "<stdin>", existing())).toBe("/repo/app/templates/x.yaml");
  });
});

describe("splitByHelmSource", () => {
  it("moves messages to their template, keeps the others on the input", () => {
    const text = "kind: Loose\n---\n# Source: app/templates/a.yaml\nkind: A\nspec: {}\n";
    const parts = splitByHelmSource(
      { path: "<stdin>", text },
      [
        { line: 1, message: "on the input" },
        { line: 5, endLine: 5, message: "on a" },
      ],
      { cwd: "/repo", displayPath: "<stdin>", exists: () => false },
    );
    expect(parts).toEqual([
      { path: "<stdin>", messages: [{ line: 1, message: "on the input" }], text },
      {
        path: "/repo/app/templates/a.yaml",
        source: "app/templates/a.yaml",
        messages: [{ line: 2, endLine: 2, message: "on a (rendered: <stdin>:5)" }],
        text: "kind: A\nspec: {}\n",
      },
    ]);
  });

  it("leaves a file without Source comments alone", () => {
    const parts = splitByHelmSource({ path: "/x.yaml", text: "kind: A\n" }, [{ line: 1, message: "m" }], { cwd: "/", displayPath: "x.yaml" });
    expect(parts).toEqual([{ path: "/x.yaml", messages: [{ line: 1, message: "m" }], text: "kind: A\n" }]);
  });
});

describe("helm template | mesh-lint -", () => {
  it("reports the mistake on the template it came from, at the template's line", async () => {
    const dir = fixture(chart("charts/bookinfo"));
    const { results, code } = await lintJson(["-"], { cwd: dir, stdin: RENDERED });
    expect(code).toBe(1);
    // One result per template (charts/bookinfo found under charts/), none for <stdin>.
    expect(results.map((result) => result.filePath).sort()).toEqual(
      ["deployment.yaml", "destination-rule.yaml", "service.yaml", "virtual-service.yaml"].map((name) => join(dir, "charts/bookinfo/templates", name)),
    );
    const withMessages = results.filter((result) => result.messages.length > 0);
    expect(withMessages.map((result) => result.filePath)).toEqual([join(dir, "charts/bookinfo/templates/virtual-service.yaml")]);
    const [message] = withMessages[0].messages;
    expect(message.ruleId).toBe("missing-subset");
    expect(message.line).toBe(TEMPLATE_SUBSET_LINE);
    expect(message.message).toContain(`(rendered: <stdin>:${RENDERED_SUBSET_LINE})`);
  });

  it("finds the chart through --stdin-filename when it is not under charts/", async () => {
    const dir = fixture(chart("deploy/helm/bookinfo"));
    const { results } = await lintJson(["--stdin-filename", "deploy/helm/bookinfo", "-"], { cwd: dir, stdin: RENDERED });
    const bad = results.find((result) => result.messages.length > 0);
    expect(bad?.filePath).toBe(join(dir, "deploy/helm/bookinfo/templates/virtual-service.yaml"));
    expect(bad?.messages[0].message).toContain(`(rendered: deploy/helm/bookinfo:${RENDERED_SUBSET_LINE})`);
  });

  it("names the template as Helm wrote it when the chart is not on disk, and stylish shows it", async () => {
    const dir = fixture({ "README.md": "no chart here\n" });
    const { results } = await lintJson(["-"], { cwd: dir, stdin: RENDERED });
    expect(results.find((result) => result.messages.length > 0)?.filePath).toBe(join(dir, "bookinfo/templates/virtual-service.yaml"));
    const stylish = await runCli(["-"], { cwd: dir, stdin: RENDERED });
    expect(stylish.code).toBe(1);
    expect(stylish.stdout).toContain("bookinfo/templates/virtual-service.yaml");
    expect(stylish.stdout).toContain(`${TEMPLATE_SUBSET_LINE}:`);
    expect(stylish.stdout).toContain("(rendered: <stdin>:");
  });

  it("keeps kustomize output (no Source comments) on <stdin>", async () => {
    const dir = fixture({});
    const kustomized = RENDERED.split("\n")
      .filter((line) => !line.startsWith("# Source:"))
      .join("\n");
    const { results } = await lintJson(["-"], { cwd: dir, stdin: kustomized });
    expect(results).toHaveLength(1);
    expect(results[0].filePath).toBe("<stdin>");
    expect(results[0].messages.map((message) => message.ruleId)).toEqual(["missing-subset"]);
  });

  it("maps a rendered file saved to disk too", async () => {
    const dir = fixture({ ...chart("charts/bookinfo"), "rendered/all.yaml": RENDERED });
    const { results } = await lintJson(["rendered/all.yaml"], { cwd: dir });
    const bad = results.find((result) => result.messages.length > 0);
    expect(bad?.filePath).toBe(join(dir, "charts/bookinfo/templates/virtual-service.yaml"));
    expect(bad?.messages[0].message).toContain(`(rendered: rendered/all.yaml:${RENDERED_SUBSET_LINE})`);
  });
});
