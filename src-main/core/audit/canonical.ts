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
