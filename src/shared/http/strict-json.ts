import { FieldError, ValidationFailedError } from '../errors';

/** Deepest nesting of objects and arrays a body may have (the body itself is level 1). */
export const MAX_JSON_DEPTH = 32;

/** Keys that poison a prototype when a client merges our JSON into an object (OWASP). */
const PROTO = '__proto__';

const enum Ch {
  Quote = 0x22,
  Backslash = 0x5c,
  Comma = 0x2c,
  OpenBrace = 0x7b,
  CloseBrace = 0x7d,
  OpenBracket = 0x5b,
  CloseBracket = 0x5d,
  Minus = 0x2d,
  Zero = 0x30,
  Nine = 0x39,
}

interface Frame {
  object: boolean;
  /** Object: the keys seen so far (an array while small, faster than a Set). Array: unused. */
  keys: string[] | Set<string> | null;
  /** Object: the current key. Array: the current index. */
  at: string | number;
}

/**
 * JSON as I-JSON (RFC 7493) wants it, for request bodies: parsed by `JSON.parse`, after one
 * linear scan that refuses what `JSON.parse` would silently change or what would hurt later:
 * - a key twice in one object (`JSON.parse` keeps the last one);
 * - a number that JSON's doubles cannot carry exactly: out of range (`1e309` becomes
 *   Infinity, stored as null), an integer beyond ±2^53, a non-zero value that underflows to 0;
 * - nesting deeper than {@link MAX_JSON_DEPTH} (recursive code further on would overflow
 *   the stack);
 * - `__proto__`, and `prototype` inside `constructor`: prototype-poisoning keys.
 * Each refusal is a 400 naming the key as the client wrote it (`events[2].metadata.a`).
 * An empty body is no body (`undefined`), as if none had been sent.
 */
export function parseStrictJson(text: string): unknown {
  if (text.length === 0 || text.trim().length === 0) return undefined;
  const problem = scan(text);
  if (problem) throw new ValidationFailedError([problem]);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationFailedError([{ path: 'body', message: `must be valid JSON (${(error as Error).message})` }]);
  }
}

/** The first problem of the kinds listed above, or null. Malformed JSON is left to JSON.parse. */
function scan(text: string): FieldError | null {
  const stack: Frame[] = [];
  let expectKey = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === Ch.Quote) {
      let j = i + 1;
      let escaped = false;
      for (; j < length; j++) {
        const d = text.charCodeAt(j);
        if (d === Ch.Backslash) {
          escaped = true;
          j++;
        } else if (d === Ch.Quote) break;
      }
      if (expectKey) {
        const raw = text.slice(i + 1, j);
        const problem = addKey(stack, escaped ? decode(raw) : raw);
        if (problem) return problem;
        expectKey = false;
      }
      i = j;
    } else if (c === Ch.OpenBrace || c === Ch.OpenBracket) {
      const object = c === Ch.OpenBrace;
      stack.push({ object, keys: null, at: object ? '' : 0 });
      if (stack.length > MAX_JSON_DEPTH) {
        return { path: pathOf(stack.slice(0, -1)), message: `nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays` };
      }
      expectKey = object;
    } else if (c === Ch.CloseBrace || c === Ch.CloseBracket) {
      stack.pop();
      expectKey = false;
    } else if (c === Ch.Comma) {
      const top = stack[stack.length - 1];
      if (top?.object) expectKey = true;
      else if (top) top.at = (top.at as number) + 1;
    } else if (c === Ch.Minus || (c >= Ch.Zero && c <= Ch.Nine)) {
      let j = i + 1;
      while (j < length && isNumberChar(text.charCodeAt(j))) j++;
      const problem = checkNumber(text.slice(i, j), stack);
      if (problem) return problem;
      i = j - 1;
    }
  }
  return null;
}

function addKey(stack: Frame[], key: string): FieldError | null {
  const top = stack[stack.length - 1];
  if (!top) return null;
  top.at = key;
  if (key === PROTO || (key === 'prototype' && stack.length >= 2 && stack[stack.length - 2].at === 'constructor')) {
    return { path: pathOf(stack), message: 'is a reserved name (prototype pollution) and is not allowed' };
  }
  if (top.keys === null) {
    top.keys = [key];
    return null;
  }
  const seen = Array.isArray(top.keys) ? top.keys.includes(key) : top.keys.has(key);
  if (seen) return { path: pathOf(stack), message: 'appears more than once in the same object (keys must be unique)' };
  if (Array.isArray(top.keys)) {
    top.keys.push(key);
    if (top.keys.length > 16) top.keys = new Set(top.keys);
  } else {
    top.keys.add(key);
  }
  return null;
}

function isNumberChar(c: number): boolean {
  // digits, '.', 'e', 'E', '+', '-'
  return (c >= Ch.Zero && c <= Ch.Nine) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === Ch.Minus;
}

function checkNumber(token: string, stack: Frame[]): FieldError | null {
  // Short integers, the common case, are always exact.
  if (token.length < 16) {
    if (!/[eE]/.test(token)) return null;
  }
  const value = Number(token);
  if (Number.isNaN(value)) return null; // malformed: JSON.parse words it
  if (!Number.isFinite(value)) return { path: pathOf(stack), message: 'is a number too large to be represented (send it as a string)' };
  if (/^-?\d+$/.test(token) && !Number.isSafeInteger(value)) {
    return { path: pathOf(stack), message: 'is an integer beyond ±2^53, which JSON numbers cannot carry exactly (send it as a string)' };
  }
  if (value === 0 && /[1-9]/.test(token.split(/[eE]/)[0])) {
    return { path: pathOf(stack), message: 'is a number too small to be represented (send it as a string)' };
  }
  return null;
}

function decode(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw; // malformed: JSON.parse of the whole body reports it
  }
}

/** The path of the current position, as clients write it: `events[3].metadata.a`. */
function pathOf(stack: Frame[]): string {
  let path = '';
  for (const frame of stack) {
    if (frame.object) {
      if (frame.at === '') continue;
      path = path ? `${path}.${String(frame.at)}` : String(frame.at);
    } else {
      path = `${path}[${String(frame.at)}]`;
    }
  }
  return path || 'body';
}
