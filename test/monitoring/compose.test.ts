import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfigFile } from '../../src/config/load.js';
import { repoPath } from './model.js';

// No container engine runs here: these checks only prove that docker-compose.yml's pieces exist
// and point at each other. The stack itself has not been brought up by these tests.

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  volumes?: string[];
}
const readYaml = <T>(path: string): T => parse(readFileSync(repoPath(path), 'utf8')) as T;
const compose = readYaml<{ services: Record<string, Service>; volumes: Record<string, unknown> }>('docker-compose.yml');

/** Container path → host path (relative to the repository) of each bind mount of a service. */
function binds(name: string): Map<string, string> {
  const service = compose.services[name] ?? assert.fail(`no service ${name}`);
  const entries = (service.volumes ?? []).map((v) => v.split(':')).filter(([source]) => source?.startsWith('./'));
  return new Map(entries.map(([source, target]) => [target ?? '', source ?? '']));
}

/** The host file behind a container path, through the service's bind mounts. */
function hostPath(service: string, containerPath: string): string {
  for (const [target, source] of binds(service)) {
    if (containerPath === target || containerPath.startsWith(`${target}/`)) return posix.join(source, containerPath.slice(target.length));
  }
  return assert.fail(`${service}: ${containerPath} is not mounted`);
}

test('the stack has tcpping, Prometheus and Grafana, and every bind mount exists', () => {
  assert.deepEqual(Object.keys(compose.services), ['tcpping', 'prometheus', 'grafana']);
  for (const name of Object.keys(compose.services)) {
    for (const source of binds(name).values()) assert.ok(existsSync(repoPath(source)), `${name}: ${source} does not exist`);
  }
  for (const name of Object.keys(compose.volumes)) {
    const used = Object.values(compose.services).some((s) => (s.volumes ?? []).some((v) => v.startsWith(`${name}:`)));
    assert.ok(used, `volume ${name} is not used`);
  }
});

test('tcpping gets a valid config whose web port Prometheus scrapes', () => {
  const tcpping = compose.services.tcpping ?? assert.fail();
  const configPath = tcpping.command?.[tcpping.command.indexOf('--config') + 1] ?? assert.fail('no --config');
  const config = loadConfigFile(repoPath(hostPath('tcpping', configPath)), {});
  const prometheusConfig = hostPath('prometheus', '/etc/prometheus/prometheus.yml');
  const scrape = readYaml<{ scrape_configs: { static_configs: { targets: string[] }[] }[]; rule_files: string[] }>(prometheusConfig);
  const targets = scrape.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
  assert.deepEqual(targets, [`tcpping:${config.web.listenAddress.port}`]);
  assert.deepEqual(scrape.rule_files, ['rules/*.yml']);
  assert.ok(existsSync(repoPath(posix.join(posix.dirname(prometheusConfig), 'rules/tcpping.alerts.yml'))));
});

test('Grafana is provisioned with the Prometheus datasource and the dashboard folder', () => {
  const provisioning = hostPath('grafana', '/etc/grafana/provisioning');
  const ds = readYaml<{ datasources: { type: string; url: string }[] }>(posix.join(provisioning, 'datasources/prometheus.yml'));
  assert.deepEqual(
    ds.datasources.map((d) => [d.type, d.url]),
    [['prometheus', 'http://prometheus:9090']],
  );
  const dashboards = readYaml<{ providers: { type: string; options: { path: string } }[] }>(
    posix.join(provisioning, 'dashboards/tcpping.yml'),
  );
  const [provider] = dashboards.providers;
  assert.equal(provider?.type, 'file');
  assert.ok(existsSync(repoPath(posix.join(hostPath('grafana', provider?.options.path ?? ''), 'tcpping.json'))));
});
