import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Another revision's src/ (`main`, a tag, a commit) under this tree's bench children, compiled
 * apart in a temporary directory: the before of a before/after, measured in the same run as the
 * after. Returns the tree's root, for SpawnOptions.tree. Built once per commit.
 */
export function buildReference(rev: string): string {
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--verify', `${rev}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `tcpping-bench-ref-${commit.slice(0, 12)}`);
  const done = join(dir, 'bench/.out/bench/child-load.js');
  if (existsSync(done)) return `${dir}/`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'bench'), { recursive: true });
  const archive = execFileSync(
    'git',
    ['-C', root, 'archive', '--format=tar', commit, 'src', 'test/helpers', 'test/abuse', 'package.json', 'tsconfig.json'],
    {
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  for (const file of readdirSync(join(root, 'bench'))) {
    if (file.endsWith('.ts')) copyFileSync(join(root, 'bench', file), join(dir, 'bench', file));
  }
  copyFileSync(join(root, 'tsconfig.bench.json'), join(dir, 'tsconfig.bench.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.bench.json')], { stdio: 'pipe' });
  } catch (error) {
    // Type errors where today's bench meets an older src/ still emit JavaScript; a missing file is fatal.
    if (!existsSync(done)) throw error;
  }
  copyFileSync(join(dir, 'package.json'), join(dir, 'bench/.out/package.json'));
  return `${dir}/`;
}
