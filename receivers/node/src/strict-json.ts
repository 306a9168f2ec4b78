/**
 * The strict JSON reader of docs/protocol.md §12.3. `JSON.parse` keeps the last of two members with the same
 * name and reads `1e3`, `1000.0` and `-0` as numbers, so two parsers can read one signed text differently
 * (issue 10 §5: a header `{"alg":"none","alg":"EdDSA",...}`). This reader refuses, instead of guessing:
 * - an object with two members of the same name (compared after unescaping),
 * - a number that is not `0|[1-9][0-9]*` or is above 2^53-1 (no sign, fraction or exponent: the protocol has none),
 * - invalid UTF-8, control characters in strings, anything but whitespace after the value, nesting deeper than 16.
 * Objects come back with a null prototype, so a member named `__proto__` is just a member.
 */

const MAX_DEPTH = 16;
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export type StrictJsonValue = null | boolean | number | string | StrictJsonValue[] | { [name: string]: StrictJsonValue };

class Refused extends Error {}

/** Parses UTF-8 bytes (or a string) as strict JSON; null when the text is refused for any reason. */
export function parseStrictJson(input: Uint8Array | string): StrictJsonValue | undefined {
  let text: string;
  try {
    text = typeof input === 'string' ? input : decoder.decode(input);
  } catch {
    return undefined;
  }
  const reader = new Reader(text);
  try {
    reader.skipWhitespace();
    const value = reader.value(0);
    reader.skipWhitespace();
    if (reader.position !== text.length) return undefined;
    return value;
  } catch (error) {
    if (error instanceof Refused || error instanceof RangeError) return undefined;
    throw error;
  }
}

class Reader {
  position = 0;
  constructor(private readonly text: string) {}

  skipWhitespace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.position);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.position++;
      else return;
    }
  }

  value(depth: number): StrictJsonValue {
    if (depth > MAX_DEPTH) throw new Refused();
    const c = this.text[this.position];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c !== undefined && c >= '0' && c <= '9') return this.number();
    for (const [word, result] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.position)) {
        this.position += word.length;
        return result;
      }
    }
    throw new Refused();
  }

  private expect(char: string): void {
    if (this.text[this.position] !== char) throw new Refused();
    this.position++;
  }

  private object(depth: number): { [name: string]: StrictJsonValue } {
    this.expect('{');
    const result = Object.create(null) as { [name: string]: StrictJsonValue };
    const seen = new Set<string>();
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      const name = this.string();
      if (seen.has(name)) throw new Refused();
      seen.add(name);
      this.skipWhitespace();
      this.expect(':');
      this.skipWhitespace();
      result[name] = this.value(depth + 1);
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === '}') return result;
      if (next !== ',') throw new Refused();
    }
  }

  private array(depth: number): StrictJsonValue[] {
    this.expect('[');
    const result: StrictJsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      result.push(this.value(depth + 1));
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === ']') return result;
      if (next !== ',') throw new Refused();
    }
  }

  private number(): number {
    const match = /^(?:0|[1-9][0-9]{0,15})(?![0-9.eE+-])/.exec(this.text.slice(this.position, this.position + 17));
    if (!match) throw new Refused();
    const value = Number(match[0]);
    if (!Number.isSafeInteger(value)) throw new Refused();
    this.position += match[0].length;
    return value;
  }

  private string(): string {
    this.expect('"');
    let out = '';
    let start = this.position;
    for (;;) {
      const c = this.text.charCodeAt(this.position);
      if (Number.isNaN(c) || c < 0x20) throw new Refused();
      if (c === 0x22) {
        out += this.text.slice(start, this.position);
        this.position++;
        return out;
      }
      if (c === 0x5c) {
        out += this.text.slice(start, this.position);
        const e = this.text[this.position + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          this.position += 2;
        } else if (e === 'u') {
          const hex = this.text.slice(this.position + 2, this.position + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new Refused();
          out += String.fromCharCode(parseInt(hex, 16));
          this.position += 6;
        } else {
          throw new Refused();
        }
        start = this.position;
        continue;
      }
      this.position++;
    }
  }
}
