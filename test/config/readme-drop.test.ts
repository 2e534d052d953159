import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadConfig, parseConfigText } from '../../src/config/load.js';

/** The README's YAML examples that set metrics.drop, as a user would paste them. */
function dropExamples(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  return [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string).filter((yaml) => /^\s+drop:/m.test(yaml));
}

test("the README's metrics.drop examples load as they are, and drop what they name", () => {
  const examples = dropExamples();
  assert.ok(examples.length >= 2, `expected the lean and the 10,000-target examples, found ${examples.length}`);
  for (const yaml of examples) {
    const document = parseConfigText(yaml, 'README example.yaml') as { metrics: { drop: string[] } };
    const config = loadConfig(document, 'README.md', {});
    assert.deepEqual(config.metrics.drop, document.metrics.drop, yaml);
    assert.ok(config.metrics.drop.includes('tcpping_rtt_seconds_bucket'), yaml);
  }
});
