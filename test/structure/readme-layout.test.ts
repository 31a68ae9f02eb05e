import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

const root = join(dirname(new URL(import.meta.url).pathname), '../../..');

test('the README Layout table names every folder of src/, and only folders that exist', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const layout = readme.slice(
    readme.indexOf('\n## Layout'),
    readme.indexOf('\n## ', readme.indexOf('\n## Layout') + 1),
  );
  const named = new Set([...layout.matchAll(/`((?:src|net|chain)\/[a-z0-9-]+)`/g)].map((m) => m[1]!));
  const folders = readdirSync(join(root, 'src'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `src/${entry.name}`);
  for (const folder of folders) assert.ok(named.has(folder), `README Layout does not name ${folder}`);
  for (const name of named) {
    const path = name.startsWith('src/') ? name : `src/${name}`;
    assert.ok(existsSync(join(root, path)), `README Layout names ${name}, which does not exist`);
  }
});
