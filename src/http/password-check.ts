import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { backgroundPrioritySource } from '../util/background.js';
import { IdleWorker } from '../util/idle-worker.js';

/**
 * bcrypt is slow on purpose: a cost-10 hash takes about 75 ms of CPU in bcryptjs here. Run on the
 * event loop, every login would hold up pings in flight for that long; so checks run one at a time
 * on a worker thread at a lower priority (util/background.ts: a flood of logins takes the CPU the
 * pings leave), and each (user, hash, password) outcome is cached, as exporter-toolkit does,
 * so a scraper that sends the same credentials every 15 s costs one bcrypt in all; the worker then
 * ends after a while without a check (util/idle-worker.ts: an idle one holds about 20 MiB).
 *
 * bcryptjs: pure JavaScript (nothing to compile, no install script), no dependencies, and it reads
 * the $2y$ hashes htpasswd writes. The native `bcrypt` package would need a build step or a prebuilt
 * binary for every Node line, for a check that runs once per distinct credential.
 */
const CACHE_SIZE = 100;
/** Used for unknown users, so the time a failed login takes does not tell whether the user exists. */
const FAKE_HASH = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi';

const workerSource = (bcryptPath: string) => `
${backgroundPrioritySource}
const { parentPort } = require('node:worker_threads');
const bcrypt = require(${JSON.stringify(bcryptPath)});
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});`;

export class PasswordCheck {
  private readonly checker = new IdleWorker(workerSource(createRequire(import.meta.url).resolve('bcryptjs')), (worker) => {
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      this.waiting.get(id)?.(ok);
      this.waiting.delete(id);
      if (this.waiting.size === 0) this.checker.idle();
    });
    worker.on('error', () => this.fail(worker));
    worker.on('exit', () => this.fail(worker));
  });
  private nextId = 1;
  private readonly waiting = new Map<number, (ok: boolean) => void>();
  /** Insertion-ordered: the oldest entries go first when it is full. */
  private readonly cache = new Map<string, boolean>();
  private readonly inFlight = new Map<string, Promise<boolean>>();

  /** True if `password` is the password of `user` in `users`. */
  async verify(users: ReadonlyMap<string, string>, user: string, password: string): Promise<boolean> {
    const hash = users.get(user);
    const key = JSON.stringify([user, hash ?? FAKE_HASH, password]);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached && hash !== undefined;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.compare(password, hash ?? FAKE_HASH).then((ok) => {
        this.inFlight.delete(key);
        if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
        this.cache.set(key, ok);
        return ok;
      });
      this.inFlight.set(key, pending);
    }
    return (await pending) && hash !== undefined;
  }

  private compare(password: string, hash: string): Promise<boolean> {
    const worker = this.checker.busy();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({ id, password, hash });
    });
  }

  /** A dead worker denies whatever it had not answered; the next check starts a new one. */
  private fail(worker: Worker): void {
    if (!this.checker.forget(worker)) return;
    for (const resolve of this.waiting.values()) resolve(false);
    this.waiting.clear();
  }

  close(): Promise<void> {
    return this.checker.close();
  }
}
