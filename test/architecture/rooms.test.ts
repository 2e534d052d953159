import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const biomeConfig = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8')) as {
  overrides: {
    includes: string[];
    linter: { rules: { style: { noRestrictedImports: { options: { patterns: { group: string[] }[] } } } } };
  }[];
};

/** The rooms biome.json enforces, each with what it may import ("config" → ["domain", "util"]). */
function enforcedRooms(): Map<string, string[]> {
  const rooms = new Map<string, string[]>();
  for (const o of biomeConfig.overrides) {
    const room = /^src\/([a-z]+)\/\*\*$/.exec(o.includes[0] ?? '')?.[1];
    if (!room) continue;
    const group = o.linter.rules.style.noRestrictedImports.options.patterns[0]?.group ?? [];
    rooms.set(
      room,
      group
        .filter((p) => p.startsWith('!../'))
        .map((p) =>
          p
            .slice(4)
            .replace(/\/\*\*$/, '')
            .replace(/\.js$/, '.ts'),
        )
        .sort(),
    );
  }
  return rooms;
}

test('every folder of src/ is a room whose imports the linter checks', () => {
  const folders = readdirSync(join(root, 'src'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  assert.deepEqual([...enforcedRooms().keys()].sort(), folders);
});

test('docs/architecture.md shows the rooms and what each may import, as the linter enforces them', () => {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const documented = new Map<string, string[]>();
  for (const m of doc.matchAll(/^\| `([a-z]+)\/` \|([^|]*)\|/gm)) {
    const allowed = [...(m[2] ?? '').matchAll(/`([a-z.]+?)\/?`/g)].map((a) => a[1] as string).sort();
    documented.set(m[1] as string, allowed);
  }
  assert.deepEqual(Object.fromEntries(documented), Object.fromEntries(enforcedRooms()));
});

/** Lints `files` (path → text) in a scratch copy of the project's linter setup; returns exit status and output. */
function lint(files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-rooms-'));
  try {
    writeFileSync(join(dir, 'biome.json'), JSON.stringify({ ...biomeConfig, vcs: { enabled: false } }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const run = spawnSync(join(root, 'node_modules/.bin/biome'), ['lint', '--max-diagnostics=50', ...Object.keys(files)], {
      cwd: dir,
      encoding: 'utf8',
    });
    return { status: run.status, output: run.stdout + run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the linter refuses an upward import, a way around it, and convict outside config/', () => {
  const runtime = { 'src/runtime/reloader.ts': 'export const reload = 1;\n' };
  const upward = lint({ ...runtime, 'src/config/load.ts': "import { reload } from '../runtime/reloader.js';\nexport const x = reload;\n" });
  assert.equal(upward.status, 1, upward.output);
  assert.match(upward.output, /config\/ may import only util\/, domain\//);
  const around = lint({
    ...runtime,
    'src/config/load.ts': "import { reload } from '../../src/runtime/reloader.js';\nexport const x = reload;\n",
  });
  assert.equal(around.status, 1, around.output);
  const convict = lint({ 'src/probe/x.ts': "import convict from 'convict';\nexport const x = convict;\n" });
  assert.equal(convict.status, 1, convict.output);
  assert.match(convict.output, /only src\/config\/ loads configuration/);
});

test('the linter accepts imports within a room and downwards', () => {
  const ok = lint({
    'src/util/result.ts': 'export const ok = 1;\n',
    'src/config/suggest.ts': 'export const suggest = 2;\n',
    'src/config/load.ts':
      "import { ok } from '../util/result.js';\nimport { suggest } from './suggest.js';\nexport const x = ok + suggest;\n",
  });
  assert.equal(ok.status, 0, ok.output);
});
