import { createRequire } from "node:module";
import type * as JsYaml from "js-yaml";

/**
 * js-yaml, loaded through its CommonJS build: on Node 20 that build parses manifests about 2.5 times
 * as fast as its ESM build does (same version, same process; see the baseline in scripts/bench.mjs).
 */
const jsYaml = createRequire(import.meta.url)("js-yaml") as typeof JsYaml;

export const loadAll = jsYaml.loadAll;
export const load = jsYaml.load;
export const YAMLException = jsYaml.YAMLException;
/** The event parser (events carry source offsets) and what reads its events: exact positions (`locate.ts`). */
export const parseEvents = jsYaml.parseEvents;
export const getScalarValue = jsYaml.getScalarValue;
export const EVENT_ID = jsYaml.EVENT_ID;
export const SCALAR_STYLE = jsYaml.SCALAR_STYLE;
export type { Event, ScalarEvent } from "js-yaml";
