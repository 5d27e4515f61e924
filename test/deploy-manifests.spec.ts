import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * What a cluster (or `kubectl apply`) would reject, and what would silently not work:
 * missing required fields, selectors that match nothing, probes on ports that do not exist,
 * a CronJob whose command is not in the image.
 */
const ROOT = join(__dirname, '..');
const DIR = join(ROOT, 'deploy', 'k8s');

type Doc = Record<string, any>;
const docs: Doc[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${f}: ${d.errors[0].message}`);
      return d.toJSON() as Doc;
    }),
  )
  .filter(Boolean);

const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HEALTH_ROUTES = ['/health/live', '/health/ready'];

function containerPorts(container: Doc): Array<string | number> {
  return (container.ports ?? []).flatMap((p: Doc) => [p.containerPort, p.name].filter((v) => v !== undefined));
}

function expectSecretRefsResolve(container: Doc) {
  const secrets = byKind('Secret');
  for (const env of container.env ?? []) {
    expect(typeof env.name).toBe('string');
    const ref = env.valueFrom?.secretKeyRef;
    if (!ref) {
      expect(typeof env.value).toBe('string'); // env values must be strings, not numbers or booleans
      continue;
    }
    const secret = secrets.find((s) => s.metadata.name === ref.name);
    expect(secret).toBeDefined();
    expect(Object.keys({ ...secret!.data, ...secret!.stringData })).toContain(ref.key);
  }
}

describe('Kubernetes manifests', () => {
  it('are well-formed objects with the required identity fields', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual(['CronJob', 'Deployment', 'Secret', 'Service']);
    for (const doc of docs) {
      expect(typeof doc.apiVersion).toBe('string');
      expect(doc.metadata.name).toMatch(DNS_1123);
      expect(doc.metadata.name.length).toBeLessThanOrEqual(52); // CronJob names: job suffix must fit in 63
    }
  });

  it('Deployment: the selector matches the pod labels, probes hit real routes on real ports, cron is off', () => {
    const [deployment] = byKind('Deployment');
    expect(deployment.apiVersion).toBe('apps/v1');
    const labels = deployment.spec.template.metadata.labels;
    expect(labels).toMatchObject(deployment.spec.selector.matchLabels);
    const [container] = deployment.spec.template.spec.containers;
    expect(container.name).toMatch(DNS_1123);
    expect(typeof container.image).toBe('string');
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(HEALTH_ROUTES).toContain(probe.httpGet.path);
      expect(containerPorts(container)).toContain(probe.httpGet.port);
    }
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    const env = Object.fromEntries((container.env as Doc[]).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env.METRICS_CRON_ENABLED).toBe('false');
    expect(env.REQUIRE_API_KEYS).toBe('true');
    expect(env.DATABASE_URL.secretKeyRef).toBeDefined();
    expectSecretRefsResolve(container);
  });

  it('Service: selects the Deployment pods and targets a port the container exposes', () => {
    const [service] = byKind('Service');
    const [deployment] = byKind('Deployment');
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const [container] = deployment.spec.template.spec.containers;
    for (const port of service.spec.ports) {
      expect(containerPorts(container)).toContain(port.targetPort);
      expect(Number.isInteger(port.port)).toBe(true);
    }
  });

  it('CronJob: every 4 hours, never overlapping, retried, running the CLI that the build produces', () => {
    const [cronJob] = byKind('CronJob');
    expect(cronJob.apiVersion).toBe('batch/v1');
    const spec = cronJob.spec;
    const fields = spec.schedule.split(' ');
    expect(fields).toHaveLength(5);
    expect(fields[1]).toBe('*/4');
    expect(spec.concurrencyPolicy).toBe('Forbid');
    expect(spec.startingDeadlineSeconds).toBeGreaterThan(0);
    expect(spec.startingDeadlineSeconds).toBeLessThan(4 * 3600);
    expect(spec.jobTemplate.spec.backoffLimit).toBeGreaterThanOrEqual(1);
    const pod = spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe('OnFailure');
    const [container] = pod.containers;
    expect(container.command[0]).toBe('node');
    const script = container.command[1];
    // The file the CronJob runs exists in the build output and is what npm run metrics:calculate runs.
    expect(existsSync(join(ROOT, script))).toBe(true);
    expect(existsSync(join(ROOT, script.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts['metrics:calculate']).toContain(script);
    for (const arg of container.args ?? []) expect(['--json']).toContain(arg);
    expectSecretRefsResolve(container);
  });
});
