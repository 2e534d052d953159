import { bareNewPing, HOST } from './bare.js';
import { serveCommands } from './child.js';
import { minorFaults } from './faults.js';
import { lagSummary, RELOAD_WINDOW_MS } from './stats.js';

/**
 * Child: the floor of a reload that makes every target anew. The bare loop of child-bare.ts (one
 * setTimeout chain per target, echo pings with plain node:net against the responder at `port`),
 * where each target also holds state of a given size, touched by each of its pings; `reload` makes
 * every target's state anew, 100 targets a turn of the loop as tcpping's reload goes, and drops the
 * old. What a ping waits for there is what V8 costs to take on that much new long-lived state (each
 * object copied out of the young generation, then collected with the old) beside the same pings,
 * with nothing of tcpping's own work. Run with the service's node flags, so its heap is sized alike.
 */
const [portText = '', targetsText = '', intervalText = '10000'] = process.argv.slice(2);
const port = Number(portText);
const targets = Number(targetsText);
const intervalMs = Number(intervalText);

/** Targets made between two turns of the loop: tcpping's START_BATCH, and its check of 100 targets a turn. */
const SLICE = 100;

/** A target's state: `objects` objects, about 88 bytes each (stateBytes measures it). */
interface StateShape {
  readonly objects: number;
}

/** A part of a state: 80 bytes, 24 of header and 8 a field (Node.js builds leave pointers uncompressed). */
class Part7 {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
  g: number;
  constructor(v: number) {
    this.a = v;
    this.b = v;
    this.c = v;
    this.d = v;
    this.e = v;
    this.f = v;
    this.g = v;
  }
}

interface State {
  readonly name: string;
  readonly parts: Part7[];
  pings: number;
}

/** Its holder, its name, an array of its parts, and `objects − 3` parts. */
function makeState(i: number, generation: number, shape: StateShape): State {
  const count = Math.max(1, shape.objects - 3);
  const parts: Part7[] = new Array(count);
  for (let k = 0; k < count; k++) parts[k] = new Part7(k);
  return { name: `gen${generation}-${i}`, parts, pings: 0 };
}

let states: State[] = [];
let lagsMs: number[] | undefined;
const timers = new Set<NodeJS.Timeout>();
let stopped = false;

function start(shape: StateShape): void {
  states = Array.from({ length: targets }, (_, i) => makeState(i, 0, shape));
  const tick = (i: number, plannedMs: number) => {
    if (stopped) return;
    lagsMs?.push(Math.max(0, performance.now() - plannedMs));
    (states[i] as State).pings++;
    bareNewPing(port, 1, 1000, HOST).catch(() => {});
    const next = plannedMs + intervalMs;
    const timer = setTimeout(() => {
      timers.delete(timer);
      tick(i, next);
    }, next - performance.now());
    timers.add(timer);
  };
  const now = performance.now();
  for (let i = 0; i < targets; i++) {
    const at = now + Math.floor((i * intervalMs) / targets);
    const timer = setTimeout(() => {
      timers.delete(timer);
      tick(i, at);
    }, at - now);
    timers.add(timer);
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The pings' lags over `work` and after it (what it left to collect is its own): RELOAD_WINDOW_MS
 * from its start, at least 100 ms past its end, as tcpping's.
 */
async function lagsDuring(work: () => Promise<unknown>) {
  lagsMs = [];
  const faultsBefore = minorFaults();
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  await new Promise((resolve) => setTimeout(resolve, Math.max(100, RELOAD_WINDOW_MS - wallMs)));
  const lags = lagsMs;
  lagsMs = undefined;
  return { ...lagSummary(lags), wallMs, pageFaults: minorFaults() - faultsBefore };
}

let generation = 0;
serveCommands(
  {},
  {
    start: (args) => {
      start(args as StateShape);
      return {};
    },
    /** Heap a state of this shape takes: bytes a target, over as many made aside (needs --expose-gc). */
    stateBytes: (args) => {
      const gc = globalThis.gc;
      if (!gc) throw new Error('stateBytes needs node --expose-gc');
      gc();
      const before = process.memoryUsage().heapUsed;
      const aside = Array.from({ length: targets }, (_, i) => makeState(i, -1, args as StateShape));
      gc();
      return (process.memoryUsage().heapUsed - before - 8 * aside.length) / aside.length;
    },
    /** No reload: the pings' lags over `ms` (as long as the service's stretches: no tail after it). */
    quiet: async (args) => {
      lagsMs = [];
      const faultsBefore = minorFaults();
      await new Promise((resolve) => setTimeout(resolve, (args as { ms: number }).ms));
      const lags = lagsMs;
      lagsMs = undefined;
      return { ...lagSummary(lags), pageFaults: minorFaults() - faultsBefore };
    },
    /** Every target's state made anew in slices, then a quiet stretch as long. */
    reload: async (args) => {
      const shape = args as StateShape;
      generation++;
      const reload = await lagsDuring(async () => {
        const next: State[] = new Array(targets);
        for (let i = 0; i < targets; i++) {
          if (i > 0 && i % SLICE === 0) await turn();
          next[i] = makeState(i, generation, shape);
        }
        states = next;
      });
      const quiet = await lagsDuring(() => new Promise((resolve) => setTimeout(resolve, Math.max(50, reload.wallMs))));
      return { reload, quiet };
    },
  },
  async () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
  },
);
