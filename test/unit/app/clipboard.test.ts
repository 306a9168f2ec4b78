import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AutoClearClipboard, MemoryClipboard } from '../../../src-main/app/clipboard.js';

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('what the app copies is cleared after the delay', async () => {
  const port = new MemoryClipboard();
  const clipboard = new AutoClearClipboard(port);
  await clipboard.copy('K1-ABCD', 0.05);
  assert.equal(port.text, 'K1-ABCD');
  await wait(150);
  assert.equal(port.text, '');
});

test('something the user copied meanwhile is left alone', async () => {
  const port = new MemoryClipboard();
  const clipboard = new AutoClearClipboard(port);
  await clipboard.copy('K1-ABCD', 0.05);
  await port.writeText('the user copied this');
  await wait(150);
  assert.equal(port.text, 'the user copied this');
});

test('clearNow (idle lock, quit) clears at once; a second copy restarts the delay', async () => {
  const port = new MemoryClipboard();
  const clipboard = new AutoClearClipboard(port);
  await clipboard.copy('first', 0.05);
  await clipboard.copy('second', 10);
  await wait(150);
  assert.equal(port.text, 'second', 'the first timer no longer applies');
  await clipboard.clearNow();
  assert.equal(port.text, '');
});

test('every copy carries the platform\'s concealed formats (clipboard history and managers skip it)', async () => {
  const { concealedFormats } = await import('../../../src-main/app/clipboard.js');
  assert.deepEqual(concealedFormats('win32').map((f) => [f.name, [...f.data]]), [
    ['ExcludeClipboardContentFromMonitorProcessing', [0, 0, 0, 0]],
    ['CanIncludeInClipboardHistory', [0, 0, 0, 0]],
    ['CanUploadToCloudClipboard', [0, 0, 0, 0]],
  ]);
  assert.deepEqual(concealedFormats('darwin').map((f) => f.name), ['org.nspasteboard.ConcealedType']);
  assert.deepEqual(concealedFormats('linux').map((f) => [f.name, Buffer.from(f.data).toString()]), [['x-kde-passwordManagerHint', 'secret']]);
  assert.deepEqual(concealedFormats('freebsd').map((f) => f.name), ['x-kde-passwordManagerHint']);
  const port = new MemoryClipboard('linux');
  await new AutoClearClipboard(port).copy('K1-ABCD', 10);
  assert.deepEqual(port.formats, ['x-kde-passwordManagerHint']);
});
