#!/usr/bin/env node
// npm leaves optional platform packages of other platforms out of package-lock.json when the
// registry it uses does not serve them (npm/cli#4828), and `npm ci` then refuses the lock file as
// out of sync. This adds the missing entries as optional, platform-restricted packages so `npm ci`
// accepts the lock file everywhere and installs only the current platform's binding.
// Run after `npm install` changes the lock file: `node scripts/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORM = /-(android|darwin|freebsd|linux|openbsd|openharmony|win32|sunos|netbsd|aix)-([a-z0-9]+)/;
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const packages = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = path ? `${path}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[nested] || packages[`node_modules/${name}`]) continue;
    const platform = PLATFORM.exec(name);
    packages[`node_modules/${name}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...(platform ? { os: [platform[1]], cpu: [platform[2]] } : {}),
    };
    added++;
  }
}
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entr${added === 1 ? "y" : "ies"}`);
