/**
 * The Node.js flags the service is started with, on the command line of each launcher: `npm
 * start`, the image's entrypoint and the systemd unit's ExecStart (Node refuses the heap-sizing
 * ones in NODE_OPTIONS). The benchmarks start the service the same way. A test keeps the three
 * launchers equal to this.
 *
 * The young generation capped at two 8 MiB semi-spaces: under the allocation of 1,000 pings a
 * second V8 grows it to its default maximum (2 × 16 MiB on Node 20 and 22, 2 × 32 MiB on Node
 * 24), and the RSS with it. Capped, the service at 1,000 targets held 115.6 instead of 125.1 MiB
 * on Node 20 and 130 instead of 158 MiB on Node 24 (one run each, side by side), for CPU per ping
 * within the noise of those runs (1.38× vs 1.40× and 1.39× vs 1.42× the bare loop's; collection
 * itself 3–5 µs a ping more). At 4 MiB collections cost more than they saved (1.59×).
 *
 * The old generation sized from a 16 MiB start and grown by 30 % of what a full collection left
 * live: V8 otherwise lets a small heap grow to a few times its live size before it collects it
 * (at 1,000 targets, 30 MiB for 14.5 MiB live). Measured in README, "Memory".
 */
export const serviceNodeFlags = ['--max-semi-space-size=8', '--initial-old-space-size=16', '--heap-growing-percent=30'] as const;
