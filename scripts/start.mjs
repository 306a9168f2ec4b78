// `npm start`: builds and runs Key Custodian. Launches the desktop app where an Electron binary is installed;
// otherwise (as on machines where Electron's binary cannot be downloaded) says so and shows the CLI's help,
// which does the same tasks from a terminal.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ensureNodeModules, root } from './setup.mjs';

// A fresh clone has no node_modules yet: install them first (npm ci, without Electron's binary download where it fails).
ensureNodeModules();
if (spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);

const electron = electronBinary();
if (electron) {
  const main = join(root, 'dist', 'src-main', 'electron', 'main.js');
  const result = spawnSync(electron, [main, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
process.stderr.write('The Electron binary is not installed here, so the desktop app cannot open; this is the CLI, which does the same tasks.\n'
  + 'To get the desktop app: `npm ci` (without ELECTRON_SKIP_BINARY_DOWNLOAD), or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron.\n\n');
const result = spawnSync(process.execPath, [join(root, 'bin', 'custodian.js'), '--help'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);

/** The Electron binary, found without require('electron') (which would try to download it). */
function electronBinary() {
  let packageDir;
  try {
    packageDir = dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return undefined;
  }
  const pathFile = join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override ? join(override, relative) : join(packageDir, 'dist', relative);
  return existsSync(candidate) ? candidate : undefined;
}
