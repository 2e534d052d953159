// `node --import tsx bench/hammer.ts WEB_PORT DURATION_MS SERVICE_PID`: the control plane's load in a
// process of its own (started under `nice`, as if the browsers and scrapers were on other machines):
// two browsers reloading / back to back, /metrics and /api/v1/targets?history=1 back to back, and
// 75 SIGHUPs a second to the service. Prints { requests, failures, hups } as JSON.
const [webPort, durationMs, pid] = process.argv.slice(2).map(Number) as [number, number, number];
const until = performance.now() + durationMs;
const stats = { requests: 0, failures: 0, hups: 0 };
const loop = async (path: string) => {
  while (performance.now() < until) {
    try {
      const response = await fetch(`http://127.0.0.1:${webPort}${path}`, { signal: AbortSignal.timeout(30_000) });
      await response.arrayBuffer();
      stats.requests++;
      if (!response.ok) stats.failures++;
    } catch {
      stats.failures++;
    }
  }
};
const hups = async () => {
  while (performance.now() < until) {
    process.kill(pid, 'SIGHUP');
    stats.hups++;
    await new Promise((resolve) => setTimeout(resolve, 1000 / 75));
  }
};
await Promise.all([loop('/'), loop('/'), loop('/metrics'), loop('/api/v1/targets?history=1'), hups()]);
process.stdout.write(`${JSON.stringify(stats)}\n`);
