import { defaultProbeContext, probers } from '../../src/probe/index.js';

// `node --import tsx test/abuse/pinger.ts PORT RATE DURATION_MS`: the legitimate client in a process of
// its own, so a busy attacker process does not delay its timers and distort its RTTs. Prints one
// JSON line per ping as it ends: { at (ms since the epoch when sent), ok, rttMs, reason }.
const [port, rate, durationMs] = process.argv.slice(2).map(Number) as [number, number, number];
const count = Math.floor((durationMs * rate) / 1000);
const pending: Promise<void>[] = [];
for (let seq = 1; seq <= count; seq++) {
  const at = Date.now();
  pending.push(
    probers.echo({ host: '127.0.0.1', port, seq, timeoutMs: 1000 }, defaultProbeContext).then((r) => {
      const line = r.ok ? { at, ok: true, rttMs: r.value.rttSeconds * 1000 } : { at, ok: false, reason: r.error.reason };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
}
await Promise.all(pending);
