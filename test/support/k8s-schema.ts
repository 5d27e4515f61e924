import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';

/**
 * Validates a Kubernetes object against the `kubernetes-models` schema of its apiVersion/kind
 * (the OpenAPI schemas of the Kubernetes API, compiled to ajv validators) and refuses unknown
 * fields, as `kubectl apply` does with server-side field validation.
 *
 * The published validators check types, formats and required fields but carry no
 * `additionalProperties: false` (Kubernetes' OpenAPI never says it), so `selectr:` passes them.
 * They read every property the schema knows by name (`data.selector`, `data.minReadySeconds`,
 * …) and enumerate the keys only of maps (`additionalProperties: {…}`: labels, annotations,
 * resource quantities, Secret data). So the validator runs here on a proxy of the object that
 * records, per object, the keys the schema read and whether it enumerated them; afterwards every
 * key of a non-map object that the schema never read is an unknown field.
 */
type Validatable = { prototype: { validate(): void } };
const MODELS: Record<string, Validatable> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/CronJob': CronJob,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** Every problem with `doc`: schema violations (ajv's messages) and unknown fields (their paths); empty when valid. */
export function strictValidate(doc: Json): string[] {
  const model = MODELS[`${String(doc.apiVersion)}/${String(doc.kind)}`];
  if (!model) return [`no schema for apiVersion ${String(doc.apiVersion)}, kind ${String(doc.kind)}`];

  const read = new Map<object, Set<PropertyKey>>();
  const enumerated = new Set<object>();
  const proxies = new WeakMap<object, object>();
  const track = (value: unknown): unknown => {
    if (!isObject(value)) return value;
    let proxy = proxies.get(value);
    if (!proxy) {
      proxy = new Proxy(value, {
        get(target, key, receiver) {
          if (!read.has(target)) read.set(target, new Set());
          read.get(target)!.add(key);
          return track(Reflect.get(target, key, receiver));
        },
        has(target, key) {
          if (!read.has(target)) read.set(target, new Set());
          read.get(target)!.add(key);
          return Reflect.has(target, key);
        },
        ownKeys(target) {
          enumerated.add(target);
          return Reflect.ownKeys(target);
        },
      });
      proxies.set(value, proxy);
    }
    return proxy;
  };

  const problems: string[] = [];
  try {
    // The model's validate(), with `this` the tracking proxy instead of a model instance.
    model.prototype.validate.call(track(doc));
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }

  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    if (!isObject(value)) return;
    const known = read.get(value);
    for (const key of Object.keys(value)) {
      const child = `${path}.${key}`;
      if (enumerated.has(value) || known?.has(key)) walk(value[key], child);
      else problems.push(`unknown field ${child}`);
    }
  };
  walk(doc, String(doc.kind));
  return problems;
}
