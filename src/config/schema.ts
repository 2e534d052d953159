import convict, { type Schema } from 'convict';
import { DEFAULT_MAX_LINE_BYTES } from '../protocol/line.js';
import {
  anyString,
  boolean,
  type Check,
  captureModes,
  integer,
  listenAddress,
  logLevels,
  number,
  oneOf,
  optionalHost,
  stringList,
  targetSettingChecks,
} from './formats.js';

let formats = 0;

/**
 * A schema key. Each check becomes a named convict format so that values from environment
 * variables (always strings) are coerced to the default's type before they are checked.
 */
function key<T extends string | number | boolean>(doc: string, defaultValue: T, check: Check, env: string) {
  const format = `tcpping-${++formats}`;
  convict.addFormat({ name: format, validate: check, coerce: coerceLike(defaultValue) });
  return { doc, default: defaultValue, format, env };
}

function coerceLike(example: string | number | boolean): (text: string) => unknown {
  if (typeof example === 'number') return (text) => (/^\s*-?[\d.]+(e-?\d+)?\s*$/i.test(text) ? Number(text) : text);
  if (typeof example === 'boolean') return (text) => (text === 'true' ? true : text === 'false' ? false : text);
  return (text) => text;
}

/** Every configuration key, its meaning, default, check and environment override. */
export const schema = {
  log: {
    level: key(
      'Log level: fatal, error, warn, info, debug (one line per ping received), trace, silent.',
      'info',
      oneOf(logLevels),
      'TCPPING_LOG_LEVEL',
    ),
  },
  responder: {
    enabled: key('Run the embedded TCP ping server.', true, boolean, 'TCPPING_RESPONDER_ENABLED'),
    listen: key('HOST:PORT the ping server listens on.', '127.0.0.1:11000', listenAddress, 'TCPPING_RESPONDER_LISTEN'),
    dropRate: key(
      "Share of pings left unanswered on purpose, 0..1 (the seed's simulated loss).",
      0.2,
      number(0, 1),
      'TCPPING_RESPONDER_DROP_RATE',
    ),
    delayMs: key('Added latency before each answer, in milliseconds.', 0, integer(0, 60_000), 'TCPPING_RESPONDER_DELAY_MS'),
    jitterMs: key('Random extra latency, uniform from 0 to this, in milliseconds.', 0, integer(0, 60_000), 'TCPPING_RESPONDER_JITTER_MS'),
    maxLineBytes: key(
      'Longest request line accepted; a longer one cuts the client off.',
      DEFAULT_MAX_LINE_BYTES,
      integer(16, 65_536),
      'TCPPING_RESPONDER_MAX_LINE_BYTES',
    ),
    idleTimeoutMs: key('A connection silent this long is closed.', 60_000, integer(100, 3_600_000), 'TCPPING_RESPONDER_IDLE_TIMEOUT_MS'),
    maxConnections: key(
      'Connections open at once; one more is refused and counted.',
      4096,
      integer(1, 1_000_000),
      'TCPPING_RESPONDER_MAX_CONNECTIONS',
    ),
  },
  web: {
    listenAddress: key(
      'HOST:PORT of the HTTP server (/metrics, /-/healthy, /-/ready, /api/v1/targets, /).',
      '0.0.0.0:11001',
      listenAddress,
      'TCPPING_WEB_LISTEN_ADDRESS',
    ),
    enableLifecycle: key('Allow POST /-/reload.', false, boolean, 'TCPPING_WEB_ENABLE_LIFECYCLE'),
  },
  icmp: {
    capture: key(
      'ICMP error capture: auto (on when permitted), on (refuse to start without CAP_NET_RAW), off.',
      'auto',
      oneOf(captureModes),
      'TCPPING_ICMP_CAPTURE',
    ),
  },
  defaults: {
    mode: key(
      'Probe mode: echo (send a line, wait for it upper-cased) or connect (TCP handshake only).',
      'echo',
      targetSettingChecks.mode,
      'TCPPING_DEFAULTS_MODE',
    ),
    count: key('Pings per round.', 20, targetSettingChecks.count, 'TCPPING_DEFAULTS_COUNT'),
    intervalMs: key('Milliseconds between round starts.', 30_000, targetSettingChecks.intervalMs, 'TCPPING_DEFAULTS_INTERVAL_MS'),
    pingIntervalMs: key(
      'Milliseconds between ping starts inside a round (0: as soon as the last one ended).',
      0,
      targetSettingChecks.pingIntervalMs,
      'TCPPING_DEFAULTS_PING_INTERVAL_MS',
    ),
    timeoutMs: key(
      'Milliseconds a ping waits for its reply before it counts as lost.',
      1000,
      targetSettingChecks.timeoutMs,
      'TCPPING_DEFAULTS_TIMEOUT_MS',
    ),
    reuseConnection: key(
      'Echo mode: one connection per round instead of one per ping.',
      false,
      targetSettingChecks.reuseConnection,
      'TCPPING_DEFAULTS_REUSE_CONNECTION',
    ),
    family: key(
      'Which address of a host name to ping: auto (the resolver order), ipv4 or ipv6. Names are resolved every round.',
      'auto',
      targetSettingChecks.family,
      'TCPPING_DEFAULTS_FAMILY',
    ),
  },
  targetFiles: {
    doc: 'Prometheus file_sd files with more targets ([{targets: [HOST:PORT], labels: {...}}], JSON or YAML), relative to the config file; the last path segment may hold a * glob. Watched for changes.',
    default: [] as string[],
    format: stringList,
  },
  mesh: {
    enabled: key(
      'Ping every peer of a mesh (one agent per node), found from mesh.peersDns or mesh.peers.',
      false,
      boolean,
      'TCPPING_MESH_ENABLED',
    ),
    peersDns: key(
      'A DNS name whose A/AAAA records are the peers (a Kubernetes headless Service); re-resolved every round.',
      '',
      optionalHost,
      'TCPPING_MESH_PEERS_DNS',
    ),
    peers: key('Static peers, comma-separated HOST or HOST:PORT.', '', anyString, 'TCPPING_MESH_PEERS'),
    port: key("The peers' responder port.", 11000, integer(1, 65535), 'TCPPING_MESH_PORT'),
    maxPeers: key('Ping at most this many peers, chosen by rendezvous hashing (0: all).', 0, integer(0, 100_000), 'TCPPING_MESH_MAX_PEERS'),
    selfName: key("This agent's name in the mesh (e.g. the node name); default: the host name.", '', anyString, 'TCPPING_MESH_SELF_NAME'),
    selfAddress: key(
      "This agent's own address, skipped among the peers; default: any address of this host.",
      '',
      optionalHost,
      'TCPPING_MESH_SELF_ADDRESS',
    ),
    intervalMs: key(
      'Milliseconds between peer discoveries (DNS lookups of mesh.peersDns).',
      10_000,
      integer(100, 86_400_000),
      'TCPPING_MESH_INTERVAL_MS',
    ),
  },
  targets: {
    doc: 'Targets to ping: each has a name and an address (HOST:PORT), and may override any key of defaults.',
    default: [{ name: 'self', address: '127.0.0.1:11000' }],
    format: Array,
  },
};

export type RawConfig = {
  log: { level: string };
  responder: {
    enabled: boolean;
    listen: string;
    dropRate: number;
    delayMs: number;
    jitterMs: number;
    maxLineBytes: number;
    idleTimeoutMs: number;
    maxConnections: number;
  };
  web: { listenAddress: string; enableLifecycle: boolean };
  icmp: { capture: string };
  defaults: {
    mode: string;
    count: number;
    intervalMs: number;
    pingIntervalMs: number;
    timeoutMs: number;
    reuseConnection: boolean;
    family: string;
  };
  targetFiles: string[];
  mesh: {
    enabled: boolean;
    peersDns: string;
    peers: string;
    port: number;
    maxPeers: number;
    selfName: string;
    selfAddress: string;
    intervalMs: number;
  };
  targets: unknown[];
};

export const typedSchema = schema as unknown as Schema<RawConfig>;
