import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { strictValidate } from './support/k8s-schema';

/**
 * What a cluster (or `kubectl apply`) would reject, and what would silently not work: every
 * manifest against the Kubernetes API schema (kubernetes-models) with unknown fields refused,
 * selectors that match nothing (or too much), probes on ports that do not exist, commands that
 * are not in the image, and the production rules of deploy/k8s: resources, security context,
 * labels, image tags, migrations in a Job, autoscaling and disruption budget on the API.
 */
const ROOT = join(__dirname, '..');
const DIR = join(ROOT, 'deploy', 'k8s');

type Doc = Record<string, any>;
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const docs: Doc[] = files
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${f}: ${d.errors[0].message}`);
      return d.toJSON() as Doc;
    }),
  )
  .filter(Boolean);

const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
const only = (kind: string) => {
  const found = byKind(kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
};
const clone = (doc: Doc): Doc => JSON.parse(JSON.stringify(doc));
const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HEALTH_ROUTES = ['/health/live', '/health/ready'];
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

const LABEL = (key: string) => `app.kubernetes.io/${key}`;
const RECOMMENDED_LABELS = ['name', 'instance', 'version', 'component', 'part-of', 'managed-by'].map(LABEL);
/** Labels that never change between releases: the only ones a selector may use (a Deployment's selector is immutable). */
const STABLE_LABELS = ['name', 'instance', 'component'].map(LABEL);

/** Every pod template in the manifests, with the workload that owns it. */
function podTemplates(): Array<{ owner: Doc; template: Doc }> {
  return docs.flatMap((doc) => {
    if (doc.kind === 'Deployment' || doc.kind === 'Job') return [{ owner: doc, template: doc.spec.template }];
    if (doc.kind === 'CronJob') return [{ owner: doc, template: doc.spec.jobTemplate.spec.template }];
    return [];
  });
}

function containersOf(template: Doc): Doc[] {
  return [...(template.spec.initContainers ?? []), ...template.spec.containers];
}

function containerPorts(container: Doc): Array<string | number> {
  return (container.ports ?? []).flatMap((p: Doc) => [p.containerPort, p.name].filter((v) => v !== undefined));
}

function envOf(container: Doc): Record<string, any> {
  return Object.fromEntries((container.env as Doc[]).map((e) => [e.name, e.value ?? e.valueFrom]));
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The pod templates a label selector matches. */
function selected(selector: Record<string, string>): Doc[] {
  return podTemplates()
    .filter(({ template }) => matches(selector, template.metadata.labels))
    .map(({ owner }) => owner);
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
    // An optional key may be absent from the Secret (the variable is then unset); a required one may not.
    if (!ref.optional) expect(Object.keys({ ...secret!.data, ...secret!.stringData })).toContain(ref.key);
  }
}

/** A CPU or memory quantity in base units (cores, bytes); the suffixes these manifests use. */
function quantity(value: string | number): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(String(value));
  if (!m) throw new Error(`unsupported quantity ${value}`);
  const factor: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] ? factor[m[2]] : 1);
}

describe('Kubernetes manifests: the API schema, unknown fields refused', () => {
  it('hold the expected objects, each with a valid name', () => {
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'CronJob',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Job',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
    for (const doc of docs) {
      expect(typeof doc.apiVersion).toBe('string');
      expect(doc.metadata.name).toMatch(DNS_1123);
      expect(doc.metadata.name.length).toBeLessThanOrEqual(52); // CronJob names: job suffix must fit in 63
    }
  });

  it.each(docs.map((d) => [`${d.kind} ${d.metadata.name}`, d]))('%s is valid against the kubernetes-models schema, with no unknown field', (_, doc) => {
    expect(strictValidate(doc)).toEqual([]);
  });

  it('a misspelled field fails: selector → selectr in the Deployment', () => {
    const deployment = clone(only('Deployment'));
    deployment.spec.selectr = deployment.spec.selector;
    delete deployment.spec.selector;
    const problems = strictValidate(deployment);
    expect(problems).toContain('unknown field Deployment.spec.selectr');
    expect(problems.join('\n')).toMatch(/data\/spec must have required property selector/);
  });

  it('a misspelled field fails however deep: resources.limitz in a container, a field in the CronJob pod template', () => {
    const deployment = clone(only('Deployment'));
    deployment.spec.template.spec.containers[0].resources.limitz = { cpu: '1' };
    expect(strictValidate(deployment)).toEqual(['unknown field Deployment.spec.template.spec.containers[0].resources.limitz']);

    const cronJob = clone(only('CronJob'));
    cronJob.spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem = true;
    expect(strictValidate(cronJob)).toEqual([
      'unknown field CronJob.spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem',
    ]);
  });

  it('every object in every manifest refuses an unknown key, except the maps Kubernetes defines as free-form', () => {
    // Maps (additionalProperties in the API schema): any key is valid there, as in a cluster.
    const isMap = (path: string[], kind: string) =>
      ['labels', 'annotations', 'matchLabels', 'stringData', 'data', 'requests', 'limits'].includes(path[path.length - 1]) ||
      (kind === 'Service' && path.join('.') === 'spec.selector');
    let checked = 0;
    for (const doc of docs) {
      const visit = (value: unknown, path: string[]): void => {
        if (Array.isArray(value)) return value.forEach((item, i) => visit(item, [...path, String(i)]));
        if (typeof value !== 'object' || value === null) return;
        const mutated = clone(doc);
        const target = path.reduce((node: any, key) => node[key], mutated);
        target.zzUnknownField = '1'; // a valid value in every map: label, annotation, quantity, Secret data
        const problems = strictValidate(mutated);
        if (isMap(path, doc.kind)) expect({ path, problems }).toEqual({ path, problems: [] });
        else expect({ path, problems }).toEqual({ path, problems: [expect.stringMatching(/^unknown field .*\.zzUnknownField$/)] });
        checked++;
        for (const [key, child] of Object.entries(value)) visit(child, [...path, key]);
      };
      visit(doc, []);
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('a wrong type or an unknown kind fails too', () => {
    const deployment = clone(only('Deployment'));
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(strictValidate(deployment).join('\n')).toMatch(/containerPort must be integer/);
    const hpa = clone(only('HorizontalPodAutoscaler'));
    hpa.apiVersion = 'autoscaling/v2beta3';
    expect(strictValidate(hpa)).toEqual(['no schema for apiVersion autoscaling/v2beta3, kind HorizontalPodAutoscaler']);
  });
});

describe('Kubernetes manifests: production rules', () => {
  it('every object and pod template carries the recommended app.kubernetes.io labels, one release for all', () => {
    const labelSets = [
      ...docs.map((d) => [`${d.kind} ${d.metadata.name}`, d.metadata.labels]),
      ...podTemplates().map(({ owner, template }) => [`pod template of ${owner.kind} ${owner.metadata.name}`, template.metadata.labels]),
      ...byKind('CronJob').map((c) => [`job template of CronJob ${c.metadata.name}`, c.spec.jobTemplate.metadata?.labels]),
    ];
    for (const [where, labels] of labelSets) {
      expect({ where, keys: Object.keys(labels ?? {}) }).toEqual({ where, keys: expect.arrayContaining(RECOMMENDED_LABELS) });
      expect(labels[LABEL('name')]).toBe('tracking-service');
      expect(labels[LABEL('part-of')]).toBe('tracking-service');
      expect(labels[LABEL('instance')]).toBe(labelSets[0][1][LABEL('instance')]);
      expect(labels[LABEL('managed-by')]).toBe('kubectl');
      // The release these manifests deploy is the version this tree builds.
      expect(labels[LABEL('version')]).toBe(PKG.version);
      expect(labels[LABEL('component')]).toMatch(DNS_1123);
    }
  });

  it('images name an explicit version (not latest, not untagged), the same one everywhere, matching the version label', () => {
    const images = podTemplates().flatMap(({ template }) => containersOf(template).map((c) => ({ image: c.image, template })));
    expect(images.length).toBeGreaterThanOrEqual(3);
    for (const { image, template } of images) {
      const match = /^(?<repo>[^@]+?)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@sha256:[a-f0-9]{64})?$/.exec(image);
      const tag = match?.groups?.tag;
      expect({ image, tag }).toEqual({ image, tag: expect.stringMatching(/^v?\d+\.\d+\.\d+/) });
      expect(tag).not.toBe('latest');
      expect(tag?.replace(/^v/, '')).toBe(template.metadata.labels[LABEL('version')]);
    }
    expect(new Set(images.map((i) => i.image)).size).toBe(1);
  });

  it('every container has CPU and memory requests and limits, requests not above limits', () => {
    for (const { owner, template } of podTemplates()) {
      for (const container of containersOf(template)) {
        const where = `${owner.kind} ${owner.metadata.name} / ${container.name}`;
        const { requests, limits } = container.resources ?? {};
        for (const resource of ['cpu', 'memory']) {
          expect({ where, resource, request: requests?.[resource], limit: limits?.[resource] }).toEqual({
            where,
            resource,
            request: expect.anything(),
            limit: expect.anything(),
          });
          expect(quantity(requests[resource])).toBeLessThanOrEqual(quantity(limits[resource]));
        }
      }
    }
  });

  it('every container runs unprivileged: no escalation, read-only root, no capabilities, non-root uid/gid >= 10000 (the image USER), RuntimeDefault seccomp', () => {
    // The image's USER, so the pods' runAsUser is the user the image was built for.
    const dockerUser = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^USER\s+(\S+)\s*$/gm)].pop()?.[1];
    expect(dockerUser).toMatch(/^\d+:\d+$/);
    const [imageUid, imageGid] = dockerUser!.split(':').map(Number);
    expect(imageUid).toBeGreaterThanOrEqual(10000);
    for (const { owner, template } of podTemplates()) {
      expect(template.spec.automountServiceAccountToken).toBe(false);
      for (const container of containersOf(template)) {
        // The effective context: the container's fields over the pod's.
        const effective = { ...template.spec.securityContext, ...container.securityContext };
        const where = `${owner.kind} ${owner.metadata.name} / ${container.name}`;
        expect({ where, ...container.securityContext }).toMatchObject({
          where,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.securityContext.capabilities.add).toBeUndefined();
        expect(container.securityContext.privileged).not.toBe(true);
        expect({ where, ...effective }).toMatchObject({
          where,
          runAsNonRoot: true,
          runAsUser: imageUid,
          runAsGroup: imageGid,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(effective.runAsGroup).toBeGreaterThanOrEqual(10000);
      }
    }
  });

  it('selectors use only stable labels and each matches exactly the pods it is meant for', () => {
    const deployment = only('Deployment');
    const selectors: Array<[string, Record<string, string>]> = [
      ['Deployment selector', deployment.spec.selector.matchLabels],
      ['Service selector', only('Service').spec.selector],
      ['PodDisruptionBudget selector', only('PodDisruptionBudget').spec.selector.matchLabels],
      ...(deployment.spec.template.spec.topologySpreadConstraints ?? []).map(
        (t: Doc): [string, Record<string, string>] => ['topology spread selector', t.labelSelector.matchLabels],
      ),
    ];
    expect(deployment.spec.selector.matchExpressions).toBeUndefined();
    for (const [where, selector] of selectors) {
      expect({ where, keys: Object.keys(selector) }).toEqual({ where, keys: expect.arrayContaining(STABLE_LABELS) });
      expect({ where, unstable: Object.keys(selector).filter((k) => !STABLE_LABELS.includes(k)) }).toEqual({ where, unstable: [] });
      // The API pods, and not the migration or metrics job pods (a PDB or Service over those would be wrong).
      expect(selected(selector).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([`Deployment/${deployment.metadata.name}`]);
    }
    expect(new Set(podTemplates().map(({ template }) => template.metadata.labels[LABEL('component')])).size).toBe(podTemplates().length);
  });

  it('Deployment: probes hit real routes on real ports, no migration at start, cron off, read replicas optional, replicas left to the HPA', () => {
    const deployment = only('Deployment');
    expect(deployment.apiVersion).toBe('apps/v1');
    const [container] = deployment.spec.template.spec.containers;
    expect(container.name).toMatch(DNS_1123);
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(HEALTH_ROUTES).toContain(probe.httpGet.path);
      expect(containerPorts(container)).toContain(probe.httpGet.port);
    }
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    const env = envOf(container);
    expect(env.MIGRATE_ON_START).toBe('false');
    expect(env.METRICS_CRON_ENABLED).toBe('false');
    expect(env.REQUIRE_API_KEYS).toBe('true');
    expect(env.DATABASE_URL.secretKeyRef).toMatchObject({ name: 'tracking-service-db', key: 'database-url' });
    expect(env.DATABASE_URL.secretKeyRef.optional).toBeUndefined();
    expect(env.DATABASE_READ_URLS.secretKeyRef).toMatchObject({ name: 'tracking-service-db', optional: true });
    expectSecretRefsResolve(container);
    // An HPA owns the replica count; a value here would reset it on every apply.
    expect(deployment.spec.replicas).toBeUndefined();
    // SIGTERM handling (10 s grace in src/main.ts) plus the preStop sleep fit in the termination grace period.
    const preStopSeconds = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
    expect(preStopSeconds + 10).toBeLessThan(deployment.spec.template.spec.terminationGracePeriodSeconds);
  });

  it('Service: selects the Deployment pods and targets a port the container exposes', () => {
    const service = only('Service');
    const deployment = only('Deployment');
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    const [container] = deployment.spec.template.spec.containers;
    for (const port of service.spec.ports) {
      expect(containerPorts(container)).toContain(port.targetPort);
      expect(Number.isInteger(port.port)).toBe(true);
    }
  });

  it('HorizontalPodAutoscaler: autoscaling/v2 on CPU utilisation of the API Deployment, named by its name, at least 2 replicas', () => {
    const hpa = only('HorizontalPodAutoscaler');
    const deployment = only('Deployment');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } },
    ]);
    // Utilisation is a share of the request: without a CPU request on every container the HPA cannot compute it.
    for (const container of deployment.spec.template.spec.containers) expect(container.resources.requests.cpu).toBeDefined();
  });

  it('PodDisruptionBudget: policy/v1 over the API Deployment pods, allowing a drain at the minimum replica count', () => {
    const pdb = only('PodDisruptionBudget');
    const deployment = only('Deployment');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(selected(pdb.spec.selector.matchLabels)).toEqual([deployment]);
    expect(pdb.metadata.name).toBe(deployment.metadata.name);
    // At the HPA's minimum, at least one pod may be evicted (else node drains block) and one stays.
    const min = only('HorizontalPodAutoscaler').spec.minReplicas;
    const evictable = pdb.spec.maxUnavailable ?? min - pdb.spec.minAvailable;
    expect(Number.isInteger(evictable)).toBe(true);
    expect(evictable).toBeGreaterThanOrEqual(1);
    expect(evictable).toBeLessThan(min);
  });

  it('migration Job: runs the migrate CLI that the build produces, on the primary, not retried forever', () => {
    const job = only('Job');
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.spec.backoffLimit).toBeGreaterThanOrEqual(1);
    expect(job.spec.backoffLimit).toBeLessThanOrEqual(5);
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    const pod = job.spec.template.spec;
    expect(['Never', 'OnFailure']).toContain(pod.restartPolicy);
    const [container] = pod.containers;
    expect(container.command).toEqual(['node', 'dist/cmd/migrate.js']);
    expect(existsSync(join(ROOT, 'dist/cmd/migrate.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'cmd/migrate.ts'))).toBe(true);
    expect(PKG.scripts['migration:run']).toContain('dist/cmd/migrate.js');
    expect(envOf(container).DATABASE_URL.secretKeyRef).toEqual(envOf(only('Deployment').spec.template.spec.containers[0]).DATABASE_URL.secretKeyRef);
    expectSecretRefsResolve(container);
  });

  it('CronJob: every 4 hours, never overlapping, retried, running the CLI that the build produces, never migrating', () => {
    const cronJob = only('CronJob');
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
    expect(PKG.scripts['metrics:calculate']).toContain(script);
    for (const arg of container.args ?? []) expect(['--json']).toContain(arg);
    // Only the migration Job migrates: the CLI would otherwise apply pending migrations itself.
    expect(envOf(container).MIGRATE_ON_START).toBe('false');
    expectSecretRefsResolve(container);
  });
});
