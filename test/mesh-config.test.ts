import { describe, expect, it } from "vitest";
import { DEFAULT_MESH, parseMeshConfig } from "../src/model/mesh.js";

describe("MeshConfig, as istioctl analyze --meshConfigFile reads it", () => {
  const valid: { name: string; text: string; expected: Partial<typeof DEFAULT_MESH> }[] = [
    { name: "empty file: Istio's defaults", text: "", expected: { rootNamespace: "istio-system", outboundTrafficPolicy: "ALLOW_ANY", enableAutoMtls: true, trustDomain: "cluster.local" } },
    {
      name: "MeshConfig YAML",
      text: "rootNamespace: mesh-root\ntrustDomain: example.org\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\nenableAutoMtls: false\n",
      expected: { rootNamespace: "mesh-root", trustDomain: "example.org", outboundTrafficPolicy: "REGISTRY_ONLY", enableAutoMtls: false },
    },
    {
      name: "the istio ConfigMap with data.mesh",
      text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |-\n    outboundTrafficPolicy:\n      mode: REGISTRY_ONLY\n    rootNamespace: custom-root\n",
      expected: { rootNamespace: "custom-root", outboundTrafficPolicy: "REGISTRY_ONLY" },
    },
  ];
  it.each(valid)("$name", ({ text, expected }) => {
    expect(parseMeshConfig(text)).toMatchObject(expected);
  });
  const invalid: { name: string; text: string; message: RegExp }[] = [
    { name: "not YAML", text: "a: [", message: /not valid YAML/ },
    { name: "a ConfigMap without data.mesh", text: "kind: ConfigMap\ndata: {}\n", message: /no data.mesh/ },
    { name: "an unknown outbound mode", text: "outboundTrafficPolicy: {mode: SOMETIMES}\n", message: /ALLOW_ANY or REGISTRY_ONLY/ },
    { name: "a list", text: "- a\n", message: /MeshConfig mapping/ },
  ];
  it.each(invalid)("rejects $name", ({ text, message }) => {
    expect(() => parseMeshConfig(text)).toThrow(message);
  });
});

describe("configuration files with nothing in them", () => {
  it("a comment-only mesh config gives Istio's defaults", () => {
    expect(parseMeshConfig("# nothing here\n")).toMatchObject({ rootNamespace: "istio-system" });
  });
});
