/** Unknown-key problems with a suggestion for the likely misspelling. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    // Users often leave off the unit suffix ("timeout" for "timeoutMs"): compare with and without it.
    const bare = candidate.replace(/(Ms|Bytes)$/, '');
    const d = Math.min(distance(key.toLowerCase(), candidate.toLowerCase()), distance(key.toLowerCase(), bare.toLowerCase()));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next.push(Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + cost));
    }
    row = next;
  }
  return row[b.length] as number;
}

export function unknownKeyProblem(path: string, key: string, known: readonly string[]): string {
  const full = path === '' ? key : `${path}.${key}`;
  const hint = suggest(key, known);
  return hint === undefined
    ? `unknown key "${full}" (known keys here: ${known.join(', ')})`
    : `unknown key "${full}" (did you mean "${path === '' ? hint : `${path}.${hint}`}"?)`;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
