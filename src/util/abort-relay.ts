/**
 * What a ping listens to for an early end (shutdown): an AbortSignal has this shape, and so has
 * AbortRelay, which the scheduler hands its pings instead.
 */
export interface AbortWatch {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * One listener on an AbortSignal for a target's whole life, relayed to the pings in flight. An
 * AbortSignal listener per ping (EventTarget's add and remove) costs microseconds and garbage,
 * at thousands of pings a second; this is a short array.
 */
export class AbortRelay implements AbortWatch {
  /** Made by the first listener: a target that never pings (or a relay that never fires) keeps none. */
  private listeners: (() => void)[] | undefined;
  private fired = false;

  /** Relays `signal`; without one, fires when fire() is called (a latch: the scheduler keeps two per target, AbortControllers cost about 1 KB). */
  constructor(signal?: AbortSignal) {
    if (signal?.aborted) this.fired = true;
    else signal?.addEventListener('abort', () => this.fire(), { once: true });
  }

  get aborted(): boolean {
    return this.fired;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.fired) return;
    if (this.listeners === undefined) this.listeners = [listener];
    else this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    // The last one moved into its place: splice would make an array of the removed one per ping.
    const listeners = this.listeners;
    if (listeners === undefined) return;
    const i = listeners.indexOf(listener);
    if (i < 0) return;
    listeners[i] = listeners[listeners.length - 1] as () => void;
    listeners.pop();
  }

  fire(): void {
    if (this.fired) return;
    this.fired = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }
}
