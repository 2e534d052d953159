import { Agent, get } from 'node:http';
import { createServer } from 'node:net';
import { bareConnect } from './bare.js';
import { cpuMicros, serveCommands } from './child.js';
import { everyInterval, peerAddress } from './peers-targets.js';

/**
 * Child processes of the peers benchmark, each with its own CPU so it can be read apart:
 *   targets PORT ISOLATED              — the TCP target server: accepts every connection and drops it
 *   bare PORT K ISOLATED               — the floor: K targets, one bare connect() each per second
 *   driver BB_PORT PORT K ISOLATED     — drives blackbox_exporter as Prometheus does: a GET /probe per target per second
 */
const [kind = '', ...args] = process.argv.slice(2);
const isolated = args[args.length - 1] === '1';
const counts = { sent: 0, ok: 0, failed: 0 };
const stats = () => ({ ...counts, cpuUs: cpuMicros(), rssBytes: process.memoryUsage().rss });

if (kind === 'targets') {
  const port = Number(args[0]);
  const server = createServer({ noDelay: true }, (socket) => {
    counts.ok++;
    socket.on('error', () => {});
    socket.destroy();
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
  // Prometheus keeps its scrape connections alive and tells the exporter its scrape timeout.
  const agent = new Agent({ keepAlive: true });
  const headers = { 'X-Prometheus-Scrape-Timeout-Seconds': '1' };
  const probe = (i: number) => {
    counts.sent++;
    const path = `/probe?module=tcp_connect&target=${peerAddress(i, isolated)}:${port}`;
    const request = get({ host: '127.0.0.1', port: bbPort, path, agent, headers, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        if (/^probe_success 1$/m.test(body)) counts.ok++;
        else counts.failed++;
      });
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => counts.failed++);
  };
  const stop = everyInterval(targets, 1000, probe);
  serveCommands({}, { stats }, async () => {
    stop();
    agent.destroy();
  });
} else {
  throw new Error(`peers-child: unknown kind ${kind}`);
}
