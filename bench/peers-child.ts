import { Agent, get } from 'node:http';
import { createServer } from 'node:net';
import { bareConnect } from './bare.js';
import { cpuMicros, serveCommands } from './child.js';
import { everyInterval, peerAddress } from './peers-targets.js';

/**
 * Child processes of the peers benchmark, each with its own CPU so it can be read apart:
 *   targets PORT ISOLATED              — the TCP target server: accepts every connection, closes when the prober does
 *   bare PORT K ISOLATED               — the floor: K targets, one bare connect() each per second
 *   driver BB_PORT PORT K ISOLATED     — drives blackbox_exporter as Prometheus does: a GET /probe per target per second
 */
const [kind = '', ...args] = process.argv.slice(2);
const isolated = args[args.length - 1] === '1';
const counts = { sent: 0, ok: 0, failed: 0 };
const stats = () => ({ ...counts, cpuUs: cpuMicros(), rssBytes: process.memoryUsage().rss });

if (kind === 'targets') {
  const port = Number(args[0]);
  // Passive, as a real service is: the prober closes first (bare and tcpping with RST, blackbox with
  // FIN), so TIME_WAIT stays on the prober's side, where connect() knows to reuse it. A server that
  // closed first would hold TIME_WAITs that silently drop a later SYN on the same four-tuple.
  const server = createServer({ noDelay: true }, (socket) => {
    counts.ok++;
    socket.on('error', () => {});
    socket.resume();
  });
  // 0.0.0.0 only inside the benchmark's own namespace, where it is that namespace's loopback alone.
  await new Promise<void>((resolve) => server.listen({ host: isolated ? '0.0.0.0' : '127.0.0.1', port, backlog: 4096 }, resolve));
  serveCommands({}, { stats }, async () => void server.close());
} else if (kind === 'bare') {
  const [port, targets] = args.map(Number) as [number, number];
  const stop = everyInterval(targets, 1000, (i) => {
    counts.sent++;
    bareConnect(port, 1000, peerAddress(i, isolated)).then(
      () => counts.ok++,
      () => counts.failed++,
    );
  });
  serveCommands({}, { stats }, async () => stop());
} else if (kind === 'driver') {
  const [bbPort, port, targets] = args.map(Number) as [number, number, number];
  // As Prometheus scrapes: one scrape loop per target, never two of its scrapes at once (a scrape
  // still running when the next is due delays it: counted in `skipped`), a timeout of one interval,
  // announced to the exporter, and connections kept alive (at most one per target).
  const agent = new Agent({ keepAlive: true, maxSockets: targets, maxFreeSockets: targets });
  const headers = { 'X-Prometheus-Scrape-Timeout-Seconds': '1' };
  const busy = new Uint8Array(targets);
  const failures = { skipped: 0, timeout: 0, probeFailed: 0, httpError: 0 };
  const probe = (i: number) => {
    if (busy[i]) {
      failures.skipped++;
      return;
    }
    busy[i] = 1;
    counts.sent++;
    const done = (ok: boolean, why: keyof typeof failures = 'probeFailed') => {
      if (!busy[i]) return;
      busy[i] = 0;
      if (ok) counts.ok++;
      else counts.failed++;
      if (!ok) failures[why]++;
    };
    const path = `/probe?module=tcp_connect&target=${peerAddress(i, isolated)}:${port}`;
    const request = get({ host: '127.0.0.1', port: bbPort, path, agent, headers, signal: AbortSignal.timeout(1000) }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => done(/^probe_success 1$/m.test(body)));
    });
    request.on('error', (error) => done(false, error.name === 'TimeoutError' || error.name === 'AbortError' ? 'timeout' : 'httpError'));
  };
  const stop = everyInterval(targets, 1000, probe);
  serveCommands({}, { stats: () => ({ ...stats(), failures }) }, async () => {
    stop();
    agent.destroy();
  });
} else {
  throw new Error(`peers-child: unknown kind ${kind}`);
}
