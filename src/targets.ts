import type { TargetConfig } from './config/load.js';
import type { Metrics } from './metrics/metrics.js';
import type { Scheduler, TargetDiff } from './scheduler/scheduler.js';
import type { StatusBoard } from './status/status.js';

export const targetSources = ['config', 'files', 'mesh'] as const;
export type TargetSource = (typeof targetSources)[number];

/**
 * The targets being pinged, from three sources (the config file, target files, the mesh), merged
 * by name and applied to the scheduler, metrics and status board as one diff. Applies are
 * serialized: a reload and a mesh change never interleave.
 */
export class TargetSet {
  private readonly sources = new Map<TargetSource, readonly TargetConfig[]>();
  private current = new Map<string, TargetConfig>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly metrics: Metrics,
    private readonly status: StatusBoard,
  ) {}

  /** Resolves once every update queued so far has been applied. */
  async settled(): Promise<void> {
    await this.queue;
  }

  get list(): TargetConfig[] {
    return [...this.current.values()];
  }

  /** Replaces the given sources' targets and applies the merged set; returns the diff and name clashes. */
  update(sources: Partial<Record<TargetSource, readonly TargetConfig[]>>): Promise<{ diff: TargetDiff; clashes: string[] }> {
    const run = this.queue.then(() => {
      for (const [source, targets] of Object.entries(sources)) this.sources.set(source as TargetSource, targets);
      return this.apply();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async apply(): Promise<{ diff: TargetDiff; clashes: string[] }> {
    const merged = new Map<string, TargetConfig>();
    const clashes: string[] = [];
    for (const source of targetSources) {
      for (const target of this.sources.get(source) ?? []) {
        if (merged.has(target.name)) clashes.push(`target "${target.name}" from ${source} is already defined; the first one is kept`);
        else merged.set(target.name, target);
      }
    }
    const diff = await this.scheduler.apply([...merged.values()]);
    for (const name of diff.removed) this.metrics.removeTarget(name);
    for (const name of [...diff.added, ...diff.changed]) {
      const t = merged.get(name) as TargetConfig;
      const labels = { name, address: t.address, mode: t.mode, labels: t.labels };
      if (diff.added.includes(name)) this.metrics.addTarget(labels);
      else this.metrics.updateTarget(labels);
    }
    this.status.setTargets([...merged.values()]);
    this.current = merged;
    return { diff, clashes };
  }
}
