import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { loadConfig, parseConfigText } from '../../src/config/load.js';
import { repoPath } from './dockerfile.js';

type Doc = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } };
type Model = new (data: never) => { validate(): void };
const models: Record<string, Model> = { Namespace, ConfigMap, Service, DaemonSet, PodMonitor, PrometheusRule } as unknown as Record<
  string,
  Model
>;
const files = ['namespace.yaml', 'configmap.yaml', 'service.yaml', 'daemonset.yaml', 'podmonitor.yaml', 'prometheusrule.yaml'];

const docs: Doc[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(repoPath(`deploy/kubernetes/${file}`), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], file);
    return d.toJS() as Doc;
  }),
);
const byKind = (kind: string): Doc => docs.find((d) => d.kind === kind) ?? assert.fail(`no ${kind}`);

/** Schema errors (kubernetes-models' compiled OpenAPI schemas) as "path: message" lines. */
function schemaErrors(doc: unknown, kind = (doc as Doc).kind): { path: string; message: string }[] {
  const model = models[kind] ?? assert.fail(`no schema for ${kind}`);
  try {
    new model(structuredClone(doc) as never).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: { instancePath: string; message?: string }[] }).errors ?? assert.fail(error as Error);
    return errors.map((e) => ({ path: e.instancePath, message: e.message ?? '' }));
  }
}

/**
 * Keys the schema does not know. The schemas allow unknown properties, so each key is probed: its
 * value is swapped for one of the wrong type, and a key the schema knows then fails at its path.
 */
function unknownKeys(doc: Doc): string[] {
  const unknown: string[] = [];
  const visit = (node: unknown, path: (string | number)[]) => {
    if (Array.isArray(node)) {
      for (const [i, v] of node.entries()) visit(v, [...path, i]);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        const probe = structuredClone(doc) as Record<string, unknown>;
        let parent: Record<string | number, unknown> = probe;
        for (const p of path) parent = parent[p] as Record<string | number, unknown>;
        parent[key] = typeof value === 'object' ? 1.5 : { probe: [] };
        const pointer = `/${[...path, key].map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
        if (!schemaErrors(probe, doc.kind).some((e) => e.path === pointer || e.path.startsWith(`${pointer}/`))) unknown.push(pointer);
        visit(value, [...path, key]);
      }
    }
  };
  visit(doc, []);
  return unknown;
}

test('every manifest validates against its Kubernetes or Prometheus Operator schema', () => {
  assert.deepEqual(docs.map((d) => d.kind).sort(), Object.keys(models).sort());
  for (const doc of docs) assert.deepEqual(schemaErrors(doc), [], `${doc.kind}/${doc.metadata.name}`);
});

test('no manifest has a key its schema does not know (a typo would be silently ignored by the API server)', () => {
  for (const doc of docs) assert.deepEqual(unknownKeys(doc), [], `${doc.kind}/${doc.metadata.name}`);
  const typo = structuredClone(byKind('DaemonSet')) as unknown as { spec: { template: { spec: Record<string, unknown> } } };
  typo.spec.template.spec.hostNetwrok = true;
  assert.deepEqual(unknownKeys(typo as unknown as Doc), ['/spec/template/spec/hostNetwrok'], 'the check itself finds a typo');
});

test('everything lives in the tcpping namespace, which enforces Pod Security "baseline"', () => {
  const ns = byKind('Namespace');
  assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'baseline');
  for (const doc of docs.filter((d) => d.kind !== 'Namespace')) assert.equal(doc.metadata.namespace, ns.metadata.name, doc.kind);
  const kustomization = readFileSync(repoPath('deploy/kubernetes/kustomization.yaml'), 'utf8');
  for (const file of files) assert.match(kustomization, new RegExp(`^  - ${file}$`, 'm'));
});

const ds = byKind('DaemonSet') as unknown as DaemonSet;
const pod = ds.spec?.template.spec ?? assert.fail('no pod spec');
const container = pod.containers[0] ?? assert.fail('no container');
const service = byKind('Service') as unknown as Service;

test('the DaemonSet: pod network, NET_RAW only, probes on /-/ready and /-/healthy', () => {
  assert.equal(pod.hostNetwork, false);
  assert.deepEqual(container.securityContext?.capabilities, { drop: ['ALL'], add: ['NET_RAW'] });
  // Baseline forbids privileged and every added capability outside its list; NET_RAW is on it.
  assert.notEqual(container.securityContext?.privileged, true);
  assert.equal(container.securityContext?.allowPrivilegeEscalation, true, 'no-new-privileges would ignore the file capability');
  assert.equal(pod.securityContext?.runAsNonRoot, true);
  assert.equal(container.readinessProbe?.httpGet?.path, '/-/ready');
  assert.equal(container.livenessProbe?.httpGet?.path, '/-/healthy');
  assert.deepEqual(
    container.ports?.map((p) => [p.name, p.containerPort]),
    [
      ['responder', 11000],
      ['web', 11001],
    ],
  );
  assert.deepEqual(ds.spec?.selector.matchLabels, ds.spec?.template.metadata?.labels);
});

test('agents find each other through the headless Service', () => {
  assert.equal(service.spec?.clusterIP, 'None');
  assert.equal(service.spec?.publishNotReadyAddresses, true);
  assert.deepEqual(service.spec?.selector, ds.spec?.template.metadata?.labels);
  assert.deepEqual(
    service.spec?.ports?.map((p) => [p.port, p.targetPort]),
    [[11000, 'responder']],
  );
  const env = Object.fromEntries(container.env?.map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]) ?? []);
  assert.deepEqual(env, {
    TCPPING_MESH_ENABLED: 'true',
    TCPPING_MESH_PEERS_DNS: `${service.metadata?.name}.${service.metadata?.namespace}.svc.cluster.local`,
    TCPPING_MESH_SELF_NAME: 'spec.nodeName',
    TCPPING_MESH_SELF_ADDRESS: 'status.podIP',
    TCPPING_RESPONDER_LISTEN: '0.0.0.0:11000',
  });
});

test('the ConfigMap is a valid tcpping config, mounted where the container reads it, mesh on from the env', () => {
  const configMap = byKind('ConfigMap') as unknown as ConfigMap;
  const mount = container.volumeMounts?.find((m) => m.name === 'config') ?? assert.fail('no config mount');
  const volume = pod.volumes?.find((v) => v.name === 'config');
  assert.equal(volume?.configMap?.name, configMap.metadata?.name);
  const configArg = container.args?.[container.args.indexOf('--config') + 1] ?? assert.fail('no --config');
  assert.equal(configArg, `${mount.mountPath}/tcpping.yaml`);
  const text = configMap.data?.['tcpping.yaml'] ?? assert.fail('no tcpping.yaml in the ConfigMap');
  const env = {
    TCPPING_MESH_ENABLED: 'true',
    TCPPING_MESH_PEERS_DNS: 'tcpping-mesh.tcpping.svc.cluster.local',
    TCPPING_MESH_SELF_NAME: 'node-a',
  };
  const config = loadConfig(parseConfigText(text, 'configmap.yaml'), 'configmap.yaml', {
    ...env,
    TCPPING_MESH_SELF_ADDRESS: '10.1.2.3',
    TCPPING_RESPONDER_LISTEN: '0.0.0.0:11000',
  });
  assert.equal(config.mesh.enabled, true);
  assert.equal(config.responder.dropRate, 0);
  assert.equal(config.responder.listen.port, service.spec?.ports?.[0]?.port);
});

test('the PodMonitor scrapes the web port; the PrometheusRule is generated from deploy/prometheus/rules', () => {
  const monitor = byKind('PodMonitor') as unknown as PodMonitor;
  assert.deepEqual(monitor.spec.selector.matchLabels, ds.spec?.template.metadata?.labels);
  assert.deepEqual(
    monitor.spec.podMetricsEndpoints?.map((e) => [e.port, e.path]),
    [['web', '/metrics']],
  );
  const check = spawnSync(process.execPath, [repoPath('deploy/kubernetes/generate-prometheusrule.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
});
