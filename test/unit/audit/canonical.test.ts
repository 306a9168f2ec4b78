import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, isCanonicalText, type JsonValue } from '../../../src-main/core/audit/canonical.js';

// verify's fast canonical check must give the same verdict as comparing with canonicalJson (RFC 8785).
const cases = [
  '{"action":"push","by":{"host":"vm","user":"root"},"keyIds":["K1"],"outcome":"ok","seq":3}',
  '{"outcome":"ok","action":"push"}', // members out of order
  '{"action": "push"}', // whitespace
  '{"n":1.0}', // a number not in its shortest form
  '{"10":"a","9":"b"}', // integer-like names: canonical (UTF-16 order), although JavaScript reorders them
  '{"9":"b","10":"a"}',
  '{"a":[{"z":1,"b":2}]}', // nested object out of order
  '{"s":"\\u00e9"}', // an escape JSON.stringify would not write
];

test('isCanonicalText agrees with canonicalJson on canonical and non-canonical lines', () => {
  for (const text of cases) {
    const parsed = JSON.parse(text) as JsonValue;
    assert.equal(isCanonicalText(text, parsed), canonicalJson(parsed) === text, text);
  }
  assert.equal(isCanonicalText(cases[0]!, JSON.parse(cases[0]!) as JsonValue), true);
  assert.equal(isCanonicalText(cases[4]!, JSON.parse(cases[4]!) as JsonValue), true);
  assert.equal(isCanonicalText(cases[1]!, JSON.parse(cases[1]!) as JsonValue), false);
});
