// `npm start`: builds and runs Key Custodian. Launches the desktop app where an Electron binary is installed;
// otherwise (as on machines where Electron's binary cannot be downloaded) shows the CLI's help.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './setup.mjs';

if (spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }).status !== 0) process.exit(1);
const result = spawnSync(process.execPath, [join(root, 'bin', 'custodian.js'), '--help', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
