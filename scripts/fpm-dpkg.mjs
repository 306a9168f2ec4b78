#!/usr/bin/env node
// Builds the .deb for electron-builder's `deb` target with Debian's own dpkg-deb, in place of fpm.
//
// Why: electron-builder makes debs with fpm, a Ruby tool it downloads from GitHub at build time (unreachable
// where this project builds), and fpm is in none of the registries we can reach (not in Debian 12, and the
// PyPI/npm packages called "fpm" are unrelated tools). USE_SYSTEM_FPM=true would need that same Ruby gem.
// electron-builder lets a build name its own fpm executable (CUSTOM_FPM_PATH), and passes it everything it has
// decided about the package as fpm arguments: metadata, dependencies, maintainer scripts, and `src=dst` file
// mappings (the app folder under /opt, icons, the desktop entry, and `deb.fpm` extras such as /usr/bin/custodian).
// This script implements exactly that subset of fpm's `-s dir -t deb` and builds the package with
// `dpkg-deb --root-owner-group --build`, so the deb holds what electron-builder would have had fpm put in it.
// An argument it does not know stops the build (exit 2): nothing electron-builder asks for is silently dropped.
//
// Use: CUSTOM_FPM_PATH=$PWD/scripts/fpm-dpkg.mjs npx electron-builder --linux deb  (docs/packaging.md)
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** fpm options electron-builder passes, with the control-file field (or handling) each maps to. */
const VALUE_OPTIONS = new Set([
  '-s', '-t', '--name', '--version', '--architecture', '--maintainer', '--vendor', '--url', '--description',
  '--license', '--category', '--iteration', '--package', '--after-install', '--after-remove', '--before-install',
  '--before-remove', '--deb-priority', '--deb-compression', '--log', '-d', '--depends', '--deb-recommends',
]);
const FLAGS = new Set(['--force', '--debug']);
const REPEATED = new Set(['-d', '--depends', '--deb-recommends']);

function fail(message, status = 1) {
  process.stderr.write(`fpm-dpkg: ${message}\n`);
  process.exit(status);
}

export function parseFpmArgs(argv) {
  const options = { depends: [], recommends: [], mappings: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (FLAGS.has(arg)) continue;
    if (VALUE_OPTIONS.has(arg)) {
      const value = argv[++i];
      if (value === undefined) fail(`${arg} needs a value`, 2);
      if (arg === '-d' || arg === '--depends') options.depends.push(value);
      else if (arg === '--deb-recommends') options.recommends.push(value);
      else if (!REPEATED.has(arg)) options[arg.replace(/^-+/, '')] = value;
      continue;
    }
    if (arg.startsWith('-')) fail(`unsupported fpm option ${arg} (this stand-in implements what electron-builder's deb target passes)`, 2);
    const eq = arg.lastIndexOf('=');
    if (eq <= 0) fail(`expected a SOURCE=DESTINATION mapping, got ${arg}`, 2);
    options.mappings.push({ source: arg.slice(0, eq), destination: arg.slice(eq + 1) });
  }
  if (options.s !== 'dir' || options.t !== 'deb') fail('only -s dir -t deb is supported', 2);
  for (const required of ['name', 'version', 'architecture', 'maintainer', 'package']) {
    if (!options[required]) fail(`missing --${required}`, 2);
  }
  return options;
}

/** fpm's mapping semantics: "dir/=/dest" copies the folder's contents, "file=/dest/name" places the file. */
function place(root, { source, destination }) {
  const from = resolve(source.replace(/\/+$/, '') || '/');
  const to = join(root, destination);
  const stat = lstatSync(from);
  mkdirSync(stat.isDirectory() ? to : dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
}

function installedSizeKiB(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += installedSizeKiB(path) * 1024;
    else if (entry.isFile()) bytes += statSync(path).size;
  }
  return Math.ceil(bytes / 1024);
}

/** A control-file description: first line the synopsis, then each line indented, blank lines as " .". */
function description(text) {
  const [synopsis = '', ...rest] = (text ?? '').split('\n');
  const body = rest.map((line) => line.trim()).map((line) => (line === '' ? ' .' : ` ${line}`));
  return [synopsis.trim() || 'no description', ...body].join('\n');
}

function controlFile(options, root) {
  const fields = [
    ['Package', options.name],
    ['Version', options.iteration ? `${options.version}-${options.iteration}` : options.version],
    ['License', options.license],
    ['Vendor', options.vendor],
    ['Architecture', options.architecture],
    ['Maintainer', options.maintainer],
    ['Installed-Size', String(installedSizeKiB(root))],
    ['Depends', options.depends.join(', ')],
    ['Recommends', options.recommends.join(', ')],
    ['Section', options.category],
    ['Priority', options['deb-priority'] ?? 'optional'],
    ['Homepage', options.url],
    ['Description', description(options.description)],
  ];
  return `${fields.filter(([, value]) => value).map(([name, value]) => `${name}: ${value}`).join('\n')}\n`;
}

function main() {
  const options = parseFpmArgs(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), 'fpm-dpkg-'));
  try {
    const root = join(work, 'root');
    mkdirSync(root);
    for (const mapping of options.mappings) place(root, mapping);
    const debian = join(root, 'DEBIAN');
    mkdirSync(debian);
    writeFileSync(join(debian, 'control'), controlFile(options, root));
    const scripts = { 'after-install': 'postinst', 'after-remove': 'postrm', 'before-install': 'preinst', 'before-remove': 'prerm' };
    for (const [option, name] of Object.entries(scripts)) {
      if (!options[option]) continue;
      writeFileSync(join(debian, name), readFileSync(options[option]));
      chmodSync(join(debian, name), 0o755);
    }
    const compression = options['deb-compression'] ?? 'xz';
    const target = resolve(options.package);
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { force: true }); // fpm --force: replace an existing package
    const build = spawnSync('dpkg-deb', ['--root-owner-group', `-Z${compression}`, '--build', root, target], { stdio: ['ignore', 2, 2] });
    if (build.error) fail(`dpkg-deb is needed to build the deb (apt-get install dpkg): ${build.error.message}`);
    if (build.status !== 0) fail(`dpkg-deb failed (exit ${build.status})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
