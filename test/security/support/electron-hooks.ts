/** Module resolution hook for tests: `import ... from 'electron'` gets the recording fake next to this file. */
const fake = new URL('./fake-electron.js', import.meta.url).href;

export async function resolve(
  specifier: string,
  context: unknown,
  next: (specifier: string, context: unknown) => Promise<unknown>,
): Promise<unknown> {
  if (specifier === 'electron') return { url: fake, shortCircuit: true, format: 'module' };
  return next(specifier, context);
}
