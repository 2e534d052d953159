import { captureModes } from '../domain/ping.js';
import { DEFAULT_RTT_BUCKETS_SECONDS, rttBuckets } from '../domain/rtt-buckets.js';
import { targetSettings } from '../domain/target.js';
import { anyString, boolean, hostList, integer, list, listenAddress, number, oneOf, optionalHost, stringList } from '../util/checks.js';
import { logFormats } from '../util/log.js';
import { type Setting, type SettingValue, type SettingValues, setting } from '../util/setting.js';
import { seriesDropList } from './series-drop.js';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every configuration key, once: sections of settings, and two top-level lists. The environment
 * variable of a scalar is derived from its path (responder.dropRate → TCPPING_RESPONDER_DROP_RATE).
 */
export const schema = {
  log: {
    level: setting(
      'Log level: fatal, error, warn, info, debug (one line per ping received), trace, silent.',
      'info',
      oneOf(logLevels),
      'live',
    ),
    format: setting(
      'Log format: json (one JSON object a line), logfmt (key=value, as Prometheus writes) or human (for a terminal). Start-up errors come in it too.',
      'json',
      oneOf(logFormats),
    ),
  },
  responder: {
    enabled: setting('Run the embedded TCP ping server.', true, boolean),
    listen: setting(
      'HOST:PORT the ping server listens on ([::1]:11000 for IPv6; port 0: any free port).',
      '127.0.0.1:11000',
      listenAddress,
    ),
    dropRate: setting("Share of pings left unanswered on purpose, 0..1 (the seed's simulated loss).", 0.2, number(0, 1), 'live'),
    delayMs: setting('Added latency before each answer, in milliseconds.', 0, integer(0, 60_000), 'live'),
    jitterMs: setting(
      'Random extra latency, uniform from 0 to this, in milliseconds (answers keep their order).',
      0,
      integer(0, 60_000),
      'live',
    ),
    maxLineBytes: setting('Longest request line accepted; a longer one cuts the client off (line_too_long).', 1024, integer(16, 65_536)),
    idleTimeoutMs: setting('A connection that completes no line for this long is closed (idle_timeout).', 60_000, integer(100, 3_600_000)),
    lineTimeoutMs: setting(
      'A request line must be complete this long after its first byte, however it trickles in; else the client is cut off (line_timeout).',
      10_000,
      integer(100, 600_000),
    ),
    quietGapMs: setting(
      'A piece of a line without a newline is answered as a whole ping once the client has been quiet this long (classic clients send no newline; 0: answer each piece at once).',
      100,
      integer(0, 5000),
    ),
    maxConnections: setting(
      'Connections open at once; when full, the one that has gone longest without a complete line is closed to make room (evicted: server_full).',
      4096,
      integer(1, 1_000_000),
    ),
    maxConnectionsPerAddress: setting(
      'Connections one source address may hold; its own longest-idle one makes room for its next (evicted: address_full).',
      1024,
      integer(1, 1_000_000),
    ),
  },
  web: {
    listenAddress: setting(
      'HOST:PORT of the HTTP server (/metrics, /-/healthy, /-/ready, /-/reload, /api/v1/targets, /); 0.0.0.0:11001 to serve other hosts.',
      '127.0.0.1:11001',
      listenAddress,
    ),
    enableLifecycle: setting('Allow POST /-/reload.', false, boolean, 'live'),
    configFile: setting(
      "A web configuration file in Prometheus exporter-toolkit's format (TLS, basic auth, response headers), relative to the config file; re-read when it changes. Empty: plain HTTP, no auth.",
      '',
      anyString,
    ),
    maxConnections: setting(
      'HTTP connections open at once; when full, the idle one that has waited longest is closed to make room.',
      512,
      integer(1, 100_000),
    ),
    headersTimeoutMs: setting(
      'A client must send complete request headers within this long (TLS handshake included); an idle connection is closed after it.',
      10_000,
      integer(100, 600_000),
    ),
    requestTimeoutMs: setting('A whole request must arrive within this long.', 30_000, integer(100, 3_600_000)),
    keepAliveTimeoutMs: setting('An idle keep-alive connection is closed after this long.', 5000, integer(100, 600_000)),
  },
  icmp: {
    capture: setting(
      "Raw-socket ICMP capture, for the echo request's ICMP errors and errors counted apart (the handshake's come from each ping's socket without it): auto (on when permitted), on (refuse to start without CAP_NET_RAW), off.",
      'auto',
      oneOf(captureModes),
    ),
  },
  scheduler: {
    workers: setting(
      'Worker threads that send the pings, each running the rounds of its share of the targets (split by name) on a core of its own; metrics, status, HTTP, path traces and ICMP capture stay in the main thread. 0: the pings run on the main thread too, which is cheaper up to a few thousand pings a second. Beyond that, one worker per core: 2 workers on 2 cores carried 10,000 targets at 1 ping/s (README, "Every core").',
      0,
      integer(0, 64),
    ),
  },
  metrics: {
    rttBuckets: setting(
      'Classic bucket upper bounds in seconds of tcpping_rtt_seconds and tcpping_connect_seconds (+Inf is added), increasing, at most 100. Default: 1, 1.5, 2.5, 3.5, 5, 7 per decade from 25 µs to 25 s.',
      DEFAULT_RTT_BUCKETS_SECONDS,
      rttBuckets,
    ),
    nativeHistograms: setting(
      'Serve those histograms with native (exponential, 4.4%-wide) buckets too, to a Prometheus that asks for the protobuf format. Off: classic buckets only, for a Prometheus run with native histograms on whose rules and dashboards need the classic _bucket series (it keeps only the native ones).',
      true,
      boolean,
      'live',
    ),
    drop: setting(
      'Per-target series not to serve: family names (e.g. tcpping_round_rtt_mdev_seconds), or tcpping_rtt_seconds_bucket / tcpping_connect_seconds_bucket for the classic buckets alone, which a Prometheus that stores native histograms does not keep: text scrapers then get _bucket{le="+Inf"}, _sum and _count, as a native-only histogram of client_golang serves them. Applied from the next scrape.',
      [],
      seriesDropList,
      'live',
    ),
  },
  defaults: targetSettings,
  trace: {
    onLoss: setting(
      "Trace a target's TCP path when it starts losing pings (its state goes from up to degraded or down) and when it recovers.",
      true,
      boolean,
      'live',
    ),
    everyRounds: setting(
      'Also trace each target on its first round and every this many rounds after (0: only on loss). Off by default: with many targets, maxPerMinute sets the pace anyway.',
      0,
      integer(0, 1_000_000),
      'live',
    ),
    maxPerMinute: setting(
      'Traces started per minute at most, across all targets (a token bucket holding as many); the others wait their turn, those for loss first.',
      6,
      integer(1, 600),
      'live',
    ),
    maxConcurrent: setting('Traces running at once at most, across all targets.', 2, integer(1, 64), 'live'),
    maxHops: setting('Hops (TTL / hop limit) a trace goes at most.', 30, integer(1, 255), 'live'),
    probesPerHop: setting('Probes per hop, one after the other from the same source port.', 3, integer(1, 10), 'live'),
    probeTimeoutMs: setting(
      "Milliseconds a probe waits for an answer (at most 1000, the kernel's first SYN retransmission).",
      1000,
      integer(10, 1000),
      'live',
    ),
    maxSilentHops: setting('A trace stops after this many hops in a row that answered nothing.', 4, integer(1, 255), 'live'),
  },
  targetFiles: setting(
    'Prometheus file_sd files with more targets ([{targets: [HOST:PORT], labels: {...}}], JSON or YAML), relative to the config file; the last path segment may hold a * glob. Watched for changes.',
    [],
    stringList,
    'diff',
  ),
  mesh: {
    enabled: setting('Ping every peer of a mesh (one agent per node), found from mesh.peersDns or mesh.peers.', false, boolean),
    peersDns: setting(
      'A DNS name whose A/AAAA records are the peers (a Kubernetes headless Service); looked up every mesh.intervalMs.',
      '',
      optionalHost,
    ),
    peers: setting('Static peers, comma-separated HOST or HOST:PORT.', '', hostList),
    port: setting("The peers' responder port.", 11000, integer(1, 65535)),
    maxPeers: setting('Ping at most this many peers, chosen by rendezvous hashing (0: all).', 0, integer(0, 100_000)),
    selfName: setting("This agent's name in the mesh (e.g. the node name); default: the host name.", '', anyString),
    selfAddress: setting("This agent's own address, skipped among the peers; default: any address of this host.", '', optionalHost),
    intervalMs: setting('Milliseconds between peer discoveries (DNS lookups of mesh.peersDns).', 10_000, integer(100, 86_400_000)),
  },
  targets: setting(
    'Targets to ping: each has a name and an address (HOST:PORT), may carry labels, and may override any key of defaults. Without this key: self, at responder.listen (none if the responder is off or on port 0).',
    [{ name: 'self', address: '127.0.0.1:11000' }],
    list,
    'diff',
  ),
};

export type Schema = typeof schema;
type AnySetting = Setting<unknown>;
type Group = Readonly<Record<string, AnySetting>>;

/** The configuration as the program reads it, before the targets are checked against the defaults. */
export type SchemaValues = {
  readonly [K in keyof Schema]: Schema[K] extends AnySetting ? SettingValue<Schema[K]> : SettingValues<Schema[K]>;
};

/** "responder.dropRate" for every setting whose reload is live. */
export type LiveKey = {
  [S in keyof Schema & string]: Schema[S] extends Setting<unknown, infer R>
    ? R extends 'live'
      ? S
      : never
    : { [K in keyof Schema[S] & string]: Schema[S][K] extends Setting<unknown, 'live'> ? `${S}.${K}` : never }[keyof Schema[S] & string];
}[keyof Schema & string];

export function isSetting(node: unknown): node is AnySetting {
  return typeof node === 'object' && node !== null && 'check' in node && 'doc' in node;
}

/** Every setting with its path, in the order of the schema. */
export function settingPaths(): { path: string; setting: AnySetting }[] {
  const out: { path: string; setting: AnySetting }[] = [];
  for (const [name, node] of Object.entries(schema)) {
    if (isSetting(node)) out.push({ path: name, setting: node });
    else for (const [key, s] of Object.entries(node as Group)) out.push({ path: `${name}.${key}`, setting: s });
  }
  return out;
}

/** The value at "section.key" (or a top-level "key") of a configuration-shaped object. */
export function valueAt(tree: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], tree);
}

/** Sets the value at "section.key", creating the section. */
export function setAt(tree: Record<string, unknown>, path: string, value: unknown): void {
  const [section, key] = path.split('.') as [string, string | undefined];
  if (key === undefined) tree[section] = value;
  else tree[section] = { ...(tree[section] as object | undefined), [key]: value };
}

/** TCPPING_ and the path in capitals with underscores; lists have no variable (environment values are scalars). */
export function envName(path: string, s: AnySetting): string | undefined {
  if (Array.isArray(s.default)) return undefined;
  return `TCPPING_${path
    .replace(/\./g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()}`;
}
