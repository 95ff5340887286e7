import { describe, expect, it } from "vitest";
import { parseBytes } from "../src/load/read.js";
import { parseSource, documentSpans } from "../src/load/parse.js";
import { Locator } from "../src/load/locate.js";
import { loadAll } from "../src/load/js-yaml.js";

const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - match:
    - uri:
        prefix: /api
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
`;

describe("loading: documents and what is skipped", () => {
  const cases: { name: string; text: string; documents: number; skipped?: number; problems?: number; kinds?: string[] }[] = [
    { name: "one object", text: vs, documents: 1 },
    { name: "multi-document YAML", text: `${vs}---\n${vs}`, documents: 2 },
    { name: "empty documents are skipped quietly", text: `---\n---\n${vs}---\n`, documents: 1, skipped: 2 },
    {
      name: "Helm values (no apiVersion/kind) are skipped",
      text: "replicaCount: 2\nimage:\n  repository: nginx\n",
      documents: 0,
      skipped: 1,
    },
    {
      name: "kind: List expands into its items",
      text: "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: b}\n",
      documents: 2,
      kinds: ["Service", "ServiceAccount"],
    },
    {
      name: "JSON",
      text: '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"ports": [{"port": 80}]}}',
      documents: 1,
    },
    { name: "CRLF line endings", text: vs.replace(/\n/g, "\r\n"), documents: 1 },
    {
      name: "a stream of JSON objects, one per line (kubectl decodes a file starting with { as one)",
      text: '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}\n{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b}{"}}{"kind":"x"}\n',
      documents: 2,
      skipped: 1,
      kinds: ["Service", "ConfigMap"],
    },
    { name: "a stream of JSON data that is not Kubernetes objects is skipped", text: '{"rating": 5}\n{"rating": 4, "note": "a \\" }"}\n', documents: 0, skipped: 2 },
  ];
  it.each(cases)("$name", ({ text, documents, skipped, problems, kinds }) => {
    const file = parseSource("x.yaml", text, "lint");
    expect(file.documents).toHaveLength(documents);
    if (skipped !== undefined) expect(file.skipped).toHaveLength(skipped);
    expect(file.problems).toHaveLength(problems ?? 0);
    if (kinds) expect(file.documents.map((d) => d.value.kind)).toEqual(kinds);
  });
});

describe("loading: values as the API server's YAML reader (go-yaml) reads them", () => {
  const se = (addresses: string) => `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: x}\nspec:\n  hosts: [x.example.com]\n  addresses: ${addresses}\n`;
  const cases: { name: string; text: string; addresses: unknown }[] = [
    // YAML 1.2 ends a plain scalar at `:` before `,` or `]` inside a flow collection; go-yaml does not.
    { name: "IPv6 addresses ending in :: in a flow sequence are strings", text: se("[1.2.3.4, 2001:db8::, fd00::]"), addresses: ["1.2.3.4", "2001:db8::", "fd00::"] },
    { name: "spaces around the item", text: se("[ fd00::,  ::1 ]"), addresses: ["fd00::", "::1"] },
    { name: "a space after the last colon makes it a pair for both", text: se("[fd00:: , 2001:db8::]"), addresses: [{ "fd00:": null }, "2001:db8::"] },
    { name: "quoted, as written", text: se('["2001:db8::"]'), addresses: ["2001:db8::"] },
    { name: "a flow pair with a space after the colon stays a mapping", text: se("[fd00: ]"), addresses: [{ fd00: null }] },
    { name: "a flow mapping stays a mapping", text: se("[{fd00:}]"), addresses: [{ fd00: null }] },
    { name: "in a block sequence, both read a mapping", text: se("\n  - 2001:db8::"), addresses: [{ "2001:db8:": null }] },
  ];
  it.each(cases)("$name", ({ text, addresses }) => {
    const file = parseSource("x.yaml", text, "lint");
    expect(file.problems).toEqual([]);
    expect((file.documents[0].value.spec as Record<string, unknown>).addresses).toEqual(addresses);
  });
  // Scalars as go-yaml v2 (YAML 1.1) resolves them, which the API server decodes: not YAML 1.2's.
  const scalars: { written: string; value: unknown }[] = [
    { written: "yes", value: true },
    { written: "No", value: false },
    { written: "on", value: true },
    { written: "OFF", value: false },
    { written: "y", value: true },
    { written: "n", value: false },
    { written: "0644", value: 420 },
    { written: "0x1F", value: 31 },
    { written: "0o17", value: 15 },
    { written: "0b11", value: 3 },
    { written: "1_000", value: 1000 },
    { written: "1e3", value: 1000 },
    { written: "08", value: 8 },
    { written: "-.5", value: -0.5 },
    { written: "1:20", value: "1:20" },
    { written: "2001-12-14", value: "2001-12-14" },
    { written: "~", value: null },
    { written: "'yes'", value: "yes" },
    { written: "12abc", value: "12abc" },
  ];
  it.each(scalars)("$written is read as $value, by the fast and the recovering parse", ({ written, value }) => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  v: ${written}\n`;
    const fast = parseSource("x.yaml", text, "lint");
    const slow = parseSource("x.yaml", `${text}---\nkind: [\n`, "lint");
    expect(slow.problems).toHaveLength(1);
    for (const file of [fast, slow]) expect((file.documents[0].value.data as Record<string, unknown>).v).toEqual(value);
  });
  it("merge keys merge, and a plain key like yes is the string the API server sees (true)", () => {
    const text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: &l {app: a}\n  annotations:\n    <<: *l\n    b: x\ndata:\n  yes: a\n";
    for (const file of [parseSource("x.yaml", text, "lint"), parseSource("x.yaml", `${text}---\nkind: [\n`, "lint")]) {
      const value = file.documents[0].value as { metadata: { annotations: unknown }; data: unknown };
      expect(value.metadata.annotations).toEqual({ app: "a", b: "x" });
      expect(value.data).toEqual({ true: "a" });
    }
  });
  it("the recovering parse (after an error elsewhere in the file) reads them alike", () => {
    const file = parseSource("x.yaml", `${se("[2001:db8::]")}---\nkind: [\n`, "lint");
    expect(file.problems).toHaveLength(1);
    expect((file.documents[0].value.spec as Record<string, unknown>).addresses).toEqual(["2001:db8::"]);
  });
});

describe("loading: bad input gets a clear message at a position, and other documents survive", () => {
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    .concat(Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`))
    .join("\n");
  const deep = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ${"[".repeat(500)}${"]".repeat(500)}\n`;
  const cases: { name: string; bytes: Uint8Array; message: RegExp; line: number; column?: number; documents?: number }[] = [
    {
      name: "duplicate keys are an error, as the API server rejects them",
      bytes: Buffer.from(`${vs}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n  name: b\n`),
      message: /Duplicate key/,
      line: 24,
      column: 3,
      documents: 1,
    },
    {
      name: "a YAML syntax error is fatal at its position; the good document is kept",
      bytes: Buffer.from(`${vs}---\napiVersion: v1\nkind: Service\nmetadata: {name: [unclosed\n`),
      message: /YAML syntax error/,
      line: 23,
      documents: 1,
    },
    {
      name: "tabs as indentation",
      bytes: Buffer.from("apiVersion: v1\nkind: Service\nmetadata:\n\tname: x\n"),
      message: /Tabs|tab/i,
      line: 4,
    },
    {
      name: "a broken object in a stream of JSON objects; the others are kept",
      bytes: Buffer.from('{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}\n{"apiVersion": "v1", "kind": }\n{"apiVersion": "v1", "kind": "Secret"}\n'),
      message: /^JSON syntax error: Unexpected token '}', .*"kind": }" is not valid JSON/,
      line: 2,
      column: 1,
      documents: 2,
    },
    {
      name: "an error with an offset in a stream of JSON objects is reported there",
      bytes: Buffer.from('{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}}\n  {"apiVersion": "v1",}\n'),
      message: /^JSON syntax error: Expected double-quoted property name \(in a stream of JSON objects/,
      line: 2,
      column: 23,
      documents: 1,
    },
    { name: "binary file", bytes: Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1]), message: /binary file/, line: 1 },
    {
      name: "non-UTF-8 text",
      bytes: Uint8Array.from([...Buffer.from("apiVersion: v1\nkind: ConfigMap\ndata: {a: \""), 0xff, 0xfe, 0x41, ...Buffer.from('"}\n')]),
      message: /not valid UTF-8/,
      line: 3,
    },
    { name: "an alias bomb is bounded", bytes: Buffer.from(`apiVersion: v1\nkind: ConfigMap\n${bomb}\n`), message: /alias/i, line: 1 },
    { name: "deeply nested documents", bytes: Buffer.from(deep), message: /nested/i, line: 1 },
    {
      name: "an unrendered Helm template",
      bytes: Buffer.from("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n"),
      message: /helm template/,
      line: 4,
      column: 9,
    },
  ];
  it.each(cases)("$name", ({ bytes, message, line, column, documents }) => {
    const file = parseBytes(bytes, "bad.yaml", "lint");
    expect(file.problems.length).toBeGreaterThan(0);
    const problem = file.problems[0];
    expect(problem.message).toMatch(message);
    expect(problem.severity).toBe(2);
    expect(problem.span.start.line).toBe(line);
    if (column !== undefined) expect(problem.span.start.column).toBe(column);
    if (documents !== undefined) expect(file.documents).toHaveLength(documents);
  });

  it("a BOM is removed and the object read", () => {
    const file = parseBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(vs)]), "bom.yaml", "lint");
    expect(file.problems).toEqual([]);
    expect(file.documents[0].value.kind).toBe("VirtualService");
  });
  it("UTF-16 with a BOM is decoded", () => {
    const body = Buffer.from(vs, "utf16le");
    const file = parseBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), body]), "u16.yaml", "lint");
    expect(file.documents[0].value.kind).toBe("VirtualService");
  });
  it("a huge document is read", () => {
    const entries = Array.from({ length: 20000 }, (_, i) => `  key${i}: value${i}`).join("\n");
    const file = parseBytes(Buffer.from(`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n${entries}\n`), "big.yaml", "lint");
    expect(file.problems).toEqual([]);
    expect(Object.keys(file.documents[0].value.data as object)).toHaveLength(20000);
  });
});

describe("positions: every node can be located exactly", () => {
  const text = `# a comment\n${vs}---\n${vs.replace("reviews\nspec", "ratings\nspec")}`;
  const file = parseSource("vs.yaml", text, "lint");
  const locator = new Locator();
  const cases: { path: (string | number)[]; doc: number; line: number; column: number; endLine: number; endColumn: number; exact: boolean }[] = [
    { doc: 0, path: ["spec", "http", 0, "route", 0, "destination", "subset"], line: 15, column: 9, endLine: 15, endColumn: 19, exact: true },
    { doc: 0, path: ["spec", "http", 1, "route", 0, "destination", "subset"], line: 19, column: 9, endLine: 19, endColumn: 19, exact: true },
    { doc: 1, path: ["metadata", "name"], line: 24, column: 3, endLine: 24, endColumn: 16, exact: true },
    { doc: 1, path: ["spec", "hosts", 0], line: 26, column: 11, endLine: 26, endColumn: 18, exact: true },
    // a missing field points at the nearest existing ancestor
    { doc: 0, path: ["spec", "http", 0, "timeout"], line: 9, column: 5, endLine: 15, endColumn: 19, exact: false },
  ];
  it.each(cases)("document $doc, $path", ({ doc, path, line, column, endLine, endColumn, exact }) => {
    const document = file.documents[doc];
    const found = locator.locate(file, document.index, path, document.span);
    expect(found.exact).toBe(exact);
    expect(found.span.start).toMatchObject({ line, column });
    expect(found.span.end).toMatchObject({ line: endLine, column: endColumn });
  });

  const merged = [
    "apiVersion: networking.istio.io/v1",
    "kind: DestinationRule",
    "metadata: {name: r}",
    "defaults: &defaults",
    "  trafficPolicy:",
    "    tls: {mode: ISTIO_MUTUAL}",
    "  host: base",
    "more: &more",
    "  subsets:",
    "  - name: v1",
    "  - name: v2",
    "  host: other",
    "spec:",
    "  <<: [*defaults, *more]",
    "  host: reviews",
    "other:",
    "  hosts: &hosts [a, b]",
    "again: {hosts: *hosts}",
    "",
  ].join("\n");
  // Each document is parsed alone; the positions must be those of the whole file whatever its shape.
  const shapes: { name: string; text: string; doc: number; path: (string | number)[]; line: number; column: number }[] = [
    { name: "CRLF line ends", text: "a: 1\r\n---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: x\r\n", doc: 0, path: ["metadata", "name"], line: 6, column: 3 },
    { name: "content on the --- line", text: "apiVersion: v1\nkind: A\n--- {apiVersion: v1, kind: B, metadata: {name: b}}\n", doc: 1, path: ["metadata", "name"], line: 3, column: 42 },
    { name: "a %TAG directive of the file (whole-file fallback)", text: "%TAG !e! tag:example.com,2000:\n---\napiVersion: v1\nkind: A\nmetadata: !e!m\n  name: a\n", doc: 0, path: ["metadata", "name"], line: 6, column: 3 },
    { name: "a broken document before (recovering parse)", text: "a: [1\n---\napiVersion: v1\nkind: A\nmetadata:\n  name: a\n", doc: 0, path: ["metadata", "name"], line: 6, column: 3 },
    { name: "a stream of JSON objects", text: '{"apiVersion": "v1", "kind": "A"}\n\n  {"apiVersion": "v1", "kind": "B",\n   "metadata": {"name": "b"}}\n', doc: 1, path: ["metadata", "name"], line: 4, column: 17 },
    { name: "a key merged in with <<: *anchor is found where the anchored mapping writes it", text: merged, doc: 0, path: ["spec", "trafficPolicy", "tls", "mode"], line: 6, column: 11 },
    { name: "the mapping's own keys come before merged ones", text: merged, doc: 0, path: ["spec", "host"], line: 15, column: 3 },
    { name: "<<: [*a, *b]: the first merged mapping with the key", text: merged, doc: 0, path: ["spec", "subsets", 1, "name"], line: 11, column: 5 },
    { name: "a path through an alias continues at the anchored node", text: merged, doc: 0, path: ["again", "hosts", 1], line: 17, column: 21 },
    { name: "after a ... end marker", text: "apiVersion: v1\nkind: A\n...\n---\napiVersion: v1\nkind: B\nmetadata:\n  name: b\n", doc: 1, path: ["metadata", "name"], line: 8, column: 3 },
  ];
  it.each(shapes)("$name", ({ text: source, doc, path, line, column }) => {
    const parsed = parseSource("shape.yaml", source, "lint");
    const document = parsed.documents[doc];
    const found = new Locator().locate(parsed, document.index, path, document.span);
    expect(found.exact).toBe(true);
    expect(found.span.start).toMatchObject({ line, column });
  });

  // Positions come from js-yaml's events; `yaml`'s syntax tree (kept for files only its recovering
  // parse reads) must place every node of these texts at the same span.
  const tricky = [
    vs,
    "a: &an !!str 5\ng:\nh: x\nb: |\n  line\n\nl:\n- \n- *an\nf: [1, 2 ]  # c\nm:\n  n: 1\n\n# trailing\nq: \"x\"\n",
    "'k''s': 1\nlist: [a,\n  b, # c\n  ]\nx: >-\n  folded\ny: {p: [1, {q: r}], s: 't'}\n80: port\n~: nil\ntrue: yes\n1.50: f\n",
    "apiVersion: v1\nkind: A\n---\n- one\n- - nested\n  - {k: v}\n- key: |+\n    keep\n\n  other: 2\n",
    "# c\r\nspec:\r\n  hosts:\r\n  - \"a\"\r\n  - b\r\n  empty: {}\r\n  none: []\r\n",
  ];
  it("a collection's span ends at its last value, not at a comment after it", () => {
    const parsed = parseSource("c.yaml", "apiVersion: v1\nkind: A\nspec:\n  hosts:\n  - a\n  - b # the last one\n  port: 80\n", "lint");
    const found = new Locator().locate(parsed, 0, ["spec", "hosts"], parsed.documents[0].span);
    expect(found.span.start).toMatchObject({ line: 4, column: 3 });
    expect(found.span.end).toMatchObject({ line: 6, column: 6 });
  });
  const paths = (value: unknown, prefix: (string | number)[] = []): (string | number)[][] => {
    const out = [prefix];
    if (Array.isArray(value)) value.forEach((item, i) => out.push(...paths(item, [...prefix, i])));
    else if (value && typeof value === "object") for (const [key, item] of Object.entries(value)) out.push(...paths(item, [...prefix, key]));
    return out;
  };
  it.each(tricky.map((text, i) => ({ i, text })))("js-yaml events and yaml agree on every node (text $i)", ({ text: source }) => {
    const fast = parseSource("t.yaml", source, "lint");
    const slow = { ...fast, recovered: true as const };
    const values = loadAll(source) as unknown[];
    let compared = 0;
    values.forEach((value, index) => {
      const span = fast.documents[0]?.span ?? { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
      for (const path of paths(value)) {
        const a = new Locator().locate(fast, index, path, span);
        const b = new Locator().locate(slow, index, path, span);
        expect(a, `${index} ${JSON.stringify(path)}`).toEqual(b);
        compared++;
      }
      // a path that does not exist falls back to its nearest ancestor, in both
      expect(new Locator().locate(fast, index, ["nope", 3], span)).toEqual(new Locator().locate(slow, index, ["nope", 3], span));
    });
    expect(compared).toBeGreaterThan(3);
  });

  it("document spans follow the --- markers", () => {
    expect(documentSpans("a: 1\n---\nb: 2\n").map((s) => [s.start.line, s.end.line])).toEqual([
      [1, 1],
      [3, 4],
    ]);
    expect(documentSpans("# c\n---\na: 1").map((s) => s.start.line)).toEqual([3]);
  });
});
