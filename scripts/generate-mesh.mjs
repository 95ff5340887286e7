#!/usr/bin/env node
// Generates a deterministic synthetic Istio mesh for benchmarks and recall checks.
//
//   node scripts/generate-mesh.mjs --services 4000 --out DIR [--seed 1] [--no-plant]
//
// Writes DIR/mesh/<namespace>/*.yaml (multi-document YAML, one file per service plus a few per
// namespace) and DIR/planted.json, the list of defects planted on purpose:
//   [{ kind: "missing-subset" | "unreachable-route" | "schema", file, resource: { kind, namespace, name }, detail }]
// `file` is relative to DIR. Lint the manifests with `node bin/mesh-lint.js DIR/mesh`; planted.json is kept
// outside that folder so the linter does not read it.
//
// Apart from the planted defects, the mesh is meant to be clean Istio: every route targets a subset its
// DestinationRule defines, catch-all routes come last, client TLS is ISTIO_MUTUAL or automatic, and nothing
// leaves a namespace that a Sidecar would hide.
//
// As a module: `generateMesh({ services, seed, plant })` returns `{ files: [{ path, text }], planted, stats }`
// without touching the disk; `writeMesh(mesh, dir)` writes it.
import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the manifests inside the output directory. */
export const MESH_SUBDIR = "mesh";

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32): same seed, same mesh, on every platform.

function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p) => next() < p,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

// ---------------------------------------------------------------------------------------------
// A small YAML emitter in the style of `kubectl get -o yaml` (sequences not indented under their key).
// Enough for plain data: mappings, sequences, strings, numbers, booleans.

const PLAIN = /^[A-Za-z_./][A-Za-z0-9_./@-]*$|^[0-9]+(?:ms|s|m|h)$/;
const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|~|[-+]?\.(?:inf|nan))$/i;

function scalar(value) {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "null";
  const s = String(value);
  if (PLAIN.test(s) && !RESERVED.test(s)) return s;
  return JSON.stringify(s);
}

function isCollection(value) {
  return value !== null && typeof value === "object" && (Array.isArray(value) ? value.length > 0 : Object.keys(value).length > 0);
}

function emit(value, indent, out) {
  const pad = " ".repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isCollection(item) && !Array.isArray(item)) {
        // First key on the dash line, the rest aligned below it.
        const sub = [];
        emit(item, indent + 2, sub);
        sub[0] = `${pad}- ${sub[0].slice(indent + 2)}`;
        out.push(...sub);
      } else if (isCollection(item)) {
        out.push(`${pad}-`);
        emit(item, indent + 2, out);
      } else {
        out.push(`${pad}- ${emptyOr(item)}`);
      }
    }
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const k = scalar(key);
    if (isCollection(item)) {
      out.push(`${pad}${k}:`);
      emit(item, Array.isArray(item) ? indent : indent + 2, out);
    } else {
      out.push(`${pad}${k}: ${emptyOr(item)}`);
    }
  }
}

function emptyOr(value) {
  if (Array.isArray(value)) return "[]";
  if (value !== null && typeof value === "object") return "{}";
  return scalar(value);
}

export function toYaml(documents) {
  return documents
    .map((doc) => {
      const lines = [];
      emit(doc, 0, lines);
      return lines.join("\n") + "\n";
    })
    .join("---\n");
}

// ---------------------------------------------------------------------------------------------
// Vocabulary.

const TEAMS = [
  "checkout", "catalog", "billing", "identity", "search", "shipping", "inventory", "media",
  "notify", "analytics", "ledger", "support", "pricing", "reviews", "loyalty", "fraud",
];
const NOUNS = [
  "orders", "cart", "users", "accounts", "payments", "invoices", "stock", "items", "images",
  "emails", "events", "reports", "sessions", "tokens", "quotes", "ratings", "offers", "tickets",
  "profiles", "labels", "routes", "feeds", "exports", "audit", "coupons", "prices", "carriers",
];
const PARTNERS = ["partner-api", "maps", "mailer", "sms", "tax", "fx-rates", "geo", "kyc"];

const pad = (n, width) => String(n).padStart(width, "0");

const GATEWAY_SA = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";

// ---------------------------------------------------------------------------------------------
// The mesh.

/**
 * @param {{ services?: number, seed?: number, plant?: boolean }} options
 * @returns {{ files: { path: string, text: string, documents: number }[], planted: object[], stats: object }}
 */
export function generateMesh({ services = 1000, seed = 1, plant = true } = {}) {
  const rnd = prng(seed);
  const files = [];
  const planted = [];
  let documents = 0;
  const addFile = (path, docs) => {
    files.push({ path, text: toYaml(docs), documents: docs.length });
    documents += docs.length;
  };

  // Spread the services over namespaces of 40–60 services each (~50 on average).
  const sizes = [];
  for (let left = services; left > 0; ) {
    const size = Math.min(left, rnd.int(40, 60));
    sizes.push(size);
    left -= size;
  }

  addFile(`${MESH_SUBDIR}/istio-system/mesh-policy.yaml`, [
    {
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "istio-system" },
      spec: { mtls: { mode: "PERMISSIVE" } },
    },
  ]);

  let g = 0; // global service index
  sizes.forEach((size, k) => {
    const ns = `${TEAMS[k % TEAMS.length]}-${pad(k, 3)}`;
    const dir = `${MESH_SUBDIR}/${ns}`;
    const members = [];

    // --- namespace-level objects
    const strict = rnd.chance(0.5);
    const nsDocs = [
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns, labels: { "istio-injection": "enabled", team: TEAMS[k % TEAMS.length] } },
      },
      {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: ns },
        spec: { mtls: { mode: strict ? "STRICT" : "PERMISSIVE" } },
      },
    ];
    if (plant && k % 13 === 6) {
      nsDocs[1].spec.mtls.mode = "STRICTLY";
      planted.push({
        kind: "schema",
        file: `${dir}/_namespace.yaml`,
        resource: { kind: "PeerAuthentication", namespace: ns, name: "default" },
        detail: "spec.mtls.mode STRICTLY is not an allowed value",
      });
    }
    if (rnd.chance(0.5)) {
      nsDocs.push({
        apiVersion: "networking.istio.io/v1",
        kind: "Sidecar",
        metadata: { name: "default", namespace: ns },
        spec: { egress: [{ hosts: ["./*", "istio-system/*"] }] },
      });
    }
    addFile(`${dir}/_namespace.yaml`, nsDocs);

    // --- services
    for (let j = 0; j < size; j++, g++) {
      const svc = `${NOUNS[g % NOUNS.length]}-${pad(g, 4)}`;
      const file = `${dir}/${svc}.yaml`;
      const primary = rnd.chance(0.75)
        ? { name: "http-web", port: rnd.chance(0.5) ? 80 : 8080, targetPort: 8080, protocol: "http" }
        : { name: "grpc", port: 9090, targetPort: 9090, protocol: "grpc" };
      const ports = [primary];
      if (rnd.chance(0.35)) {
        const extra = rnd.pick([
          { name: "tcp-db", port: 5432, targetPort: 5432 },
          { name: "tcp-cache", port: 6379, targetPort: 6379 },
          { name: "tcp-amqp", port: 5672, targetPort: 5672 },
        ]);
        ports.push({ ...extra, protocol: "tcp" });
      }
      const versions = rnd.chance(0.45) ? ["v1", "v2", "v3"] : ["v1", "v2"];
      const sa = svc;
      members.push({ svc, primary, tcp: ports.length > 1 });

      const docs = [];
      docs.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: svc, namespace: ns, labels: { app: svc, service: svc } },
        spec: {
          selector: { app: svc },
          ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: "TCP" })),
        },
      });
      docs.push({
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: sa, namespace: ns, labels: { account: svc } },
      });
      for (const version of versions) {
        docs.push({
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: `${svc}-${version}`, namespace: ns, labels: { app: svc, version } },
          spec: {
            replicas: rnd.int(1, 3),
            selector: { matchLabels: { app: svc, version } },
            template: {
              metadata: { labels: { app: svc, version } },
              spec: {
                serviceAccountName: sa,
                containers: [
                  {
                    name: svc.replace(/-\d+$/, ""),
                    image: `registry.example.com/${ns}/${svc}:1.${versions.indexOf(version) + rnd.int(0, 9)}.${rnd.int(0, 20)}`,
                    imagePullPolicy: "IfNotPresent",
                    ports: ports.map((p) => ({ containerPort: p.targetPort })),
                  },
                ],
              },
            },
          },
        });
      }

      // --- DestinationRule
      const dr = {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: svc, namespace: ns },
        spec: {
          host: rnd.chance(0.3) ? `${svc}.${ns}.svc.cluster.local` : svc,
          trafficPolicy: undefined,
          subsets: versions.map((v) => ({ name: v, labels: { version: v } })),
        },
      };
      const policy = {};
      if (rnd.chance(0.3)) policy.loadBalancer = { simple: rnd.pick(["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM"]) };
      if (rnd.chance(0.25)) {
        policy.connectionPool = {
          tcp: { maxConnections: rnd.pick([100, 200, 500]) },
          http: { http1MaxPendingRequests: rnd.pick([64, 128, 1024]), maxRequestsPerConnection: rnd.pick([1, 10, 100]) },
        };
      }
      if (rnd.chance(0.2)) {
        policy.outlierDetection = { consecutive5xxErrors: rnd.int(3, 7), interval: "30s", baseEjectionTime: "60s", maxEjectionPercent: 50 };
      }
      if (rnd.chance(0.2)) policy.tls = { mode: "ISTIO_MUTUAL" };
      if (Object.keys(policy).length) dr.spec.trafficPolicy = policy;
      if (rnd.chance(0.1)) {
        dr.spec.subsets[1].trafficPolicy = { loadBalancer: { simple: "LEAST_REQUEST" } };
      }

      // --- VirtualService
      const withPort = ports.length > 1 || rnd.chance(0.3);
      const dest = (subset) => {
        const destination = { host: svc, subset };
        if (withPort) destination.port = { number: primary.port };
        return { destination };
      };
      const vs = {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: svc, namespace: ns },
        spec: { hosts: [svc], http: [] },
      };
      const shape = rnd.pick(["single", "weighted", "header", "uri"]);
      const extras = {};
      if (rnd.chance(0.3)) extras.timeout = rnd.pick(["2s", "5s", "10s", "30s"]);
      if (rnd.chance(0.3)) extras.retries = { attempts: rnd.int(2, 4), perTryTimeout: "2s", retryOn: "5xx,connect-failure,reset" };
      if (shape === "single") {
        vs.spec.http.push({ route: [dest("v1")], ...extras });
      } else if (shape === "weighted") {
        const split =
          versions.length === 3 && rnd.chance(0.5)
            ? [["v1", 60], ["v2", 30], ["v3", 10]]
            : rnd.pick([[["v1", 90], ["v2", 10]], [["v1", 80], ["v2", 20]], [["v1", 50], ["v2", 50]]]);
        vs.spec.http.push({ route: split.map(([v, w]) => ({ ...dest(v), weight: w })), ...extras });
      } else if (shape === "header") {
        vs.spec.http.push({
          name: "testers",
          match: [{ headers: { "end-user": { exact: rnd.pick(["qa", "jason", "canary-tester"]) } } }],
          route: [dest(versions.at(-1))],
        });
        vs.spec.http.push({ name: "default", route: [dest("v1")], ...extras });
      } else {
        vs.spec.http.push({
          name: "v2-api",
          match: [{ uri: { prefix: "/api/v2/" } }],
          route: [dest("v2")],
          ...extras,
        });
        vs.spec.http.push({ name: "default", route: [dest("v1")], ...extras });
      }

      // --- planted defects
      const resourceOf = (doc) => ({ kind: doc.kind, namespace: ns, name: doc.metadata.name });
      if (plant && (g + 1) % 89 === 0) {
        // A catch-all route placed before a narrower one: the narrower route never matches.
        vs.spec.http = [
          { name: "default", route: [dest("v1")], ...extras },
          { name: "admin", match: [{ uri: { prefix: "/admin/" } }], route: [dest("v2")] },
        ];
        planted.push({ kind: "unreachable-route", file, resource: resourceOf(vs), detail: "http[1] follows the catch-all http[0]" });
      }
      if (plant && (g + 1) % 97 === 0) {
        // A weighted route to subset v3, which the DestinationRule does not define.
        dr.spec.subsets = dr.spec.subsets.filter((s) => s.name !== "v3");
        const last = vs.spec.http.at(-1);
        last.route = [{ ...dest("v1"), weight: 90 }, { ...dest("v3"), weight: 10 }];
        planted.push({ kind: "missing-subset", file, resource: resourceOf(vs), detail: "route to subset v3, not defined in DestinationRule " + svc });
      }
      let ap = null;
      if (rnd.chance(0.6) || (plant && g % 331 === 150 && Math.floor(g / 331) % 3 === 2)) {
        const caller = members.length > 1 ? members[(j * 7 + 3) % (members.length - 1)].svc : null;
        const principals = [GATEWAY_SA];
        if (caller) principals.push(`cluster.local/ns/${ns}/sa/${caller}`);
        const rule = { from: [{ source: { principals } }] };
        // HTTP-only fields would deny the service's TCP port, so those services get identity-only rules.
        if (ports.length === 1) rule.to = [{ operation: { methods: primary.protocol === "grpc" ? ["POST"] : ["GET", "POST"] } }];
        ap = {
          apiVersion: "security.istio.io/v1",
          kind: "AuthorizationPolicy",
          metadata: { name: `${svc}-allow`, namespace: ns },
          spec: { selector: { matchLabels: { app: svc } }, action: "ALLOW", rules: [rule] },
        };
      }
      if (plant && g % 331 === 150) {
        const variant = Math.floor(g / 331) % 3;
        if (variant === 0) {
          dr.spec.trafficPolicy = { ...(dr.spec.trafficPolicy ?? {}), tls: { mode: "MUTUAL_TLS" } };
          planted.push({ kind: "schema", file, resource: resourceOf(dr), detail: "trafficPolicy.tls.mode MUTUAL_TLS is not an allowed value" });
        } else if (variant === 1) {
          dr.spec.trafficPolicy = { ...(dr.spec.trafficPolicy ?? {}), loadBalancer: { simple: "ROUND_ROBBIN" } };
          planted.push({ kind: "schema", file, resource: resourceOf(dr), detail: "trafficPolicy.loadBalancer.simple ROUND_ROBBIN is not an allowed value" });
        } else {
          ap.spec.action = "PERMIT";
          planted.push({ kind: "schema", file, resource: resourceOf(ap), detail: "action PERMIT is not an allowed value" });
        }
      }

      docs.push(dr, vs);
      if (ap) docs.push(ap);
      addFile(file, docs);
    }

    // --- ingress: a Gateway and the VirtualService bound to it, for about half the namespaces
    if (rnd.chance(0.5)) {
      const host = `${ns}.shop.example.com`;
      const gateway = {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: `${ns}-gateway`, namespace: ns },
        spec: {
          selector: { istio: "ingressgateway" },
          servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [host] }],
        },
      };
      if (rnd.chance(0.5)) {
        gateway.spec.servers.push({
          port: { number: 443, name: "https", protocol: "HTTPS" },
          hosts: [host],
          tls: { mode: "SIMPLE", credentialName: `${ns}-cert` },
        });
      }
      const exposed = members.filter((m) => m.primary.protocol === "http").slice(0, rnd.int(2, 4));
      const routes = exposed.map((m) => ({
        name: m.svc,
        match: [{ uri: { prefix: `/${m.svc}/` } }],
        rewrite: { uri: "/" },
        route: [{ destination: { host: m.svc, subset: "v1", port: { number: m.primary.port } } }],
      }));
      const docs = [gateway];
      if (routes.length) {
        docs.push({
          apiVersion: "networking.istio.io/v1",
          kind: "VirtualService",
          metadata: { name: `${ns}-ingress`, namespace: ns },
          spec: { hosts: [host], gateways: [`${ns}-gateway`], http: routes },
        });
      }
      addFile(`${dir}/_ingress.yaml`, docs);
    }

    // --- external services reached directly (no egress gateway): not a defect
    if (rnd.chance(0.4)) {
      const partner = PARTNERS[k % PARTNERS.length];
      addFile(`${dir}/_egress.yaml`, [
        {
          apiVersion: "networking.istio.io/v1",
          kind: "ServiceEntry",
          metadata: { name: partner, namespace: ns },
          spec: {
            hosts: [`api.${partner}.example.net`],
            location: "MESH_EXTERNAL",
            resolution: "DNS",
            ports: [{ number: 443, name: "https", protocol: "HTTPS" }],
          },
        },
      ]);
    }
  });

  const namespaces = sizes.length;
  return { files, planted, stats: { services, namespaces, documents, files: files.length, seed } };
}

/** Writes the mesh under `dir` (replacing `dir/mesh`) and `dir/planted.json`; returns the manifests root. */
export function writeMesh(mesh, dir) {
  const root = resolve(dir);
  rmSync(join(root, MESH_SUBDIR), { recursive: true, force: true });
  const made = new Set();
  for (const f of mesh.files) {
    const target = join(root, f.path);
    const parent = dirname(target);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    writeFileSync(target, f.text);
  }
  writeFileSync(join(root, "planted.json"), JSON.stringify(mesh.planted, null, 2) + "\n");
  return join(root, MESH_SUBDIR);
}

// ---------------------------------------------------------------------------------------------
// CLI

function usage(message) {
  if (message) process.stderr.write(`generate-mesh: ${message}\n`);
  process.stderr.write("usage: node scripts/generate-mesh.mjs --services N --out DIR [--seed N] [--no-plant]\n");
  process.exit(2);
}

function cli(argv) {
  const options = { services: 1000, seed: 1, plant: true, out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === "--services") options.services = Number(value());
    else if (a === "--seed") options.seed = Number(value());
    else if (a === "--out") options.out = value();
    else if (a === "--no-plant") options.plant = false;
    else if (a === "--plant") options.plant = true;
    else if (a === "-h" || a === "--help") usage();
    else usage(`unknown argument ${a}`);
  }
  if (!options.out) usage("--out is required");
  if (!Number.isInteger(options.services) || options.services < 1) usage("--services must be a positive integer");
  if (!Number.isInteger(options.seed)) usage("--seed must be an integer");
  const mesh = generateMesh(options);
  const root = writeMesh(mesh, options.out);
  const s = mesh.stats;
  process.stdout.write(
    `${s.services} services, ${s.namespaces} namespaces, ${s.documents} documents, ${s.files} files, ` +
      `${mesh.planted.length} planted defects\n` +
      `manifests: ${root}\nplanted:   ${join(resolve(options.out), "planted.json")}\n`,
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) cli(process.argv.slice(2));
