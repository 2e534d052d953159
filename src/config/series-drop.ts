import { type DroppableSeries, droppableSeries } from '../domain/target-series-names.js';
import type { Check } from '../util/checks.js';
import { err, ok } from '../util/result.js';
import { suggest } from './suggest.js';

/** metrics.drop: per-target series names, each known (a typo would silently drop nothing), none twice. */
export const seriesDropList: Check<readonly DroppableSeries[]> = (value) => {
  if (!Array.isArray(value)) return err('must be a list of per-target series names');
  const seen = new Set<string>();
  for (const name of value) {
    if (typeof name !== 'string') return err('must be a list of per-target series names');
    if (!droppableSeries.includes(name)) {
      const hint = suggest(name, droppableSeries);
      return err(`"${name}" is not a per-target series${hint ? ` (did you mean "${hint}"?)` : ''}; one of: ${droppableSeries.join(', ')}`);
    }
    if (seen.has(name)) return err(`"${name}" is listed twice`);
    seen.add(name);
  }
  return ok(value as DroppableSeries[]);
};
