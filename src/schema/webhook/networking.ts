/**
 * DestinationRule, Gateway, ServiceEntry, Sidecar, WorkloadEntry, WorkloadGroup: the webhook
 * rules the CRD schemas and CEL rules do not already cover.
 */
import {
  type Obj,
  type Path,
  Problems,
  arr,
  entries,
  isDNS1123Label,
  isIPAddress,
  labelProblems,
  num,
  obj,
  portMessage,
  present,
  protocolIsHTTP,
  protocolIsTLS,
  protocolIsTCP,
  protocolKnown,
  s,
  str,
  strings,
  validPort,
  validateFQDN,
  validateIPSubnet,
  validateNamespaceSlashHostname,
  validatePartialWildcard,
  validateWildcardDomain,
} from "./util.js";
import {
  clientTLSProblems,
  connectionPoolProblems,
  destinationProblems,
  exportToProblems,
  serverTLSProblems,
  subsetNameProblem,
  trafficPolicyProblems,
  unixAddressProblem,
  workloadSelectorLabelProblems,
} from "./shared.js";

// ---------------------------------------------------------------------------------------------

export function destinationRuleProblems(p: Problems, spec: Obj, namespace: string): void {
  if (typeof spec.host === "string") {
    const err = validateWildcardDomain(spec.host);
    if (err) p.error(["spec", "host"], err);
  }
  trafficPolicyProblems(p, spec.trafficPolicy, ["spec", "trafficPolicy"], namespace);
  const names = new Set<string>();
  arr(spec.subsets).forEach((sub, i) => {
    const sp: Path = ["spec", "subsets", i];
    if (sub === null) return p.error(sp, "subset may not be null");
    const so = obj(sub);
    if (!so) return;
    const name = s(so.name);
    if (names.has(name)) p.error([...sp, "name"], `duplicate subset names: ${name}`);
    names.add(name);
    const err = subsetNameProblem(name);
    if (err && so.name !== undefined) p.error([...sp, "name"], err);
    if (so.labels != null) labelProblems(p, so.labels, [...sp, "labels"]);
    if (so.trafficPolicy != null) trafficPolicyProblems(p, so.trafficPolicy, [...sp, "trafficPolicy"], namespace);
  });
  const hasSelector = spec.workloadSelector != null;
  exportToProblems(p, spec.exportTo, ["spec", "exportTo"], namespace, false, hasSelector);
  const ws = obj(spec.workloadSelector);
  if (ws && entries(ws.matchLabels).length === 0) p.warn(["spec", "workloadSelector"], "workload selector specified without labels");
}

// ---------------------------------------------------------------------------------------------

export function gatewayProblems(p: Problems, spec: Obj, name: string): void {
  if (name !== "" && !isDNS1123Label(name)) p.error(["metadata", "name"], `invalid gateway name: "${name}"`);
  const servers = arr(spec.servers);
  if (servers.length === 0) p.error(["spec", "servers"], "gateway must have at least one server");
  const portNames = new Set<string>();
  servers.forEach((server, i) => {
    const sp: Path = ["spec", "servers", i];
    if (server === null) return p.error(sp, "cannot have nil server");
    const so = obj(server);
    if (!so) return;
    serverProblems(p, so, sp);
    const port = obj(so.port);
    if (port) {
      const pname = s(port.name);
      if (portNames.has(pname)) p.error([...sp, "port", "name"], `port names in servers must be unique: duplicate name ${pname}`);
      portNames.add(pname);
      if (!protocolIsHTTP(s(port.protocol)) && obj(so.tls)?.httpsRedirect === true) {
        p.warn([...sp, "tls", "httpsRedirect"], "tls.httpsRedirect should only be used with http servers");
      }
    }
  });
}

function serverProblems(p: Problems, server: Obj, path: Path): void {
  const hosts = strings(server.hosts);
  if (!present(server.hosts)) p.error(path, "server config must contain at least one host");
  for (const [i, h] of hosts) {
    for (const err of validateNamespaceSlashHostname(h, true)) p.error([...path, "hosts", i], err);
  }
  const bind = s(server.bind);
  const port = obj(server.port);
  let portOK = true;
  if (server.port == null) {
    p.error(path, "port is required");
    portOK = false;
  } else if (port) {
    const protocol = s(port.protocol);
    if (!protocolKnown(protocol)) {
      p.error([...path, "port", "protocol"], `invalid protocol "${protocol}", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`);
      portOK = false;
    }
    const n = num(port.number) ?? 0;
    if ((n > 0 || !bind.startsWith("unix://")) && !validPort(n)) {
      p.error([...path, "port", "number"], portMessage(n));
      portOK = false;
    }
    const tp = num(port.targetPort) ?? 0;
    if (tp > 0) {
      p.error([...path, "port", "targetPort"], "targetPort has no impact on Gateways");
      portOK = false;
    }
    if (!present(port.name)) {
      p.error([...path, "port"], "port name must be set");
      portOK = false;
    }
  }
  if (bind.startsWith("unix://")) {
    const err = unixAddressProblem(bind.slice(7));
    if (err) p.error([...path, "bind"], err);
    if (port && (num(port.number) ?? 0) !== 0) p.error([...path, "port", "number"], `port number must be 0 for unix domain socket`);
  } else if (bind !== "" && !isIPAddress(bind)) {
    p.error([...path, "bind"], `${bind} is not a valid IP`);
  }
  const tls = obj(server.tls);
  serverTLSProblems(p, tls, [...path, "tls"]);
  if (portOK && port) {
    const protocol = s(port.protocol);
    if (protocolIsTLS(protocol) && server.tls == null) {
      p.error(path, "server must have TLS settings for HTTPS/TLS protocols");
    } else if (!protocolIsTLS(protocol) && tls) {
      if (protocolIsHTTP(protocol)) {
        const passThrough = s(tls.mode) === "" || s(tls.mode) === "PASSTHROUGH" || s(tls.mode) === "AUTO_PASSTHROUGH";
        if (!passThrough || present(tls.caCertificates) || present(tls.privateKey) || present(tls.serverCertificate)) {
          p.error([...path, "tls"], "server cannot have TLS settings for plain text HTTP ports");
        }
      } else {
        p.error([...path, "tls"], "server cannot have TLS settings for non HTTPS/TLS ports");
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

export function serviceEntryProblems(p: Problems, spec: Obj, namespace: string, labels: Obj = {}): void {
  const hosts = strings(spec.hosts);
  const resolution = s(spec.resolution) || "NONE";
  workloadSelectorLabelProblems(p, spec.workloadSelector, "service entry");
  for (const [i, h] of hosts) {
    if (h === "*") continue; // CEL: hostname cannot be wildcard
    const err = validateWildcardDomain(h);
    if (err) p.error(["spec", "hosts", i], err);
    if (resolution !== "DYNAMIC_DNS") {
      const partial = validatePartialWildcard(h);
      if (partial) p.warn(["spec", "hosts", i], partial);
    }
  }
  for (const [i, a] of strings(spec.addresses)) {
    const err = validateIPSubnet(a);
    if (err) p.error(["spec", "addresses", i], err);
  }
  const ports = arr(spec.ports);
  const portNames = new Set<string>();
  const autoAllocate = true; // Istio ≥1.23 allocates addresses for ServiceEntries without them by default.
  ports.forEach((port, i) => {
    const pp: Path = ["spec", "ports", i];
    if (port === null) return p.error(pp, "service entry port may not be null");
    const po = obj(port);
    if (!po) return;
    const name = s(po.name);
    if (portNames.has(name)) p.error([...pp, "name"], `service entry port name "${name}" already defined`);
    portNames.add(name);
    if (po.name !== undefined && !isDNS1123Label(name)) p.error([...pp, "name"], `invalid port name: ${name}`);
    const protocol = s(po.protocol);
    if (protocol !== "" && !protocolKnown(protocol)) p.error([...pp, "protocol"], `unsupported protocol: ${protocol}`);
    if (!present(spec.addresses) && !autoAllocate && (protocol === "" || protocol === "TCP")) {
      p.warn(pp, "addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled");
    }
  });

  const endpoints = arr(spec.endpoints);
  switch (resolution) {
    case "NONE":
      // endpoints with NONE: CEL
      if (spec.workloadSelector != null) p.warn(["spec", "workloadSelector"], "workloadSelector should not be set when resolution mode is NONE");
      break;
    case "STATIC":
      endpoints.forEach((e, i) => {
        const ep: Path = ["spec", "endpoints", i];
        if (e === null) return p.error(ep, "endpoint cannot be nil");
        const eo = obj(e);
        if (eo) workloadEntryProblems(p, eo, ep, portNames, false);
      });
      break;
    case "DNS":
    case "DNS_ROUND_ROBIN":
      if (endpoints.length === 0) {
        for (const [i, h] of hosts) {
          const err = validateFQDN(h);
          if (err) {
            p.error(["spec", "hosts", i], `hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode ${resolution}, ${err}`);
            break;
          }
        }
      }
      endpoints.forEach((e, i) => {
        const ep: Path = ["spec", "endpoints", i];
        if (e === null) return p.error(ep, "endpoint cannot be nil");
        const eo = obj(e);
        if (!eo) return;
        // DNS endpoints are resolved by name: a Unix socket or a missing address (network only) is
        // neither an IP nor a FQDN.
        const addr = s(eo.address);
        if (!isIPAddress(addr) && validateFQDN(addr)) {
          p.error(eo.address === undefined ? ep : [...ep, "address"], `endpoint address "${addr}" is not a valid FQDN or an IP address`);
        }
        labelProblems(p, eo.labels, [...ep, "labels"]);
        for (const [name, port] of entries(eo.ports)) {
          if (!portNames.has(name)) p.error([...ep, "ports", name], `endpoint port ${String(port)} is not defined by the service entry`);
        }
      });
      if (present(spec.addresses) && hosts.length > 1 && ports.some((x) => protocolIsTCP(s(obj(x)?.protocol)))) {
        p.warn(["spec", "hosts"], "service entry can not have more than one host specified simultaneously with address and tcp port");
      }
      break;
    case "DYNAMIC_DNS":
      for (const [i, h] of hosts) {
        if (!h.startsWith("*")) p.error(["spec", "hosts", i], `host must be wildcarded for resolution mode ${resolution}`);
      }
      if (present(spec.addresses)) {
        p.error(["spec", "addresses"], `addresses cannot be set for resolution type ${resolution}. HTTP route domains will only be generatedfrom the hosts field values`);
      }
      if (present(spec.endpoints)) {
        p.error(["spec", "endpoints"], `endpoints cannot be set for resolution type ${resolution}. Destination IP address determined from hostsfield values`);
      }
      ports.forEach((x, i) => {
        const proto = s(obj(x)?.protocol).toUpperCase();
        if (!["HTTP", "TLS", "GRPC", "HTTP2"].includes(proto)) {
          p.error(["spec", "ports", i, "protocol"], `only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type ${resolution}`);
        }
      });
      // A waypoint cannot serve a dynamic forward proxy cluster for in-mesh hosts.
      if (s(spec.location) === "MESH_INTERNAL" && usesWaypoint(labels)) {
        p.error(["spec", "location"], `location MESH_INTERNAL with resolution type ${resolution} is not supported when using waypoints`);
      }
      break;
    default:
      break; // enum: structural
  }

  if (resolution !== "NONE" && hosts.length > 1) {
    const idx = ports.findIndex((x) => {
      const proto = s(obj(x)?.protocol);
      return !protocolIsHTTP(proto) && !protocolIsTLS(proto);
    });
    if (idx >= 0) p.error(["spec", "ports", idx], "multiple hosts provided with non-HTTP, non-TLS ports");
  }
  exportToProblems(p, spec.exportTo, ["spec", "exportTo"], namespace, true, false);
}

/** The object's own istio.io/use-waypoint label names a waypoint ("none" opts out). */
function usesWaypoint(labels: Obj): boolean {
  const v = s(labels["istio.io/use-waypoint"]);
  return v !== "" && v.toLowerCase() !== "none";
}

/** A WorkloadEntry spec, or a ServiceEntry STATIC endpoint. */
function workloadEntryProblems(p: Problems, we: Obj, path: Path, servicePorts: Set<string> | undefined, allowFQDN: boolean): void {
  const addr = s(we.address);
  if (addr === "" && present(we.network)) p.warn(path, `address is unset with network "${s(we.network)}"`);
  if (addr !== "" && !addr.startsWith("unix://") && !isIPAddress(addr)) {
    if (!allowFQDN) p.error([...path, "address"], `endpoint address "${addr}" is not a valid IP address`);
    else if (validateFQDN(addr)) p.error([...path, "address"], `endpoint address "${addr}" is not a valid FQDN or an IP address`);
  }
  for (const [name, port] of entries(we.ports)) {
    if (servicePorts && !servicePorts.has(name)) p.error([...path, "ports", name], `endpoint port ${String(port)} is not defined by the service entry`);
  }
  labelProblems(p, we.labels, [...path, "labels"]);
  if (addr.startsWith("unix://") && servicePorts && servicePorts.size !== 1) {
    p.error(path, "exactly 1 service port required for unix endpoints");
  }
}

export function workloadEntrySpecProblems(p: Problems, spec: Obj): void {
  workloadEntryProblems(p, spec, ["spec"], undefined, true);
}

export function workloadGroupProblems(p: Problems, spec: Obj): void {
  const md = obj(spec.metadata);
  if (md) labelProblems(p, md.labels, ["spec", "metadata", "labels"]);
  const probe = obj(spec.probe);
  if (!probe) return;
  const pp: Path = ["spec", "probe"];
  for (const key of ["periodSeconds", "initialDelaySeconds", "timeoutSeconds", "successThreshold", "failureThreshold"]) {
    const v = num(probe[key]);
    if (v !== undefined && v < 0) p.error([...pp, key], `${key} must be non-negative`);
  }
  const http = obj(probe.httpGet);
  if (http) {
    arr(http.httpHeaders).forEach((h, i) => {
      if (h === null) p.error([...pp, "httpGet", "httpHeaders", i], "invalid nil header");
    });
  }
  const exec = obj(probe.exec);
  if (exec && !present(exec.command)) p.error([...pp, "exec", "command"], "exec.command is required");
  if (probe.httpGet == null && probe.tcpSocket == null && probe.exec == null && probe.grpc == null) {
    p.error(pp, "unknown health check method <nil>");
  }
}

// ---------------------------------------------------------------------------------------------

export function sidecarProblems(p: Problems, spec: Obj, namespace: string): void {
  workloadSelectorLabelProblems(p, spec.workloadSelector, "sidecar");
  if (!present(spec.egress) && !present(spec.ingress) && spec.outboundTrafficPolicy == null && spec.inboundConnectionPool == null) {
    p.error(["spec"], "sidecar: empty configuration provided");
    return;
  }
  const ingressPorts = new Set<number>();
  arr(spec.ingress).forEach((ing, i) => {
    const ip: Path = ["spec", "ingress", i];
    if (ing === null) return p.error(ip, "sidecar: ingress may not be null");
    const io = obj(ing);
    if (!io) return;
    const port = obj(io.port);
    if (!port) {
      if (io.port == null) p.error(ip, "sidecar: port is required for ingress listeners");
      return;
    }
    if ((num(port.targetPort) ?? 0) > 0) p.error([...ip, "port", "targetPort"], "targetPort has no impact on Sidecars");
    sidecarPortProblems(p, port, [...ip, "port"]);
    const n = num(port.number) ?? 0;
    if (!validPort(n)) p.error([...ip, "port", "number"], portMessage(n));
    bindProblems(p, io, ip);
    if (ingressPorts.has(n)) p.error([...ip, "port", "number"], "sidecar: ports on IP bound listeners must be unique");
    ingressPorts.add(n);
    const de = str(io.defaultEndpoint);
    if (de) defaultEndpointProblems(p, de, [...ip, "defaultEndpoint"]);
    const tls = obj(io.tls);
    if (tls) {
      const tp = [...ip, "tls"];
      if (present(tls.subjectAltNames)) p.error([...tp, "subjectAltNames"], "sidecar: subjectAltNames is not supported in ingress tls");
      if (tls.httpsRedirect === true) p.error([...tp, "httpsRedirect"], "sidecar: httpsRedirect is not supported");
      if (present(tls.credentialName)) p.error([...tp, "credentialName"], "sidecar: credentialName is not currently supported");
      if (present(tls.credentialNames)) p.error([...tp, "credentialNames"], "sidecar: credentialNames is not currently supported");
      if (present(tls.tlsCertificates)) p.error([...tp, "tlsCertificates"], "sidecar: tls_certificates is not currently supported");
      if (tls.mode === "ISTIO_MUTUAL" || tls.mode === "AUTO_PASSTHROUGH") {
        p.error([...tp, "mode"], `configuration is invalid: cannot set mode to ${tls.mode} in sidecar ingress tls`);
      }
      if (!protocolIsTLS(s(port.protocol))) p.error(tp, "server cannot have TLS settings for non HTTPS/TLS ports");
      serverTLSProblems(p, tls, tp);
    }
    connectionPoolProblems(p, io.connectionPool, [...ip, "connectionPool"]);
    const cp = obj(io.connectionPool);
    if (cp && cp.http != null && !protocolIsHTTP(s(port.protocol))) {
      p.warn([...ip, "connectionPool", "http"], `sidecar: HTTP connection pool settings are configured for port ${n} ("${s(port.name)}") but its protocol is not HTTP (${s(port.protocol)}); only TCP settings will apply`);
    }
  });
  connectionPoolProblems(p, spec.inboundConnectionPool, ["spec", "inboundConnectionPool"]);

  const egressPorts = new Set<number>();
  const udsBinds = new Set<string>();
  const egress = arr(spec.egress);
  let catchAll = false;
  egress.forEach((eg, i) => {
    const ep: Path = ["spec", "egress", i];
    if (eg === null) return p.error(ep, "egress listener may not be null");
    const eo = obj(eg);
    if (!eo) return;
    const port = obj(eo.port);
    if (eo.port == null) {
      if (!catchAll) {
        if (i === egress.length - 1) catchAll = true;
        else p.error(ep, "sidecar: the egress listener with empty port should be the last listener in the list");
      } else {
        p.error(ep, "sidecar: egress can have only one listener with empty port");
        return;
      }
    } else if (port) {
      if ((num(port.targetPort) ?? 0) > 0) p.error([...ep, "port", "targetPort"], "targetPort has no impact on Sidecars");
      sidecarPortProblems(p, port, [...ep, "port"]);
      const n = num(port.number) ?? 0;
      const bind = s(eo.bind);
      if (n === 0) {
        if (!bind.startsWith("unix://")) p.error([...ep, "bind"], "sidecar: ports with 0 value must have a unix domain socket bind address");
        else {
          const err = unixAddressProblem(bind.slice(7));
          if (err) p.error([...ep, "bind"], err);
        }
        const cm = s(eo.captureMode);
        if (cm !== "" && cm !== "DEFAULT" && cm !== "NONE") p.error([...ep, "captureMode"], "sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners");
        if (udsBinds.has(bind)) p.error([...ep, "bind"], "sidecar: unix domain socket values for listeners must be unique");
        udsBinds.add(bind);
      } else {
        if (!validPort(n)) p.error([...ep, "port", "number"], portMessage(n));
        bindProblems(p, eo, ep);
        if (egressPorts.has(n)) p.error([...ep, "port", "number"], "sidecar: ports on IP bound listeners must be unique");
        egressPorts.add(n);
      }
    }
    const hosts = strings(eo.hosts);
    if (!present(eo.hosts)) {
      if (eo.hosts !== undefined) p.error([...ep, "hosts"], "sidecar: egress listener must contain at least one host");
    } else {
      const byNs = new Map<string, Set<string>>();
      for (const [hi, h] of hosts) {
        const slash = h.indexOf("/");
        if (slash >= 0 && !h.startsWith("~")) {
          let ns = h.slice(0, slash);
          const svc = h.slice(slash + 1);
          if (ns === ".") ns = namespace || ".";
          const set = byNs.get(ns) ?? new Set<string>();
          byNs.set(ns, set);
          if (svc !== "*" ? set.has(svc) || set.has("*") : set.size !== 0) {
            p.warn([...ep, "hosts", hi], `duplicated egress host: ${h}`);
          }
          set.add(svc);
        }
        for (const err of validateNamespaceSlashHostname(h, false)) p.error([...ep, "hosts", hi], err);
      }
      if (byNs.get("*")?.has("*") && byNs.size !== 1) p.warn([...ep, "hosts"], "`*/*` host select all resources, no other hosts can be added");
    }
  });

  const otp = obj(spec.outboundTrafficPolicy);
  if (otp) {
    const op: Path = ["spec", "outboundTrafficPolicy"];
    const mode = s(otp.mode) || "REGISTRY_ONLY";
    if (mode === "ALLOW_ANY_DYNAMIC_DNS") {
      p.error([...op, "mode"], "sidecar: ALLOW_ANY_DYNAMIC_DNS mode is only supported in MeshConfig, not in Sidecar resource");
    } else if (otp.egressProxy != null) {
      const proxy = obj(otp.egressProxy);
      if (mode !== "ALLOW_ANY") p.error([...op, "egressProxy"], "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode");
      else if (proxy) {
        const err = validateFQDN(s(proxy.host));
        if (err) p.error([...op, "egressProxy", "host"], err);
        if (proxy.port == null) p.error([...op, "egressProxy"], "sidecar: egress_proxy port must be non-nil");
        else destinationProblems(p, { ...proxy, host: undefined }, [...op, "egressProxy"]);
      }
    }
  }
}

function sidecarPortProblems(p: Problems, port: Obj, path: Path): void {
  const name = str(port.name);
  if (name && !isDNS1123Label(name)) p.error([...path, "name"], `invalid port name: ${name}`);
  const proto = s(port.protocol);
  if (proto !== "" && !protocolKnown(proto)) p.error([...path, "protocol"], `unsupported protocol: ${proto}`);
}

function bindProblems(p: Problems, listener: Obj, path: Path): void {
  const bind = s(listener.bind);
  if (bind !== "" && !isIPAddress(bind)) p.error([...path, "bind"], `${bind} is not a valid IP`);
}

function defaultEndpointProblems(p: Problems, de: string, path: Path): void {
  if (de.startsWith("unix://")) {
    const err = unixAddressProblem(de.slice(7));
    if (err) p.error(path, err);
    return;
  }
  let host: string;
  let port: string;
  const m6 = /^\[([^\]]*)\]:([^:]*)$/.exec(de);
  if (m6) {
    host = m6[1];
    port = m6[2];
  } else {
    const idx = de.lastIndexOf(":");
    if (idx < 0 || de.slice(0, idx).includes(":")) {
      p.error(path, `address ${de}: ${idx < 0 ? "missing port in address" : "too many colons in address"}`);
      return;
    }
    host = de.slice(0, idx);
    port = de.slice(idx + 1);
  }
  if (host !== "" && !["127.0.0.1", "0.0.0.0", "::1", "::"].includes(host)) {
    p.error(path, "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset");
  }
  if (!/^[+-]?\d+$/.test(port)) p.error(path, `sidecar: defaultEndpoint port (${port}) is not a number`);
  else if (!validPort(Number(port))) p.error(path, portMessage(Number(port)));
}

export { clientTLSProblems };
