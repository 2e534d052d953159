import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

/**
 * A loopback listener that drops SYNs on demand: its accept queue (backlog 0, which Linux takes as
 * room for one) is filled by an idle connection, so the kernel ignores further SYNs until `acceptOne()` makes room.
 */
export async function synDroppingListener(): Promise<{ port: number; acceptOne: () => Promise<void>; close: () => void }> {
  const child = spawn('python3', ['test/fixtures/backlog_server.py'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  const port = Number(first.value);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`backlog_server.py printed "${first.value}"`);
  const fillers: Socket[] = [];
  for (let i = 0; i < 1; i++) {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    await new Promise((resolve) => s.once('connect', resolve));
    fillers.push(s);
  }
  return {
    port,
    acceptOne: async () => {
      child.stdin.write('accept\n');
      await lines.next();
    },
    close: () => {
      for (const s of fillers) s.destroy();
      child.kill();
    },
  };
}
