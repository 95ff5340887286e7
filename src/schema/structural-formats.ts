/**
 * String formats the Kubernetes API server checks in a CRD's OpenAPI schema. Formats it does not
 * know (int32, int64, double, float, ...) are not validated, as in the API server.
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID3 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID4 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const UUID5 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const HOSTNAME = /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const MAC = /^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$|^([0-9A-Fa-f]{4}\.){2}([0-9A-Fa-f]{4})$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const DURATION = /^[-+]?(\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?)\s*)+$/;
const HEXCOLOR = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const BSON = /^[0-9a-fA-F]{24}$/;

function isIPv4(value: string): boolean {
  const parts = value.split(".");
  if (parts.length !== 4) return false;
  return parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(value: string): boolean {
  if (!value.includes(":")) return false;
  let v = value;
  const lastColon = v.lastIndexOf(":");
  const tail = v.slice(lastColon + 1);
  let groupsNeeded = 8;
  if (tail.includes(".")) {
    if (!isIPv4(tail)) return false;
    v = v.slice(0, lastColon + 1) + "0:0";
  }
  const double = v.split("::");
  if (double.length > 2) return false;
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const split = (s: string) => (s === "" ? [] : s.split(":"));
  if (double.length === 2) {
    const groups = [...split(double[0]), ...split(double[1])];
    return groups.length < groupsNeeded && groups.every((g) => hex.test(g));
  }
  const groups = v.split(":");
  return groups.length === groupsNeeded && groups.every((g) => hex.test(g));
}

function isCIDR(value: string): boolean {
  const slash = value.indexOf("/");
  if (slash < 0) return false;
  const ip = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  if (isIPv4(ip)) return Number(bits) <= 32;
  if (isIPv6(ip)) return Number(bits) <= 128;
  return false;
}

function isURI(value: string): boolean {
  try {
    new URL(value, "http://base.invalid/");
    return true;
  } catch {
    return false;
  }
}

/** Validators of the formats the API server knows; the key is the OpenAPI `format`. */
export const KUBERNETES_FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  byte: (v) => BASE64.test(v),
  date: (v) => DATE.test(v),
  "date-time": (v) => DATE_TIME.test(v),
  datetime: (v) => DATE_TIME.test(v),
  uuid: (v) => UUID.test(v),
  uuid3: (v) => UUID3.test(v),
  uuid4: (v) => UUID4.test(v),
  uuid5: (v) => UUID5.test(v),
  ipv4: isIPv4,
  ipv6: isIPv6,
  cidr: isCIDR,
  hostname: (v) => HOSTNAME.test(v),
  mac: (v) => MAC.test(v),
  email: (v) => EMAIL.test(v),
  uri: isURI,
  duration: (v) => DURATION.test(v),
  hexcolor: (v) => HEXCOLOR.test(v),
  bsonobjectid: (v) => BSON.test(v),
  password: () => true,
};
