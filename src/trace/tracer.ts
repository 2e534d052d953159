import type { PathTrace, TraceTrigger } from '../domain/path.js';
import type { Target } from '../domain/target.js';
import type { SchedulerObserver } from '../scheduler/scheduler.js';
import { stateOfRound, type TargetState } from '../stats/health.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TokenBucket } from './bucket.js';
import { changedHops } from './diff.js';
import type { TraceRequest, TraceSettings } from './trace.js';
import { strongerTrigger, type TriggerSettings, traceTrigger } from './triggers.js';

/** The service's `trace` settings. */
export interface TracerSettings extends TraceSettings, TriggerSettings {
  readonly maxPerMinute: number;
  readonly maxConcurrent: number;
}

export interface TracerDeps {
  readonly clock: Clock;
  /** Runs one trace: the real one (src/trace/trace.ts on the kernel's sockets) in the service. */
  readonly trace: (request: TraceRequest) => Promise<PathTrace>;
  /** Where each trace is reported: the same observer road as the pings' (metrics, status, log). */
  readonly report: SchedulerObserver;
  /** What the tracer holds while it runs (receive stamps on), let go of at stop. */
  readonly release?: () => void;
}

/** Every field set when it is made (undefined until known): one later kept them in a second array, 40 bytes a target. */
interface Flow {
  port: number;
  threshold: number;
  state: TargetState;
  rounds: number;
  address: string | undefined;
  /** The last trace, which the next one of the same flow is compared with. */
  last: PathTrace | undefined;
  pending: TraceTrigger | undefined;
  /** When `pending` was first set (a count): the longest waiting goes first. */
  waitingSince: number;
  running: AbortController | undefined;
}

/**
 * Traces a target's TCP path when its pings begin to be lost, when they recover and, if asked,
 * every N rounds; hears of rounds on the scheduler's observer and reports each trace on it too.
 * A target keeps one flow (one source port, kept from trace to trace), so successive traces take
 * the same equal-cost path and a difference between them is a change of route, not of hashing.
 * Across targets, traces start at most `maxPerMinute` a minute and `maxConcurrent` at once; those
 * waiting are served loss and recovery first.
 */
export class PathTracer {
  private readonly flows = new Map<string, Flow>();
  /** The flows with a trace pending: at 10,000 targets going down at once, only these are looked through. */
  private readonly waiting = new Map<string, Flow>();
  private readonly bucket: TokenBucket;
  private readonly running = new Set<Promise<void>>();
  private timer: TimerHandle | undefined;
  private requests = 0;
  private stopped = false;

  constructor(
    private settings: TracerSettings,
    private readonly deps: TracerDeps,
  ) {
    this.bucket = new TokenBucket(deps.clock, settings.maxPerMinute);
  }

  /** New settings from a reload: they apply to the next trace started. */
  configure(settings: TracerSettings): void {
    this.settings = settings;
    this.bucket.setRate(settings.maxPerMinute);
    this.pump();
  }

  readonly observer: SchedulerObserver = {
    targetAdded: (target) => this.track(target),
    targetChanged: (target) => this.track(target),
    targetRemoved: (name) => {
      this.flows.get(name)?.running?.abort();
      this.flows.delete(name);
      this.waiting.delete(name);
    },
    addressResolved: (name, address) => {
      const flow = this.flows.get(name);
      if (flow) flow.address = address;
    },
    roundFinished: (name, summary) => {
      const flow = this.flows.get(name);
      if (!flow) return;
      const previous = flow.state;
      flow.state = stateOfRound(summary, flow.threshold, previous);
      const trigger = traceTrigger(previous, flow.state, ++flow.rounds, this.settings);
      if (trigger === undefined || flow.address === undefined) return;
      if (flow.pending === undefined) flow.waitingSince = ++this.requests;
      flow.pending = strongerTrigger(flow.pending, trigger);
      this.waiting.set(name, flow);
      this.pump();
    },
  };

  /** Stops starting traces, aborts those running and waits for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.timer);
    for (const flow of this.flows.values()) flow.running?.abort();
    await Promise.all(this.running);
    this.deps.release?.();
  }

  private track(target: Target): void {
    const flow = this.flows.get(target.name);
    if (flow && flow.port === target.port) flow.threshold = target.degradedLossRatio;
    else {
      flow?.running?.abort();
      this.waiting.delete(target.name);
      this.flows.set(target.name, {
        port: target.port,
        threshold: target.degradedLossRatio,
        state: 'pending',
        rounds: 0,
        address: undefined,
        last: undefined,
        pending: undefined,
        waitingSince: 0,
        running: undefined,
      });
    }
  }

  /**
   * Starts what waits, as far as the limits allow; when only the rate holds it back, comes back
   * when a token is due. Called on every round that asks for a trace, so the rate is checked before
   * the waiting flows are looked through.
   */
  private pump(): void {
    this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
    while (!this.stopped && this.running.size < this.settings.maxConcurrent && this.waiting.size > 0) {
      const dueMs = this.bucket.msUntilToken();
      if (dueMs > 0) {
        this.timer = this.deps.clock.setTimeout(() => this.pump(), dueMs);
        return;
      }
      const next = this.nextWaiting();
      if (!next || !this.bucket.take()) return;
      this.start(...next);
    }
  }

  /** The target waiting longest among those traced for loss or recovery, else among the periodic ones. */
  private nextWaiting(): [string, Flow] | undefined {
    let best: [string, Flow] | undefined;
    const rank = (flow: Flow) => (flow.pending === 'periodic' ? 1 : 0);
    for (const entry of this.waiting) {
      const flow = entry[1];
      if (flow.pending === undefined || flow.running) continue;
      const other = best?.[1];
      if (!other || rank(flow) < rank(other) || (rank(flow) === rank(other) && flow.waitingSince < other.waitingSince)) best = entry;
    }
    return best;
  }

  private start(name: string, flow: Flow): void {
    const trigger = flow.pending as TraceTrigger;
    flow.pending = undefined;
    this.waiting.delete(name);
    const abort = new AbortController();
    flow.running = abort;
    const address = flow.address as string;
    const { maxHops, probesPerHop, probeTimeoutMs, maxSilentHops } = this.settings;
    const sameFlow = flow.last?.address === address && flow.last.port === flow.port;
    const request: TraceRequest = {
      address,
      port: flow.port,
      family: address.includes(':') ? 6 : 4,
      ...(sameFlow && flow.last ? { sourcePort: flow.last.sourcePort } : {}),
      maxHops,
      probesPerHop,
      probeTimeoutMs,
      maxSilentHops,
      signal: abort.signal,
    };
    const run = this.deps
      .trace(request)
      .then((trace) => {
        if (abort.signal.aborted || this.flows.get(name) !== flow) return;
        const before = flow.last;
        const comparable = before && before.address === trace.address && before.sourcePort === trace.sourcePort && trace.end !== 'error';
        if (trace.end !== 'error') flow.last = trace;
        this.deps.report.pathTraced?.(name, { trace, trigger, changedHops: comparable ? changedHops(before, trace) : null });
      })
      .catch((error) => this.deps.report.roundFailed?.(name, error))
      .finally(() => {
        flow.running = undefined;
        this.running.delete(run);
        this.pump();
      });
    this.running.add(run);
  }
}
