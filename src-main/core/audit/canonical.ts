/**
 * RFC 8785 (JSON Canonicalization Scheme) for the values an audit entry may hold: objects, arrays, strings,
 * finite numbers, booleans and null. Object members are sorted by their UTF-16 code units (JavaScript's default
 * string order), strings and numbers are serialized as ECMAScript's JSON.stringify does (which is what JCS
 * specifies), and there is no whitespace. `undefined` members are left out, as JSON.stringify does.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON has no NaN or Infinity');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const item = value[key];
    if (item !== undefined) members.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${members.join(',')}}`;
}

/**
 * Whether `text` is the canonical form of `parsed` (its JSON.parse), as `canonicalJson(parsed) === text` says, but
 * without building a second string for the common case: when every object's members are already in sorted order,
 * canonicalJson(parsed) is exactly JSON.stringify(parsed). Anything else (say, integer-like member names, which
 * JavaScript reorders) takes the full comparison, so the verdict is the same either way.
 */
export function isCanonicalText(text: string, parsed: JsonValue): boolean {
  if (membersSorted(parsed) && JSON.stringify(parsed) === text) return true;
  return canonicalJson(parsed) === text;
}

function membersSorted(value: JsonValue | undefined): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every((item) => membersSorted(item));
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i += 1) {
    if (i > 0 && !(keys[i - 1]! < keys[i]!)) return false;
    if (!membersSorted(value[keys[i]!])) return false;
  }
  return true;
}
