import { readFileSync } from 'node:fs';

function readJson(relative: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8'));
  } catch {
    return {};
  }
}

// Compiled to dist/src/version.js: the package root is two levels up.
const pkg = readJson('../../package.json');
const buildInfo = readJson('../build-info.json');

export const CLIENT_VERSION = typeof pkg.version === 'string' ? pkg.version : 'unknown';
export const CLIENT_REVISION = typeof buildInfo.revision === 'string' ? buildInfo.revision : 'unknown';
