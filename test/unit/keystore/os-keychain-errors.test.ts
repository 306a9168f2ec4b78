import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keychainError } from '../../../src-main/core/keystore/index.js';

// The exact texts @napi-rs/keyring 2.1 produced on this machine (see docs/custody.md), and what each must become.
const cases: Array<[string, string]> = [
  ["Couldn't access platform storage: Secret Service: unlock prompt was dismissed", 'KEYCHAIN_LOCKED'],
  ['Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files', 'KEYCHAIN_UNAVAILABLE'],
  ['Platform failure: DBus error: Failed to connect to socket /run/user/0/bus: No such file or directory', 'KEYCHAIN_UNAVAILABLE'],
  ['Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead', 'KEYCHAIN_UNAVAILABLE'],
  ["Couldn't access platform storage: AccessDenied", 'KEYCHAIN_UNAVAILABLE'],
  ['something nobody expected', 'KEYCHAIN_UNAVAILABLE'],
];

test('keychain failures become KEYCHAIN_LOCKED / KEYCHAIN_UNAVAILABLE with a hint, and keep the original as cause only', () => {
  for (const [text, code] of cases) {
    const original = Object.assign(new Error(text), { code: 'GenericFailure' });
    const error = keychainError(original, 'read the key from');
    assert.equal(error.code, code, text);
    assert.ok(error.hint && error.hint.length > 20, 'has a hint');
    assert.ok(!error.message.includes(text), 'the library text is not shown to users');
    assert.equal(error.cause, original);
  }
});

test('no Secret Service: the hint says what to install or start', () => {
  const error = keychainError(new Error('Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files'), 'store the key in');
  if (process.platform === 'linux') {
    assert.match(error.hint ?? '', /Secret Service/);
    assert.match(error.hint ?? '', /gnome-keyring/);
  }
  assert.match(error.message, /Nothing was written to disk/);
});
