import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { after, before } from 'node:test';

/**
 * A three-namespace lab for ICMP tests: client ⇄ router ⇄ server over two veth pairs. The router
 * forwards and, through nftables and routes, answers for chosen addresses with each kind of ICMP
 * error (or with nothing). Only addresses inside these namespaces are ever pinged.
 */
export const lab4 = {
  client: '10.77.1.2',
  /** Source of the client's pings to the unreachable route (see create()). */
  client2: '10.77.1.3',
  router: '10.77.1.1',
  server: '10.77.2.2',
  hostUnreachable: '10.77.2.10',
  adminProhibited: '10.77.2.11',
  portUnreachable: '10.77.2.12',
  ttlExceeded: '10.77.2.13',
  unreachableRoute: '10.77.3.1',
  blackhole: '10.77.4.1',
  /** SYNs to it are dropped; test/fixtures/slow_router.py answers them with an error, late. */
  lateError: '10.77.2.14',
} as const;

export const lab6 = {
  client: 'fd77:1::2',
  router: 'fd77:1::1',
  server: 'fd77:2::2',
  hostUnreachable: 'fd77:2::10',
  adminProhibited: 'fd77:2::11',
  portUnreachable: 'fd77:2::12',
  ttlExceeded: 'fd77:2::13',
  unreachableRoute: 'fd77:3::1',
  blackhole: 'fd77:4::1',
  lateError: 'fd77:2::14',
} as const;

const ruleset = `
table inet tcpping_lab {
  chain mangle_in {
    type filter hook prerouting priority mangle;
    ip daddr ${lab4.ttlExceeded} ip ttl set 1
    ip6 daddr ${lab6.ttlExceeded} ip6 hoplimit set 1
  }
  chain reject_some {
    type filter hook forward priority filter;
    ip daddr ${lab4.hostUnreachable} reject with icmp type host-unreachable
    ip daddr ${lab4.adminProhibited} reject with icmp type admin-prohibited
    ip daddr ${lab4.portUnreachable} reject with icmp type port-unreachable
    ip6 daddr ${lab6.hostUnreachable} reject with icmpv6 type addr-unreachable
    ip6 daddr ${lab6.adminProhibited} reject with icmpv6 type admin-prohibited
    ip6 daddr ${lab6.portUnreachable} reject with icmpv6 type port-unreachable
    ip daddr ${lab4.lateError} drop
    ip6 daddr ${lab6.lateError} drop
  }
}
`;

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  for (const tool of ['ip', 'nft', 'setpriv']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `needs the "${tool}" command (apt-get install -y iproute2 nftables util-linux)`;
  }
  return undefined;
}

/**
 * Skips loudly with the reason outside CI; under CI=true a missing prerequisite is a failure,
 * so the ICMP tests can never silently stop running there.
 */
export function labSkipReason(): string | false {
  const reason = labUnavailable();
  if (!reason) return false;
  if (process.env.CI === 'true') throw new Error(`ICMP lab tests cannot run: ${reason} (CI=true, so this fails instead of skipping)`);
  console.warn(`\n*** SKIPPING ICMP namespace tests: ${reason} ***\n`);
  return reason;
}

/**
 * Network namespaces named after this process (`tcpping-PID-TAG-ROLE`, so parallel runs never
 * meet), and what runs in them: children are killed by pid and the namespaces deleted at the end.
 */
export class Namespaces {
  private readonly children = new Set<ChildProcess>();
  private readonly base: string;
  private readonly names: string[] = [];

  constructor(tag: string) {
    this.base = `tcpping-${process.pid}-${tag}`;
  }

  /** The name of the namespace for `role`, made by addNamespaces(). */
  protected named(role: string): string {
    const name = `${this.base}-${role}`;
    this.names.push(name);
    return name;
  }

  /**
   * Makes every namespace named so far, each with its loopback up and no duplicate address
   * detection on the links made after: a router resolves the next hop of a packet it forwards
   * from its link-local address, and sends no neighbor solicitation while that is tentative
   * (1-2 s after the link comes up), so what it forwards meanwhile waits or is lost.
   */
  protected addNamespaces(): void {
    for (const ns of this.names) {
      run('ip', ['netns', 'add', ns]);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0']);
    }
  }

  /** Runs `node --import tsx <args>` inside a namespace, optionally wrapped (e.g. by setpriv). */
  node(ns: string, args: string[], wrapper: string[] = []): ChildProcess {
    return this.spawn(ns, [...wrapper, process.execPath, '--import', 'tsx', ...args]);
  }

  /** Starts a command inside a namespace; `destroy()` stops it if it is still running. */
  spawn(ns: string, command: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs a command in a namespace and returns its stdout (bounded by `timeoutMs`). */
  exec(ns: string, command: string[], timeoutMs = 5000): string {
    return execFileSync('ip', ['netns', 'exec', ns, ...command], { timeout: timeoutMs, encoding: 'utf8' });
  }

  /** Kills what it started (by pid) and deletes its namespaces; safe to call twice. */
  destroy(): void {
    for (const child of this.children) if (child.pid) killTree(child.pid);
    this.children.clear();
    for (const ns of this.names) spawnSync('ip', ['netns', 'del', ns]);
  }
}

export class Lab extends Namespaces {
  readonly client = this.named('c');
  readonly router = this.named('r');
  readonly server = this.named('s');

  create(): void {
    this.addNamespaces();
    run('ip', ['link', 'add', 'c0', 'netns', this.client, 'type', 'veth', 'peer', 'name', 'r0', 'netns', this.router]);
    run('ip', ['link', 'add', 's0', 'netns', this.server, 'type', 'veth', 'peer', 'name', 'r1', 'netns', this.router]);
    const addresses: [string, string, string][] = [
      [this.client, 'c0', '10.77.1.2/24'],
      [this.client, 'c0', '10.77.1.3/24'],
      [this.router, 'r0', '10.77.1.1/24'],
      [this.router, 'r1', '10.77.2.1/24'],
      [this.server, 's0', '10.77.2.2/24'],
    ];
    for (const [ns, dev, cidr] of addresses) run('ip', ['-n', ns, 'addr', 'add', cidr, 'dev', dev]);
    // nodad: no 1-2 s of duplicate address detection before the addresses can be used.
    const addresses6: [string, string, string][] = [
      [this.client, 'c0', 'fd77:1::2/64'],
      [this.router, 'r0', 'fd77:1::1/64'],
      [this.router, 'r1', 'fd77:2::1/64'],
      [this.server, 's0', 'fd77:2::2/64'],
    ];
    for (const [ns, dev, cidr] of addresses6) run('ip', ['-n', ns, '-6', 'addr', 'add', cidr, 'dev', dev, 'nodad']);
    for (const [ns, dev] of [
      [this.client, 'c0'],
      [this.router, 'r0'],
      [this.router, 'r1'],
      [this.server, 's0'],
    ] as const) {
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    run('ip', ['-n', this.client, 'route', 'add', 'default', 'via', lab4.router]);
    run('ip', ['-n', this.client, '-6', 'route', 'add', 'default', 'via', lab6.router]);
    // The router's "unreachable route" errors come from ip_error(), whose token bucket (the host-wide
    // net.ipv4.route.error_cost, 1 s) is kept per source address and drained by every other ICMP error
    // sent to that address. Pinging that route from a source of its own keeps the two apart.
    run('ip', ['-n', this.client, 'route', 'add', '10.77.3.0/24', 'via', lab4.router, 'src', lab4.client2]);
    run('ip', ['-n', this.server, 'route', 'add', 'default', 'via', '10.77.2.1']);
    run('ip', ['-n', this.server, '-6', 'route', 'add', 'default', 'via', 'fd77:2::1']);
    run('ip', ['-n', this.router, 'route', 'add', 'unreachable', '10.77.3.0/24']);
    run('ip', ['-n', this.router, 'route', 'add', 'blackhole', '10.77.4.0/24']);
    run('ip', ['-n', this.router, '-6', 'route', 'add', 'unreachable', 'fd77:3::/64']);
    run('ip', ['-n', this.router, '-6', 'route', 'add', 'blackhole', 'fd77:4::/64']);
    // Forwarding on; ICMP rate limits off on the router so a test run is not at the mercy of its token bucket.
    for (const setting of [
      'net.ipv4.ip_forward=1',
      'net.ipv6.conf.all.forwarding=1',
      'net.ipv4.icmp_ratelimit=0',
      'net.ipv6.icmp.ratelimit=0',
    ]) {
      run('ip', ['netns', 'exec', this.router, 'sysctl', '-q', '-w', setting]);
    }
    run('ip', ['netns', 'exec', this.router, 'nft', '-f', '-'], ruleset);
  }
}

/**
 * For a suite: a lab created before its tests and destroyed after them, when `cleanups` (files
 * the tests wrote) have run too.
 */
export function suiteLab(tag: string): { readonly lab: Lab; readonly cleanups: (() => void)[] } {
  const lab = new Lab(tag);
  const cleanups: (() => void)[] = [];
  before(() => lab.create());
  after(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    lab.destroy();
  });
  return { lab, cleanups };
}

/** `ip netns exec` runs node as its child: stop the whole process group spawned under it. */
function killTree(pid: number): void {
  const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  for (const child of children) killTree(Number(child));
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function run(command: string, args: string[], input?: string): void {
  execFileSync(command, args, { input, stdio: ['pipe', 'ignore', 'pipe'], timeout: 10_000 });
}

/** Collects a child's output and resolves when it exits (killed after `timeoutMs`). */
export function finished(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.pid && killTree(child.pid), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
