import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';

/**
 * The dependency rules of the layout (README "Layout"): protocol code depends on interfaces,
 * never on a concrete network or chain; the chain simulators never depend on node protocol
 * code; tBTC and the beacon never import each other. A forbidden import fails this test.
 */
interface Rule {
  /** Files under this folder of the repository… */
  readonly from: string;
  /** …may not import modules under these folders, or these packages (prefix match). */
  readonly forbidden: readonly string[];
}

const PROTOCOL = ['src/tbtc', 'src/beacon', 'src/dkg', 'src/crypto'];
const CONCRETE = [
  'libp2p',
  '@libp2p/',
  '@chainsafe/',
  'src/net/libp2p',
  'src/net/local',
  'src/chain/local',
  'src/chain/rpc',
];

export const RULES: readonly Rule[] = [
  ...PROTOCOL.map((from) => ({ from, forbidden: CONCRETE })),
  {
    from: 'src/chain/local',
    forbidden: ['src/beacon', 'src/tbtc', 'src/dkg', 'src/net', 'src/cmd', 'src/devnet'],
  },
  { from: 'src/chain', forbidden: ['src/beacon', 'src/tbtc', 'src/cmd', 'src/devnet'] },
  { from: 'src/tbtc', forbidden: ['src/beacon', 'src/cmd', 'src/devnet'] },
  { from: 'src/beacon', forbidden: ['src/tbtc', 'src/cmd', 'src/devnet'] },
  { from: 'src/dkg', forbidden: ['src/tbtc', 'src/beacon', 'src/cmd', 'src/devnet'] },
  {
    from: 'src/crypto',
    forbidden: ['src/net', 'src/chain', 'src/tbtc', 'src/beacon', 'src/dkg', 'src/storage', 'src/clientinfo'],
  },
  {
    from: 'src/config',
    forbidden: ['src/net', 'src/chain', 'src/tbtc', 'src/beacon', 'src/dkg', 'src/storage', 'src/crypto'],
  },
  {
    from: 'src/net',
    forbidden: ['src/chain', 'src/tbtc', 'src/beacon', 'src/dkg', 'src/storage', 'src/cmd', 'src/devnet'],
  },
  { from: 'src/storage', forbidden: ['src/net', 'src/chain', 'src/tbtc', 'src/beacon', 'src/cmd', 'src/devnet'] },
  {
    from: 'src/clientinfo',
    forbidden: ['src/chain', 'src/storage', 'src/cmd', 'src/devnet', 'libp2p', '@libp2p/'],
  },
];

/** Every `.ts` file under `dir`, as paths relative to the repository root. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** What a file imports: repository paths for relative imports (no extension), package names otherwise. */
export function importsOf(file: string, text: string): string[] {
  return [...text.matchAll(IMPORT)].map((match) => {
    const specifier = (match[1] ?? match[2] ?? match[3])!;
    if (!specifier.startsWith('.')) return specifier;
    return normalize(join(dirname(file), specifier)).replace(/\.js$/, '');
  });
}

const under = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);

export function violations(files: readonly { path: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const { path, text } of files) {
    for (const imported of importsOf(path, text)) {
      for (const rule of RULES) {
        if (!under(path, rule.from)) continue;
        const bad = rule.forbidden.find((f) =>
          f.startsWith('src/') ? under(imported, f) : imported.startsWith(f),
        );
        if (bad) found.push(`${path} imports ${imported} (${rule.from} may not import ${bad})`);
      }
    }
  }
  return found;
}

const root = join(dirname(new URL(import.meta.url).pathname), '../../..');

test('imports follow the layout’s dependency rules', () => {
  const files = sources(join(root, 'src')).map((abs) => ({
    path: relative(root, abs),
    text: readFileSync(abs, 'utf8'),
  }));
  assert.ok(files.length > 50, `read ${files.length} source files`);
  assert.deepEqual(violations(files), []);
});

test('a forbidden import is reported with the rule it breaks', () => {
  const found = violations([
    { path: 'src/chain/local/x.ts', text: "import { Beacon } from '../../beacon/beacon.js';" },
    { path: 'src/tbtc/y.ts', text: "import type { Libp2p } from 'libp2p';\nimport { z } from 'zod';" },
    { path: 'src/crypto/z.ts', text: "const m = await import('../net/local/local-network.js');" },
    { path: 'src/dkg/w.ts', text: "import '../tbtc/wallet-dkg.js';" },
  ]);
  assert.deepEqual(found, [
    'src/chain/local/x.ts imports src/beacon/beacon (src/chain/local may not import src/beacon)',
    'src/chain/local/x.ts imports src/beacon/beacon (src/chain may not import src/beacon)',
    'src/tbtc/y.ts imports libp2p (src/tbtc may not import libp2p)',
    'src/crypto/z.ts imports src/net/local/local-network (src/crypto may not import src/net/local)',
    'src/crypto/z.ts imports src/net/local/local-network (src/crypto may not import src/net)',
    'src/dkg/w.ts imports src/tbtc/wallet-dkg (src/dkg may not import src/tbtc)',
  ]);
});
