/**
 * Strict JSON for the unlock protocol (docs/protocol.md §12.3): JSON.parse lets the last of two same-named
 * members win and reads `1e3`, `1000.0` and `-0` as numbers, so two implementations could read the same bytes
 * differently. This parser accepts RFC 8259 JSON minus those: a duplicate member name, or a number that is not
 * a plain integer in 0 … 2^53-1, is refused (null). Strings are decoded by JSON.parse on the exact string token,
 * so escapes mean exactly what they mean everywhere else. Nesting is capped (the protocol's messages are flat).
 */
const MAX_DEPTH = 16;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const STRING_TOKEN = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const NUMBER_TOKEN = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const PLAIN_INTEGER = /^(?:0|[1-9][0-9]*)$/;

class Refused extends Error {}

/** The parsed value, or null when the text is not strict JSON (null itself parses to { value: null }). */
export function parseStrictJson(text: string): { value: unknown } | null {
  let at = 0;
  const fail = (): never => { throw new Refused(); };
  const skip = () => { while (at < text.length && WHITESPACE.has(text.charCodeAt(at))) at += 1; };
  const token = (pattern: RegExp): string => {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) fail();
    at += match![0].length;
    return match![0];
  };
  // A string token without a backslash means its characters as they stand (the token pattern already refused
  // quotes and control characters): no JSON.parse call for those, most of a protocol message.
  const string = (): string => {
    const raw = token(STRING_TOKEN);
    return raw.includes('\\') ? JSON.parse(raw) as string : raw.slice(1, -1);
  };
  const literal = (word: string, value: unknown): unknown => {
    if (!text.startsWith(word, at)) fail();
    at += word.length;
    return value;
  };
  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail();
    skip();
    const c = text[at];
    if (c === '{') {
      at += 1;
      const object: Record<string, unknown> = {};
      const seen = new Set<string>();
      skip();
      if (text[at] === '}') { at += 1; return object; }
      for (;;) {
        skip();
        const name = string();
        if (seen.has(name)) fail();
        seen.add(name);
        skip();
        if (text[at] !== ':') fail();
        at += 1;
        Object.defineProperty(object, name, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        skip();
        if (text[at] === ',') { at += 1; continue; }
        if (text[at] === '}') { at += 1; return object; }
        fail();
      }
    }
    if (c === '[') {
      at += 1;
      const array: unknown[] = [];
      skip();
      if (text[at] === ']') { at += 1; return array; }
      for (;;) {
        array.push(value(depth + 1));
        skip();
        if (text[at] === ',') { at += 1; continue; }
        if (text[at] === ']') { at += 1; return array; }
        fail();
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    const number = token(NUMBER_TOKEN);
    if (!PLAIN_INTEGER.test(number)) fail();
    const parsed = Number(number);
    if (!Number.isSafeInteger(parsed)) fail();
    return parsed;
  };
  try {
    const result = value(0);
    skip();
    return at === text.length ? { value: result } : null;
  } catch (error) {
    if (error instanceof Refused || error instanceof SyntaxError) return null;
    throw error;
  }
}
