import { describe, expect, it } from "vitest";
import { webhookProblems } from "../src/schema/webhook/index.js";
import { canonicalJSON } from "../src/schema/webhook/virtualservice.js";

type Spec = Record<string, unknown>;
interface Invalid {
  name: string;
  spec: unknown;
  message: string;
  path: (string | number)[];
  severity?: 1 | 2;
  metadata?: Spec;
}
interface Kind {
  apiVersion: string;
  kind: string;
  valid: [string, Spec][];
  invalid: Invalid[];
}

const obj = (k: Kind, spec: unknown, metadata: Spec = { name: "x", namespace: "default" }) => ({
  apiVersion: k.apiVersion,
  kind: k.kind,
  metadata,
  spec,
});

const route = (host = "reviews") => [{ destination: { host } }];

const kinds: Kind[] = [
  {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    valid: [
      ["simple route", { hosts: ["reviews"], http: [{ route: route() }] }],
      ["weights", { hosts: ["reviews.default.svc.cluster.local"], http: [{ route: [{ destination: { host: "a", subset: "v1" }, weight: 75 }, { destination: { host: "a", subset: "v2" }, weight: 25 }] }] }],
      ["wildcard host on gateway", { hosts: ["*.example.com"], gateways: ["istio-system/gw"], http: [{ route: route() }] }],
      ["IP host", { hosts: ["10.0.0.1"], tcp: [{ route: route() }] }],
      ["delegate", { http: [{ match: [{ uri: { prefix: "/a" } }], route: route() }] }],
      ["redirect", { hosts: ["a"], http: [{ redirect: { uri: "/b" } }] }],
      ["direct response", { hosts: ["a"], http: [{ directResponse: { status: 503 } }] }],
      ["regex match", { hosts: ["a"], http: [{ match: [{ uri: { regex: "^/api/v[0-9]+/.*" }, headers: { "x-user": { exact: "a" } } }], route: route() }] }],
      ["tls sni subset", { hosts: ["*.example.com"], tls: [{ match: [{ sniHosts: ["a.example.com"] }], route: route() }] }],
      ["retries", { hosts: ["a"], http: [{ route: route(), retries: { attempts: 3, perTryTimeout: "2s", retryOn: "5xx,connect-failure,503" }, timeout: "1.5s" }] }],
      ["fault", { hosts: ["a"], http: [{ route: route(), fault: { abort: { httpStatus: 500, percentage: { value: 10 } } } }] }],
      ["mesh + gateway names", { hosts: ["a"], gateways: ["mesh", "gw", "ns/gw"], http: [{ route: route() }] }],
      ["jwt claims on gateway", { hosts: ["a"], gateways: ["gw"], http: [{ match: [{ headers: { "@Request.Auth.Claims.group": { exact: "g" }, "@request.auth.claims[a][b]": { prefix: "x" } } }], route: route() }] }],
      ["cors", { hosts: ["a"], http: [{ route: route(), corsPolicy: { allowOrigins: [{ exact: "https://x" }], allowMethods: ["GET"], maxAge: "24h" } }] }],
      ["header value variables", { hosts: ["a"], http: [{ route: route(), headers: { request: { set: { "x-a": "100%% %HOSTNAME%", "x-start": "%START_TIME(%s)%", "x-b": "%REQ(x-b)%", "x-md": '%DYNAMIC_METADATA(["ns", "key"])%' } } } }] }],
    ],
    invalid: [
      { name: "no routes", spec: { hosts: ["a"] }, message: "http, tcp or tls must be provided in virtual service", path: ["spec"] },
      { name: "bad host", spec: { hosts: ["foo.*.com"], http: [{ route: route() }] }, message: 'domain name "foo.*.com" invalid', path: ["spec", "hosts", 0] },
      { name: "mesh *", spec: { hosts: ["*"], http: [{ route: route() }] }, message: "wildcard host * is not allowed for virtual services bound to the mesh gateway", path: ["spec", "hosts", 0] },
      { name: "duplicate hosts", spec: { hosts: ["*.foo.com", "a.foo.com"], http: [{ route: route() }] }, message: "duplicate hosts in virtual service: *.foo.com & a.foo.com", path: ["spec", "hosts", 1] },
      { name: "delegate gateways", spec: { gateways: ["gw"], http: [{ route: route() }] }, message: "delegate virtual service must have no gateways specified", path: ["spec", "gateways"] },
      { name: "no route/redirect", spec: { hosts: ["a"], http: [{ timeout: "1s" }] }, message: "HTTP route, redirect or direct_response is required", path: ["spec", "http", 0] },
      { name: "route and redirect", spec: { hosts: ["a"], http: [{ route: route(), redirect: { uri: "/x" } }] }, message: "HTTP route cannot contain both route and redirect", path: ["spec", "http", 0, "route"] },
      { name: "route and directResponse", spec: { hosts: ["a"], http: [{ route: route(), directResponse: { status: 200 } }] }, message: "HTTP route cannot contain both route and direct_response", path: ["spec", "http", 0, "route"] },
      { name: "weights all zero", spec: { hosts: ["a"], http: [{ route: [{ destination: { host: "a" }, weight: 0 }, { destination: { host: "b" }, weight: 0 }] }] }, message: "total destination weight = 0", path: ["spec", "http", 0, "route"] },
      { name: "negative weight", spec: { hosts: ["a"], http: [{ route: [{ destination: { host: "a" }, weight: -1 }] }] }, message: "weight -1 < 0", path: ["spec", "http", 0, "route", 0, "weight"] },
      { name: "bad regex", spec: { hosts: ["a"], http: [{ route: route() }, { match: [{ uri: { regex: "a(b" } }], route: route() }] }, message: "missing closing )", path: ["spec", "http", 1, "match", 0, "uri", "regex"] },
      { name: "lookbehind regex", spec: { hosts: ["a"], http: [{ match: [{ headers: { "x-a": { regex: "(?<=a)b" } } }], route: route() }] }, message: "Istio uses RE2", path: ["spec", "http", 0, "match", 0, "headers", "x-a", "regex"] },
      { name: "empty prefix on header", spec: { hosts: ["a"], http: [{ match: [{ headers: { "x-a": { prefix: "" } } }], route: route() }] }, message: '"headers": prefix string match should not be empty', path: ["spec", "http", 0, "match", 0, "headers", "x-a", "prefix"] },
      { name: "bad header name", spec: { hosts: ["a"], http: [{ match: [{ headers: { "bad header": { exact: "x" } } }], route: route() }] }, message: "header name bad header is not a valid header name", path: ["spec", "http", 0, "match", 0, "headers", "bad header"] },
      { name: "match port", spec: { hosts: ["a"], http: [{ match: [{ port: 70000 }], route: route() }] }, message: "port number 70000 must be in the range 1..65535", path: ["spec", "http", 0, "match", 0, "port"] },
      { name: "bad gateway ns", spec: { hosts: ["a"], gateways: ["Bad_NS/gw"], http: [{ route: route() }] }, message: 'invalid value for namespace: "Bad_NS"', path: ["spec", "gateways", 0] },
      { name: "legacy gateway name", spec: { hosts: ["a"], gateways: ["gw.istio-system"], http: [{ route: route() }] }, message: 'prefer the <namespace>/<name> format: "istio-system/gw"', path: ["spec", "gateways", 0], severity: 1 },
      { name: "ms precision", spec: { hosts: ["a"], http: [{ route: route(), timeout: "1500us" }] }, message: "only durations to ms precision are supported", path: ["spec", "http", 0, "timeout"] },
      { name: "retry attempts 0", spec: { hosts: ["a"], http: [{ route: route(), retries: { attempts: 0, perTryTimeout: "1s" } }] }, message: "http retry policy configured when attempts are set to 0 (disabled)", path: ["spec", "http", 0, "retries"] },
      { name: "retryOn", spec: { hosts: ["a"], http: [{ route: route(), retries: { attempts: 2, retryOn: "5xx,bogus" } }] }, message: '"bogus" is not a valid retryOn policy', path: ["spec", "http", 0, "retries", "retryOn"] },
      { name: "fault percentage", spec: { hosts: ["a"], http: [{ route: route(), fault: { delay: { fixedDelay: "5s", percentage: { value: 150 } } } }] }, message: "percentage 150 is neither 0.0, nor in range [0.0001, 100.0]", path: ["spec", "http", 0, "fault", "delay", "percentage", "value"] },
      { name: "fault abort status", spec: { hosts: ["a"], http: [{ route: route(), fault: { abort: { httpStatus: 100 } } }] }, message: "HTTP status 100 is not in range 200-599", path: ["spec", "http", 0, "fault", "abort", "httpStatus"] },
      { name: "fault empty", spec: { hosts: ["a"], http: [{ route: route(), fault: {} }] }, message: "HTTP fault injection must have an abort and/or a delay", path: ["spec", "http", 0, "fault"] },
      { name: "mirror percentage", spec: { hosts: ["a"], http: [{ route: route(), mirror: { host: "m" }, mirrorPercentage: { value: 101 } }] }, message: "mirror_percentage must have a max value of 100", path: ["spec", "http", 0, "mirrorPercentage", "value"] },
      { name: "mirror and mirrors", spec: { hosts: ["a"], http: [{ route: route(), mirror: { host: "m" }, mirrors: [{ destination: { host: "m" } }] }] }, message: "HTTP route cannot contain both mirror and mirrors", path: ["spec", "http", 0, "mirrors"] },
      { name: "cors method", spec: { hosts: ["a"], http: [{ route: route(), corsPolicy: { allowMethods: ["FETCH"] } }] }, message: '"FETCH" is not a supported HTTP method', path: ["spec", "http", 0, "corsPolicy", "allowMethods", 0] },
      { name: "rewrite uri + regex", spec: { hosts: ["a"], http: [{ route: route(), rewrite: { uri: "/x", uriRegexRewrite: { match: "a", rewrite: "b" } } }] }, message: "rewrite may only contain one of URI or UriRegexRewrite", path: ["spec", "http", 0, "rewrite"] },
      { name: "redirect code", spec: { hosts: ["a"], http: [{ redirect: { uri: "/x", redirectCode: 200 } }] }, message: "200 is not a valid redirect code, must be 3xx", path: ["spec", "http", 0, "redirect", "redirectCode"] },
      { name: "destination subset", spec: { hosts: ["a"], http: [{ route: [{ destination: { host: "a", subset: "v1.0" } }] }] }, message: "subset name is invalid: v1.0", path: ["spec", "http", 0, "route", 0, "destination", "subset"] },
      { name: "destination host *", spec: { hosts: ["a"], http: [{ route: [{ destination: { host: "*" } }] }] }, message: "invalid destination host *", path: ["spec", "http", 0, "route", 0, "destination", "host"] },
      { name: "tls no sni", spec: { hosts: ["a.com"], tls: [{ match: [{ port: 443 }], route: route() }] }, message: "TLS match must have at least one SNI host", path: ["spec", "tls", 0, "match", 0] },
      { name: "sni not subset", spec: { hosts: ["a.com"], tls: [{ match: [{ sniHosts: ["b.com"] }], route: route() }] }, message: 'SNI host "b.com" is not a compatible subset of any of the virtual service hosts: [a.com]', path: ["spec", "tls", 0, "match", 0, "sniHosts", 0] },
      { name: "tcp route missing", spec: { hosts: ["a"], tcp: [{ match: [{ port: 1 }] }] }, message: "TCP route is required", path: ["spec", "tcp", 0] },
      { name: "tcp subnet", spec: { hosts: ["a"], tcp: [{ match: [{ destinationSubnets: ["10.0.0.0/33"] }], route: route() }] }, message: "10.0.0.0/33 is not a valid CIDR block", path: ["spec", "tcp", 0, "match", 0, "destinationSubnets", 0] },
      { name: "header op", spec: { hosts: ["a"], http: [{ route: route(), headers: { response: { set: { host: "x" } } } }] }, message: 'invalid header "host": cannot set Host header', path: ["spec", "http", 0, "headers", "response", "set", "host"] },
      { name: "header value lone %", spec: { hosts: ["a"], http: [{ route: route(), headers: { request: { set: { "x-a": "abc%123" } } } }] }, message: "Un-terminated variable expression 'abc%123'", path: ["spec", "http", 0, "headers", "request", "set", "x-a"] },
      { name: "header value trailing %", spec: { hosts: ["a"], http: [{ route: route(), headers: { request: { add: { "x-a": "50%" } } } }] }, message: "Un-escaped %", path: ["spec", "http", 0, "headers", "request", "add", "x-a"] },
      { name: "header value unquoted array arg", spec: { hosts: ["a"], http: [{ route: [{ destination: { host: "a" }, headers: { response: { set: { "x-a": "%DYNAMIC_METADATA([ns])%" } } } }] }] }, message: `Expecting '"'`, path: ["spec", "http", 0, "route", 0, "headers", "response", "set", "x-a"] },
      { name: "header value text after args", spec: { hosts: ["a"], http: [{ route: route(), headers: { response: { add: { "x-a": "%REQ(x-b) x%" } } } }] }, message: "Expecting '%' or whitespace after ')'", path: ["spec", "http", 0, "headers", "response", "add", "x-a"] },
      { name: "unreachable rule", spec: { hosts: ["a"], http: [{ route: route() }, { match: [{ uri: { prefix: "/a" } }], route: route() }] }, message: "virtualService rule #1 not used (route without matches defined before)", path: ["spec", "http", 1], severity: 1 },
      { name: "duplicate match", spec: { hosts: ["a"], http: [{ name: "r1", match: [{ uri: { prefix: "/a" } }], route: route() }, { match: [{ uri: { prefix: "/a" } }, { uri: { prefix: "/b" } }], route: route() }] }, message: 'virtualService rule #1 match #0 is not used (duplicate/overlapping match in rule "r1")', path: ["spec", "http", 1, "match", 0], severity: 1 },
      { name: "jwt claim on mesh", spec: { hosts: ["a"], http: [{ match: [{ headers: { "@request.auth.claims.group": { exact: "g" } } }], route: route() }] }, message: "JWT claim based routing (key: @request.auth.claims.group) is only supported for gateway", path: ["spec", "http", 0, "match", 0, "headers", "@request.auth.claims.group"] },
      { name: "jwt claim on mesh, any case", spec: { hosts: ["a"], http: [{ match: [{ withoutHeaders: { "@Request.Auth.Claims[groups]": { exact: "g" } } }], route: route() }] }, message: "JWT claim based routing (key: @Request.Auth.Claims[groups]) is only supported for gateway", path: ["spec", "http", 0, "match", 0, "withoutHeaders", "@Request.Auth.Claims[groups]"] },
      { name: "jwt claim without a name", spec: { hosts: ["a"], gateways: ["gw"], http: [{ match: [{ headers: { "@request.auth.claims[]": { exact: "g" } } }], route: route() }] }, message: "header name @request.auth.claims[] is not a valid header name", path: ["spec", "http", 0, "match", 0, "headers", "@request.auth.claims[]"] },
      { name: "exportTo dup", spec: { hosts: ["a"], http: [{ route: route() }], exportTo: ["default", "."] }, message: "duplicate entries in exportTo: . and current namespace default", path: ["spec", "exportTo", 1] },
    ],
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    valid: [
      ["subsets", { host: "reviews", subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }] }],
      ["policy", { host: "*.example.com", trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" }, outlierDetection: { maxEjectionPercent: 50, interval: "10s" }, connectionPool: { tcp: { maxConnections: 10 } }, tls: { mode: "ISTIO_MUTUAL" } } }],
      ["mutual with credentialName", { host: "a", trafficPolicy: { tls: { mode: "MUTUAL", credentialName: "cred" } } }],
      ["maglev prime", { host: "a", trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x", maglev: { tableSize: 65537 } } } } }],
    ],
    invalid: [
      { name: "bad host", spec: { host: "a..b" }, message: 'domain name "a..b" invalid', path: ["spec", "host"] },
      { name: "duplicate subset", spec: { host: "a", subsets: [{ name: "v1" }, { name: "v1" }] }, message: "duplicate subset names: v1", path: ["spec", "subsets", 1, "name"] },
      { name: "bad subset name", spec: { host: "a", subsets: [{ name: "v1_x" }] }, message: "subset name is invalid: v1_x", path: ["spec", "subsets", 0, "name"] },
      { name: "bad subset label", spec: { host: "a", subsets: [{ name: "v1", labels: { "bad key!": "x" } }] }, message: 'invalid tag key: "bad key!"', path: ["spec", "subsets", 0, "labels", "bad key!"] },
      { name: "empty traffic policy", spec: { host: "a", trafficPolicy: {} }, message: "traffic policy must have at least one field", path: ["spec", "trafficPolicy"] },
      { name: "outlier percent", spec: { host: "a", trafficPolicy: { outlierDetection: { maxEjectionPercent: 120 } } }, message: "percentage 120 is not in range 0..100", path: ["spec", "trafficPolicy", "outlierDetection", "maxEjectionPercent"] },
      { name: "local origin", spec: { host: "a", trafficPolicy: { outlierDetection: { consecutiveLocalOriginFailures: 3 } } }, message: "split external local origin errors is set to false", path: ["spec", "trafficPolicy", "outlierDetection", "consecutiveLocalOriginFailures"] },
      { name: "mutual without certs", spec: { host: "a", trafficPolicy: { tls: { mode: "MUTUAL" } } }, message: "client certificate required for mutual tls", path: ["spec", "trafficPolicy", "tls"] },
      { name: "credentialName with certs", spec: { host: "a", trafficPolicy: { tls: { mode: "SIMPLE", credentialName: "c", caCertificates: "/ca.pem" } } }, message: "cannot specify client certificates or CA certificate or CA CRL If credentialName is set", path: ["spec", "trafficPolicy", "tls"] },
      { name: "empty connection pool", spec: { host: "a", trafficPolicy: { connectionPool: {} } }, message: "connection pool must have at least one field", path: ["spec", "trafficPolicy", "connectionPool"] },
      { name: "negative max connections", spec: { host: "a", trafficPolicy: { connectionPool: { tcp: { maxConnections: -1 } } } }, message: "max connections must be non-negative", path: ["spec", "trafficPolicy", "connectionPool", "tcp", "maxConnections"] },
      { name: "maglev not prime", spec: { host: "a", trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true, maglev: { tableSize: 1000 } } } } }, message: "tableSize must be a prime number for maglev", path: ["spec", "trafficPolicy", "loadBalancer", "consistentHash", "maglev", "tableSize"] },
      { name: "port level no port", spec: { host: "a", trafficPolicy: { portLevelSettings: [{ tls: { mode: "DISABLE" } }] } }, message: "portTrafficPolicy must have valid port", path: ["spec", "trafficPolicy", "portLevelSettings", 0] },
      { name: "locality weights", spec: { host: "a", trafficPolicy: { outlierDetection: {}, loadBalancer: { localityLbSetting: { distribute: [{ from: "r1/*", to: { "r1/z1/*": 50, "r2/*": 40 } }] } } } }, message: "total locality weight 90 != 100", path: ["spec", "trafficPolicy", "loadBalancer", "localityLbSetting", "distribute", 0, "to"] },
      { name: "selector exportTo", spec: { host: "a", workloadSelector: { matchLabels: { app: "a" } }, exportTo: ["*"] }, message: "destination rule with workload selector cannot have exportTo beyond current namespace", path: ["spec", "exportTo"] },
    ],
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    valid: [
      ["http", { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] }],
      ["https credential", { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["ns/*.example.com"], tls: { mode: "SIMPLE", credentialName: "cert" } }] }],
      ["passthrough", { servers: [{ port: { number: 443, name: "tls", protocol: "TLS" }, hosts: ["./a.example.com"], tls: { mode: "PASSTHROUGH" } }] }],
      ["redirect", { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*/a.example.com"], tls: { httpsRedirect: true } }] }],
      ["cipher list operators", { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.com"], tls: { mode: "SIMPLE", credentialName: "c", cipherSuites: ["ALL", "-AES128-SHA", "!DES-CBC3-SHA", "[ECDHE-RSA-AES128-GCM-SHA256|ECDHE-RSA-CHACHA20-POLY1305]", "ECDHE-RSA-AES256-GCM-SHA384"] } }] }],
    ],
    invalid: [
      { name: "no servers", spec: { servers: [] }, message: "gateway must have at least one server", path: ["spec", "servers"] },
      { name: "https without tls", spec: { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.com"] }] }, message: "server must have TLS settings for HTTPS/TLS protocols", path: ["spec", "servers", 0] },
      { name: "simple without cert", spec: { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.com"], tls: { mode: "SIMPLE" } }] }, message: "SIMPLE TLS requires a server certificate", path: ["spec", "servers", 0, "tls"] },
      { name: "mutual without ca", spec: { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.com"], tls: { mode: "MUTUAL", serverCertificate: "/c", privateKey: "/k" } }] }, message: "MUTUAL TLS requires a client CA bundle", path: ["spec", "servers", 0, "tls"] },
      { name: "duplicate port names", spec: { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["a.com"] }, { port: { number: 8080, name: "http", protocol: "HTTP" }, hosts: ["b.com"] }] }, message: "port names in servers must be unique: duplicate name http", path: ["spec", "servers", 1, "port", "name"] },
      { name: "bad protocol", spec: { servers: [{ port: { number: 80, name: "x", protocol: "FTP" } , hosts: ["a.com"] }] }, message: 'invalid protocol "FTP"', path: ["spec", "servers", 0, "port", "protocol"] },
      { name: "port range", spec: { servers: [{ port: { number: 70000, name: "x", protocol: "HTTP" }, hosts: ["a.com"] }] }, message: "port number 70000 must be in the range 1..65535", path: ["spec", "servers", 0, "port", "number"] },
      { name: "short host", spec: { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["ns/foo"] }] }, message: "short names (non FQDN) are not allowed", path: ["spec", "servers", 0, "hosts", 0] },
      { name: "bad namespace", spec: { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["bad_ns/a.com"] }] }, message: 'invalid namespace value "bad_ns" in gateway', path: ["spec", "servers", 0, "hosts", 0] },
      { name: "partial wildcard", spec: { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*foo.com"] }] }, message: 'partial wildcard "*foo.com" not allowed', path: ["spec", "servers", 0, "hosts", 0] },
      { name: "tls on tcp", spec: { servers: [{ port: { number: 31400, name: "tcp", protocol: "TCP" }, hosts: ["a.com"], tls: { mode: "SIMPLE", credentialName: "c" } }] }, message: "server cannot have TLS settings for non HTTPS/TLS ports", path: ["spec", "servers", 0, "tls"] },
      { name: "httpsRedirect on https", spec: { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.com"], tls: { mode: "SIMPLE", credentialName: "c", httpsRedirect: true } }] }, message: "tls.httpsRedirect should only be used with http servers", path: ["spec", "servers", 0, "tls", "httpsRedirect"], severity: 1 },
      { name: "istio mutual with cert", spec: { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.com"], tls: { mode: "ISTIO_MUTUAL", credentialName: "c" } }] }, message: "ISTIO_MUTUAL TLS cannot have associated credentialName", path: ["spec", "servers", 0, "tls", "credentialName"] },
      { name: "unknown cipher", spec: { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a.com"], tls: { mode: "SIMPLE", credentialName: "c", cipherSuites: ["-AES128-SHA", "TLS_AES_128_GCM_SHA256", "AES128-SHA"] } }] }, message: "ignoring invalid cipher suites: [TLS_AES_128_GCM_SHA256]", path: ["spec", "servers", 0, "tls", "cipherSuites"], severity: 1 },
      { name: "gateway name", spec: { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["a.com"] }] }, metadata: { name: "my.gw" }, message: 'invalid gateway name: "my.gw"', path: ["metadata", "name"] },
    ],
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "ServiceEntry",
    valid: [
      ["dns", { hosts: ["api.example.com"], ports: [{ number: 443, name: "https", protocol: "TLS" }], resolution: "DNS", location: "MESH_EXTERNAL" }],
      ["static", { hosts: ["db.internal"], addresses: ["10.0.0.0/24"], ports: [{ number: 5432, name: "tcp", protocol: "TCP" }], resolution: "STATIC", endpoints: [{ address: "10.0.0.5", ports: { tcp: 5432 } }] }],
      ["none wildcard", { hosts: ["*.example.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "NONE" }],
      ["dns endpoints", { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DNS", endpoints: [{ address: "a.example.com" }, { address: "10.0.0.1" }, { address: "2001:db8::1", network: "n1" }] }],
      ["dynamic dns in mesh", { hosts: ["*.internal.example"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DYNAMIC_DNS", location: "MESH_INTERNAL" }],
      ["selector", { hosts: ["vm.internal"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DNS", workloadSelector: { labels: { app: "vm", "topology.istio.io/network": "n1" } } }],
    ],
    invalid: [
      { name: "bad host", spec: { hosts: ["a_b.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }] }, message: 'domain name "a_b.com" invalid', path: ["spec", "hosts", 0] },
      { name: "bad address", spec: { hosts: ["a.com"], addresses: ["300.1.1.1"], ports: [{ number: 80, name: "http", protocol: "HTTP" }] }, message: "300.1.1.1 is not a valid IP", path: ["spec", "addresses", 0] },
      { name: "dup port name", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }, { number: 81, name: "http", protocol: "HTTP" }] }, message: 'service entry port name "http" already defined', path: ["spec", "ports", 1, "name"] },
      { name: "bad protocol", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "FTP" }] }, message: "unsupported protocol: FTP", path: ["spec", "ports", 0, "protocol"] },
      { name: "static endpoint port undeclared", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "STATIC", endpoints: [{ address: "1.1.1.1", ports: { grpc: 90 } }] }, message: "endpoint port 90 is not defined by the service entry", path: ["spec", "endpoints", 0, "ports", "grpc"] },
      { name: "static endpoint FQDN", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "STATIC", endpoints: [{ address: "foo.com" }] }, message: 'endpoint address "foo.com" is not a valid IP address', path: ["spec", "endpoints", 0, "address"] },
      { name: "dns wildcard no endpoints", spec: { hosts: ["*.a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DNS" }, message: "hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode DNS", path: ["spec", "hosts", 0] },
      { name: "multi host tcp", spec: { hosts: ["a.com", "b.com"], ports: [{ number: 9000, name: "tcp", protocol: "TCP" }], resolution: "DNS" }, message: "multiple hosts provided with non-HTTP, non-TLS ports", path: ["spec", "ports", 0] },
      { name: "dynamic dns host", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DYNAMIC_DNS" }, message: "host must be wildcarded for resolution mode DYNAMIC_DNS", path: ["spec", "hosts", 0] },
      { name: "partial wildcard warning", spec: { hosts: ["*a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }] }, message: 'partial wildcard "*a.com" not allowed', path: ["spec", "hosts", 0], severity: 1 },
      { name: "dns unix endpoint", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DNS", endpoints: [{ address: "unix:///var/run/a.sock" }] }, message: 'endpoint address "unix:///var/run/a.sock" is not a valid FQDN or an IP address', path: ["spec", "endpoints", 0, "address"] },
      { name: "dns endpoint without address", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DNS_ROUND_ROBIN", endpoints: [{ network: "n1" }] }, message: 'endpoint address "" is not a valid FQDN or an IP address', path: ["spec", "endpoints", 0] },
      { name: "dynamic dns in mesh behind waypoint", spec: { hosts: ["*.internal.example"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DYNAMIC_DNS", location: "MESH_INTERNAL" }, metadata: { name: "x", namespace: "default", labels: { "istio.io/use-waypoint": "waypoint" } }, message: "location MESH_INTERNAL with resolution type DYNAMIC_DNS is not supported when using waypoints", path: ["spec", "location"] },
      { name: "selector empty key", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DNS", workloadSelector: { labels: { "": "vm" } } }, message: 'empty key is not supported in selector: "=vm"', path: ["spec", "workloadSelector", "labels", ""] },
      { name: "selector wildcard key", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DNS", workloadSelector: { labels: { "app*": "vm" } } }, message: 'wildcard is not supported in selector: "app*=vm"', path: ["spec", "workloadSelector", "labels", "app*"] },
      { name: "selector without labels", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], resolution: "DNS", workloadSelector: {} }, message: "service entry: workload selector specified without labels, will be applied to all services in namespace", path: ["spec", "workloadSelector"], severity: 1 },
      { name: "exportTo * and ns", spec: { hosts: ["a.com"], ports: [{ number: 80, name: "http", protocol: "HTTP" }], exportTo: ["*", "ns1"] }, message: "cannot have both public (*) and non-public exportTo values for a resource", path: ["spec", "exportTo"] },
    ],
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "Sidecar",
    valid: [
      ["egress", { egress: [{ hosts: ["./*", "istio-system/*"] }] }],
      ["ingress", { ingress: [{ port: { number: 9080, protocol: "HTTP", name: "http" }, defaultEndpoint: "127.0.0.1:8080" }], egress: [{ hosts: ["*/foo.com"] }] }],
      ["otp only", { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } }],
      ["inbound connection pools", { inboundConnectionPool: { http: { http1MaxPendingRequests: 100, idleTimeout: "30s" } }, ingress: [{ port: { number: 9080, protocol: "HTTP", name: "http" }, connectionPool: { tcp: { maxConnections: 10, connectTimeout: "1s" } } }] }],
    ],
    invalid: [
      { name: "empty", spec: {}, message: "sidecar: empty configuration provided", path: ["spec"] },
      { name: "egress host no slash", spec: { egress: [{ hosts: ["foo.com"] }] }, message: "host must be of form namespace/dnsName", path: ["spec", "egress", 0, "hosts", 0] },
      { name: "egress bad ns", spec: { egress: [{ hosts: ["Bad_ns/*"] }] }, message: 'invalid namespace value "Bad_ns" in sidecar', path: ["spec", "egress", 0, "hosts", 0] },
      { name: "catch-all not last", spec: { egress: [{ hosts: ["./*"] }, { port: { number: 80, protocol: "HTTP", name: "http" }, hosts: ["./*"] }] }, message: "sidecar: the egress listener with empty port should be the last listener in the list", path: ["spec", "egress", 0] },
      { name: "dup egress port", spec: { egress: [{ port: { number: 80, protocol: "HTTP", name: "a" }, hosts: ["./*"] }, { port: { number: 80, protocol: "HTTP", name: "b" }, hosts: ["./*"] }] }, message: "sidecar: ports on IP bound listeners must be unique", path: ["spec", "egress", 1, "port", "number"] },
      { name: "default endpoint host", spec: { ingress: [{ port: { number: 9080, protocol: "HTTP", name: "http" }, defaultEndpoint: "10.0.0.1:8080" }] }, message: "sidecar: defaultEndpoint must be of form", path: ["spec", "ingress", 0, "defaultEndpoint"] },
      { name: "ingress port range", spec: { ingress: [{ port: { number: 0, protocol: "HTTP", name: "http" } }] }, message: "port number 0 must be in the range 1..65535", path: ["spec", "ingress", 0, "port", "number"] },
      { name: "duplicated egress host", spec: { egress: [{ hosts: ["ns/*", "ns/a.com"] }] }, message: "duplicated egress host: ns/a.com", path: ["spec", "egress", 0, "hosts", 1], severity: 1 },
      { name: "empty inbound connection pool", spec: { inboundConnectionPool: {} }, message: "connection pool must have at least one field", path: ["spec", "inboundConnectionPool"] },
      { name: "ingress connection pool", spec: { ingress: [{ port: { number: 9080, protocol: "HTTP", name: "http" }, connectionPool: { http: { maxRetries: -1, idleTimeout: "1.5ms" } } }] }, message: "max retries must be non-negative", path: ["spec", "ingress", 0, "connectionPool", "http", "maxRetries"] },
      { name: "ingress connection pool duration", spec: { ingress: [{ port: { number: 9080, protocol: "HTTP", name: "http" }, connectionPool: { tcp: { connectTimeout: "1.5ms" } } }] }, message: "only durations to ms precision are supported", path: ["spec", "ingress", 0, "connectionPool", "tcp", "connectTimeout"] },
      { name: "otp dynamic dns", spec: { outboundTrafficPolicy: { mode: "ALLOW_ANY_DYNAMIC_DNS" } }, message: "ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig", path: ["spec", "outboundTrafficPolicy", "mode"] },
      { name: "egressProxy with registry only", spec: { outboundTrafficPolicy: { mode: "REGISTRY_ONLY", egressProxy: { host: "proxy.com", port: { number: 80 } } } }, message: "egress_proxy must be set only with ALLOW_ANY", path: ["spec", "outboundTrafficPolicy", "egressProxy"] },
    ],
  },
  {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    valid: [
      ["allow all", { rules: [{}] }],
      ["deny with rules", { action: "DENY", rules: [{ from: [{ source: { namespaces: ["foo"] } }], to: [{ operation: { ports: ["8080"], methods: ["GET"] } }] }] }],
      ["custom", { action: "CUSTOM", provider: { name: "ext" }, rules: [{ to: [{ operation: { paths: ["/admin/*"] } }] }] }],
      ["when", { rules: [{ when: [{ key: "request.headers[x-token]", values: ["a"] }, { key: "source.ip", values: ["10.0.0.0/8"] }] }] }],
      ["path template", { rules: [{ to: [{ operation: { paths: ["/foo/{*}/bar/{**}"] } }] }] }],
      ["trust domains", { rules: [{ from: [{ source: { trustDomains: ["cluster.local", "*.example.com", "td-*", "*"], notTrustDomains: ["old.local"] } }] }] }],
    ],
    invalid: [
      { name: "deny without rules", spec: { action: "DENY" }, message: "DENY action without `rules` is meaningless", path: ["spec"] },
      { name: "custom without provider", spec: { action: "CUSTOM", rules: [{}] }, message: "`provider.name` must not be empty", path: ["spec", "provider"] },
      { name: "provider with allow", spec: { provider: { name: "x" }, rules: [{}] }, message: "`provider` must not be with non CUSTOM action, found ALLOW", path: ["spec", "provider"] },
      { name: "empty source", spec: { rules: [{ from: [{ source: {} }] }] }, message: "`from.source` must not be empty, found at rule 0", path: ["spec", "rules", 0, "from", 0, "source"] },
      { name: "empty operation", spec: { rules: [{ to: [{ operation: {} }] }] }, message: "`to.operation` must not be empty, found at rule 0", path: ["spec", "rules", 0, "to", 0, "operation"] },
      { name: "bad ip block", spec: { rules: [{ from: [{ source: { ipBlocks: ["1.2.3.4/40"] } }] }] }, message: "bad CIDR range (1.2.3.4/40)", path: ["spec", "rules", 0, "from", 0, "source", "ipBlocks", 0] },
      { name: "bad port", spec: { rules: [{ to: [{ operation: { ports: ["http"] } }] }] }, message: "bad port (http)", path: ["spec", "rules", 0, "to", 0, "operation", "ports", 0] },
      { name: "unknown when key", spec: { rules: [{ when: [{ key: "source.foo", values: ["a"] }] }] }, message: "invalid `value` for `key` source.foo: unknown attribute: source.foo", path: ["spec", "rules", 0, "when", 0, "values"] },
      { name: "header key format", spec: { rules: [{ when: [{ key: "request.headers", values: ["a"] }] }] }, message: "bad key (request.headers): should have format a[b]", path: ["spec", "rules", 0, "when", 0, "values"] },
      { name: "when without values", spec: { rules: [{ when: [{ key: "source.ip" }] }] }, message: "at least one of `values` or `notValues` must be set for key source.ip", path: ["spec", "rules", 0, "when", 0] },
      { name: "custom with principals", spec: { action: "CUSTOM", provider: { name: "p" }, rules: [{ from: [{ source: { principals: ["a"] } }] }] }, message: "From.Principals is currently not supported with CUSTOM action", path: ["spec", "rules", 0, "from", 0, "source", "principals"] },
      { name: "bad path template", spec: { rules: [{ to: [{ operation: { paths: ["/a/{**}/b/{*}"] } }] }] }, message: "{**} is not the last operator", path: ["spec", "rules", 0, "to", 0, "operation", "paths", 0] },
      { name: "trust domain two wildcards", spec: { rules: [{ from: [{ source: { trustDomains: ["*.td-*"] } }] }] }, message: 'at most one wildcard is allowed, found in TrustDomains: "*.td-*"', path: ["spec", "rules", 0, "from", 0, "source", "trustDomains", 0] },
      { name: "trust domain inner wildcard", spec: { rules: [{ from: [{ source: { notTrustDomains: ["a.local", "td*.local"] } }] }] }, message: 'wildcard is only allowed at the start or end, found in NotTrustDomains: "td*.local"', path: ["spec", "rules", 0, "from", 0, "source", "notTrustDomains", 1] },
      { name: "trust domain empty", spec: { rules: [{ from: [{ source: { trustDomains: [""] } }] }] }, message: "empty value not allowed, found in TrustDomains", path: ["spec", "rules", 0, "from", 0, "source", "trustDomains", 0] },
      { name: "deny http only warning", spec: { action: "DENY", rules: [{ to: [{ operation: { methods: ["GET"] } }] }] }, message: "will deny all traffic to TCP ports", path: ["spec", "rules", 0], severity: 1 },
    ],
  },
  {
    apiVersion: "security.istio.io/v1",
    kind: "RequestAuthentication",
    valid: [["jwt", { selector: { matchLabels: { app: "a" } }, jwtRules: [{ issuer: "https://issuer", jwksUri: "https://issuer/jwks" }] }]],
    invalid: [
      { name: "no issuer", spec: { jwtRules: [{ audiences: ["a"] }] }, message: "issuer or jwksUri must be non-empty string", path: ["spec", "jwtRules", 0] },
      { name: "bad jwks", spec: { jwtRules: [{ issuer: "i", jwks: "not json" }] }, message: "jwks parse error", path: ["spec", "jwtRules", 0, "jwks"] },
      { name: "selector without labels", spec: { selector: {}, jwtRules: [{ issuer: "i" }] }, message: "workload selector specified without labels", path: ["spec", "selector"], severity: 1 },
      { name: "bad targetRef kind", spec: { targetRef: { kind: "Deployment", name: "x" } }, message: "targetRef must be to one of", path: ["spec", "targetRef"] },
    ],
  },
  {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    valid: [["strict", { mtls: { mode: "STRICT" } }], ["port level", { selector: { matchLabels: { app: "a" } }, portLevelMtls: { "8080": { mode: "DISABLE" } } }]],
    invalid: [{ name: "empty port level", spec: { selector: { matchLabels: { app: "a" } }, portLevelMtls: {} }, message: "port level mTLS, if defined, must have at least one element", path: ["spec", "portLevelMtls"] }],
  },
  {
    apiVersion: "telemetry.istio.io/v1",
    kind: "Telemetry",
    valid: [
      ["tracing", { tracing: [{ providers: [{ name: "zipkin" }], randomSamplingPercentage: 10 }] }],
      ["tag overrides", { metrics: [{ overrides: [{ tagOverrides: { request_protocol: { operation: "REMOVE" }, source_app: { value: "'x'" }, destination_app: { operation: "UPSERT", value: "'y'" } } }] }] }],
      ["access log filters", { accessLogging: [{ providers: [{ name: "envoy" }], filter: { expression: "response.code >= 400 || connection.mtls && request.url_path.contains('/api')" } }, { filter: { expression: "has(request.headers.x) && response.code in [500, 503]" } }] }],
    ],
    invalid: [
      { name: "tag override without operation or value", spec: { metrics: [{ overrides: [{ tagOverrides: { request_protocol: {}, source_app: { value: "'x'" } } }] }] }, message: "tagOverrides.value must be set when operation is UPSERT", path: ["spec", "metrics", 0, "overrides", 0, "tagOverrides", "request_protocol"] },
      { name: "access log filter syntax", spec: { accessLogging: [{ filter: { expression: "response.code >= 400" } }, { filter: { expression: "response.code = 500" } }] }, message: "must be a valid CEL expression, ", path: ["spec", "accessLogging", 1, "filter", "expression"] },
      { name: "access log filter unbalanced", spec: { accessLogging: [{ filter: { expression: "(response.code >= 400" } }] }, message: "must be a valid CEL expression, ", path: ["spec", "accessLogging", 0, "filter", "expression"] },
      { name: "sampling", spec: { tracing: [{ randomSamplingPercentage: 150 }] }, message: "randomSamplingPercentage must be in range [0.0, 100.0]", path: ["spec", "tracing", 0, "randomSamplingPercentage"] },
      { name: "multiple tracing", spec: { tracing: [{}, {}] }, message: "multiple tracing is not currently supported", path: ["spec", "tracing"], severity: 1 },
    ],
  },
  {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    valid: [["oci", { url: "oci://ghcr.io/x/y:1", selector: { matchLabels: { app: "a" } } }]],
    invalid: [{ name: "dup env", spec: { url: "oci://x", vmConfig: { env: [{ name: "A", value: "1" }, { name: "A", value: "2" }] } }, message: "duplicate env", path: ["spec", "vmConfig", "env", 1, "name"] }],
  },
  {
    apiVersion: "networking.istio.io/v1alpha3",
    kind: "EnvoyFilter",
    valid: [],
    invalid: [
      { name: "missing patch value", spec: { configPatches: [{ applyTo: "HTTP_FILTER", patch: { operation: "INSERT_BEFORE" } }] }, message: "Envoy filter: missing patch value for non-remove operation", path: ["spec", "configPatches", 0, "patch"] },
      { name: "listener class non listener match", spec: { configPatches: [{ applyTo: "HTTP_FILTER", match: { cluster: { name: "x" } }, patch: { operation: "REMOVE" } }] }, message: "applyTo for listener class objects cannot have non listener match", path: ["spec", "configPatches", 0, "match"] },
    ],
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "WorkloadEntry",
    valid: [["ip", { address: "10.0.0.1", ports: { http: 8080 }, labels: { app: "a" } }], ["fqdn", { address: "vm.example.com" }]],
    invalid: [{ name: "bad address", spec: { address: "not_valid!" }, message: 'endpoint address "not_valid!" is not a valid FQDN or an IP address', path: ["spec", "address"] }],
  },
  {
    apiVersion: "networking.istio.io/v1",
    kind: "WorkloadGroup",
    valid: [["template", { template: { ports: { http: 8080 } }, probe: { httpGet: { port: 8080 } } }]],
    invalid: [{ name: "negative period", spec: { template: {}, probe: { periodSeconds: -1, tcpSocket: { port: 80 } } }, message: "periodSeconds must be non-negative", path: ["spec", "probe", "periodSeconds"] }],
  },
];

for (const k of kinds) {
  describe(`webhook ${k.kind}`, () => {
    for (const [name, spec] of k.valid) {
      it(`valid: ${name}`, () => {
        const problems = webhookProblems(obj(k, spec)).filter((p) => p.severity === 2 || k.kind !== "EnvoyFilter");
        expect(problems).toEqual([]);
      });
    }
    for (const c of k.invalid) {
      it(`invalid: ${c.name}`, () => {
        const problems = webhookProblems(obj(k, c.spec, c.metadata));
        const hit = problems.find((p) => p.message.includes(c.message));
        expect(hit, `expected "${c.message}" in ${JSON.stringify(problems, null, 1)}`).toBeDefined();
        expect(hit!.path).toEqual(c.path);
        expect(hit!.severity).toBe(c.severity ?? 2);
        expect(hit!.source).toBe("webhook");
      });
    }
  });
}

describe("webhook ProxyConfig", () => {
  const pc = (spec: Spec) => ({ apiVersion: "networking.istio.io/v1beta1", kind: "ProxyConfig", metadata: { name: "x", namespace: "default" }, spec });
  it("valid: selector and concurrency", () => expect(webhookProblems(pc({ selector: { matchLabels: { app: "a" } }, concurrency: 2 }))).toEqual([]));
  it("warns about a selector without labels", () => {
    expect(webhookProblems(pc({ selector: {}, concurrency: 0 }))).toEqual([
      { path: ["spec", "selector"], message: "workload selector specified without labels", severity: 1, source: "webhook" },
    ]);
  });
});

describe("webhook metadata annotations (checked on every Istio kind)", () => {
  const meta = (annotations: Spec) => ({ name: "p", namespace: "ns", annotations });
  const ap = (action: string | undefined, annotations: Spec) => ({
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: meta(annotations),
    spec: { ...(action ? { action } : {}), rules: [{}], ...(action === "CUSTOM" ? { provider: { name: "ext" } } : {}) },
  });
  const vs = (annotations: Spec) => ({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: meta(annotations), spec: { hosts: ["a"], http: [{ route: route() }] } });
  const valid: [string, Record<string, unknown>][] = [
    ["dry-run true on ALLOW", ap(undefined, { "istio.io/dry-run": "true" })],
    ["dry-run False on DENY", ap("DENY", { "istio.io/dry-run": "False" })],
    ["other annotations", vs({ "kubectl.kubernetes.io/last-applied-configuration": "{}", "internal.istio.io/always-push": "x" })],
  ];
  const invalid: { name: string; object: Record<string, unknown>; message: string; key: string }[] = [
    { name: "dry-run not a bool", object: ap("ALLOW", { "istio.io/dry-run": "yes" }), message: 'ns/p has annotation istio.io/dry-run with invalid value (yes): strconv.ParseBool: parsing "yes": invalid syntax', key: "istio.io/dry-run" },
    { name: "dry-run on CUSTOM", object: ap("CUSTOM", { "istio.io/dry-run": "true" }), message: "the annotation istio.io/dry-run currently only supports action ALLOW/DENY, found action CUSTOM in ns/p", key: "istio.io/dry-run" },
    { name: "dry-run on another kind", object: vs({ "istio.io/dry-run": "true" }), message: "ns/p has unsupported annotation istio.io/dry-run, please remove the annotation", key: "istio.io/dry-run" },
    { name: "always-reject", object: vs({ "internal.istio.io/webhook-always-reject": "" }), message: '"internal.istio.io/webhook-always-reject" annotation found, rejecting', key: "internal.istio.io/webhook-always-reject" },
    { name: "parents", object: ap("DENY", { "internal.istio.io/parents": "HTTPRoute/a.ns" }), message: '"internal.istio.io/parents" annotation found, this may not be set by users', key: "internal.istio.io/parents" },
    { name: "parent-namespace", object: vs({ "internal.istio.io/parent-namespace": "other" }), message: '"internal.istio.io/parent-namespace" annotation found, this may not be set by users', key: "internal.istio.io/parent-namespace" },
  ];
  for (const [name, object] of valid) {
    it(`valid: ${name}`, () => expect(webhookProblems(object)).toEqual([]));
  }
  for (const c of invalid) {
    it(`invalid: ${c.name}`, () => {
      const hit = webhookProblems(c.object).find((p) => p.message === c.message);
      expect(hit, JSON.stringify(webhookProblems(c.object))).toBeDefined();
      expect(hit!.path).toEqual(["metadata", "annotations", c.key]);
      expect(hit!.severity).toBe(2);
    });
  }
});

describe("webhook malformed input", () => {
  const shapes: unknown[] = [
    "string", 5, null, [], true,
    { hosts: "a", http: 5 },
    { hosts: [5, null, {}], http: [5, "x", null, { route: "x", match: 7 }, { match: [null, 3, { uri: 5, headers: [] }] }] },
    { http: [{ route: [null, 5, { destination: "x", weight: "10" }] }], tls: [{ match: [{ sniHosts: 5 }] }], tcp: "x" },
    { host: 5, subsets: "x", trafficPolicy: { tls: "x", portLevelSettings: [null, 5], loadBalancer: { consistentHash: { maglev: "x" } } } },
    { servers: [null, 5, { port: "x", hosts: "y", tls: 5 }] },
    { hosts: [1], ports: [null, "a", { number: "x" }], endpoints: [null, { ports: 5 }], resolution: 5, addresses: "x" },
    { egress: [null, 5, { hosts: 5, port: "x" }], ingress: [null, { port: 5 }], outboundTrafficPolicy: "x" },
    { rules: [null, 5, { from: [null, { source: 5 }], to: "x", when: [null, { key: 5 }] }], action: 5 },
    { jwtRules: [null, 5, { jwks: 5, fromHeaders: [null] }], portLevelMtls: [] },
    { tracing: [null, { customTags: { a: null } }], metrics: [{ overrides: [null] }], configPatches: [null, { match: 5, patch: 5 }] },
  ];
  const kindsToTry = kinds.map((k) => [k.apiVersion, k.kind] as const);
  for (const [apiVersion, kind] of kindsToTry) {
    it(`never throws: ${kind}`, () => {
      for (const spec of shapes) {
        expect(() => webhookProblems({ apiVersion, kind, metadata: 5, spec })).not.toThrow();
        expect(Array.isArray(webhookProblems({ apiVersion, kind, metadata: 5, spec }))).toBe(true);
      }
    });
  }
  it("ignores unknown kinds and non-objects", () => {
    expect(webhookProblems({ apiVersion: "v1", kind: "Service", spec: {} })).toEqual([]);
    expect(webhookProblems(5 as unknown as Record<string, unknown>)).toEqual([]);
    expect(webhookProblems({ apiVersion: 5, kind: [], spec: {} })).toEqual([]);
  });
});

describe("canonicalJSON (the key of a VirtualService match when looking for duplicates)", () => {
  // Equal values give equal text whatever their key order; `omit` leaves out one top-level key.
  const cases: { name: string; value: unknown; omit?: string; text: string }[] = [
    { name: "scalars", value: ["a", 1, 1.5, true, null], text: '["a",1,1.5,true,null]' },
    { name: "keys sorted at every level", value: { b: { y: 1, x: [2, { d: 1, c: 2 }] }, a: "s" }, text: '{"a":"s","b":{"x":[2,{"c":2,"d":1}],"y":1}}' },
    { name: "top-level key left out", value: { name: "m1", uri: { prefix: "/a" } }, omit: "name", text: '{"uri":{"prefix":"/a"}}' },
    { name: "nested key of that name kept", value: { uri: { name: "n" }, name: "m1" }, omit: "name", text: '{"uri":{"name":"n"}}' },
    { name: "only the omitted key", value: { name: "m1" }, omit: "name", text: "{}" },
    { name: "empty list and map", value: { a: [], b: {} }, text: '{"a":[],"b":{}}' },
    { name: "keys needing quotes", value: { 'q"k': 1, "": 2 }, text: '{"":2,"q\\"k":1}' },
  ];
  it.each(cases)("$name", ({ value, omit, text }) => {
    expect(canonicalJSON(value, omit)).toBe(text);
  });
});
