import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { validateSync, ValidationError } from 'class-validator';
import { FieldError, ValidationFailedError } from '../errors';

/**
 * Validates a plain value against a DTO class: every invalid field (not just the first),
 * unknown fields rejected by name, and text PostgreSQL cannot store (NUL characters, lone
 * UTF-16 surrogates) refused here rather than failing later as a 500.
 */
/** Optional static member of a DTO class: a fast, conservative "certainly valid" check. */
export interface FastPath {
  isPlainlyValid?(value: unknown): boolean;
}

export function validateDto<T extends object>(
  dto: new () => T,
  plain: unknown,
  prefix = '',
): { value: T; errors: [] } | { value: undefined; errors: FieldError[] } {
  // The common case first: a DTO may declare a cheap check that only ever accepts what its
  // decorators accept (a property test holds each such check to that); anything it is not
  // sure of goes through class-validator, which also words the errors.
  if ((dto as FastPath).isPlainlyValid?.(plain)) return { value: plain as T, errors: [] };
  return validateByDecorators(dto, plain, prefix);
}

/** validateDto without the fast path: class-validator decides everything. */
export function validateByDecorators<T extends object>(
  dto: new () => T,
  plain: unknown,
  prefix = '',
): { value: T; errors: [] } | { value: undefined; errors: FieldError[] } {
  const join = (path: string) => (prefix ? (path ? `${prefix}.${path}` : prefix) : path);
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { value: undefined, errors: [{ path: join(prefix ? '' : 'body'), message: 'must be a JSON object' }] };
  }
  const errors = findUnstorableText(plain, '').map((e) => ({ ...e, path: join(e.path) }));
  const { instance: value, inherited } = toInstance(dto, plain);
  for (const key of inherited) errors.push({ path: join(key), message: 'is not a known field' });
  const issues = validateSync(value, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  errors.push(...flatten(issues, '').map((e) => ({ ...e, path: join(e.path) })));
  if (errors.length > 0) return { value: undefined, errors: dedupe(errors) };
  return { value, errors: [] };
}

/**
 * The DTO instance class-validator needs, with the client's fields as own data properties.
 * No class-transformer: DTOs here carry no transforms, and plainToInstance was a tenth of a
 * 1000-event batch's CPU. defineProperty (not assignment) so that a field named `__proto__`
 * stays a field — and is then rejected as unknown — instead of replacing the prototype.
 */
function toInstance<T extends object>(dto: new () => T, plain: object): { instance: T; inherited: string[] } {
  const instance = new dto();
  const inherited: string[] = [];
  for (const key of Object.keys(plain)) {
    // A key that names something inherited (constructor, toString, …) would shadow it and
    // break validation itself; it is never a DTO field, so it is reported as unknown.
    if (key in instance && !Object.prototype.hasOwnProperty.call(instance, key)) {
      inherited.push(key);
      continue;
    }
    Object.defineProperty(instance, key, {
      value: (plain as Record<string, unknown>)[key],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { instance, inherited };
}

function flatten(issues: ValidationError[], parent: string): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of issues) {
    const path = parent ? `${parent}.${issue.property}` : issue.property;
    if (issue.constraints) {
      if (issue.constraints.whitelistValidation) {
        out.push({ path, message: 'is not a known field' });
      } else {
        // One message per field, phrased without the field name: "is required" when missing,
        // otherwise the rule declared first. class-validator lists failed rules in the reverse
        // of their declaration (decorators apply bottom-up), so the type check (`must be a
        // string`, `must be an array`) comes last, not a length or size rule about a value
        // of the wrong type.
        const { isDefined, ...rest } = issue.constraints;
        const rules = Object.values(rest);
        const message = isDefined ?? rules[rules.length - 1];
        out.push({ path, message: message.replace(new RegExp(`^${escape(issue.property)} `), '') });
      }
    }
    if (issue.children?.length) out.push(...flatten(issue.children, path));
  }
  return out;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function findUnstorableText(value: unknown, path: string): FieldError[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return [{ path, message: 'must not contain NUL (\\u0000) characters' }];
    if (!value.isWellFormed()) return [{ path, message: 'must be valid Unicode (it contains a lone surrogate)' }];
    return [];
  }
  if (typeof value !== 'object' || value === null) return [];
  const out: FieldError[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, index) => out.push(...findUnstorableText(item, `${path}[${index}]`)));
    return out;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (key.includes('\u0000') || !key.isWellFormed()) {
      out.push({ path: keyPath, message: 'field names must be valid Unicode without NUL characters' });
      continue;
    }
    out.push(...findUnstorableText(item, keyPath));
  }
  return out;
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Global pipe: bodies and query strings typed by a DTO class are validated with validateDto. */
@Injectable()
export class DtoValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const { metatype, type } = metadata;
    if ((type !== 'body' && type !== 'query') || !metatype || !isDtoClass(metatype)) return value;
    // A request without a body (no Content-Type, nothing sent) is an empty object: routes
    // whose fields are all optional accept it, others name their required fields.
    const plain = type === 'query' ? { ...(value as object) } : value === undefined ? {} : value;
    const result = validateDto(metatype as new () => object, plain);
    if (result.errors.length > 0) throw new ValidationFailedError(result.errors);
    return result.value;
  }
}

function isDtoClass(metatype: unknown): boolean {
  return typeof metatype === 'function' && ![String, Boolean, Number, Array, Object].includes(metatype as never);
}
