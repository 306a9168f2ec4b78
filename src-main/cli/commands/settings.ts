import type { Command } from 'commander';
import { CustodianError } from '../../core/errors.js';
import { custodianHome } from '../../core/paths.js';
import { parseDays, rotationFile } from '../../core/rotation/index.js';
import { commandHelp as help } from '../io.js';
import type { CommandContext } from '../main.js';
import { audit } from './push-context.js';

/** The custodian's own settings (the desktop app's display settings live on its Settings screen). */
const SETTINGS = ['rotation-interval'] as const;

/** `custodian settings get|set`: today the rotation interval (keys older than it are flagged by `key list`). */
export function registerSettingsCommands(program: Command, context: CommandContext): void {
  const settings = program.command('settings')
    .description('the custodian\'s settings: rotation-interval (days after which `key list` and the dashboard flag a key)')
    .addHelpText('after', help(['custodian settings get', 'custodian settings set rotation-interval 30d']));

  settings.command('get')
    .description('show the settings')
    .addHelpText('after', help(['custodian settings get', 'custodian --json settings get   # {"rotationIntervalDays": 90}']))
    .action(async () => {
      const output = context.output();
      const state = await rotationFile(custodianHome(context.io.env)).read();
      output.result({ rotationIntervalDays: state.intervalDays });
      output.line(`rotation-interval  ${state.intervalDays}d`);
    });

  settings.command('set')
    .description('change a setting')
    .argument('<name>', `one of: ${SETTINGS.join(', ')}`)
    .argument('<value>', 'rotation-interval: days, e.g. 30d, 12w or 90')
    .addHelpText('after', help(['custodian settings set rotation-interval 30d']))
    .action(async (name: string, value: string) => {
      const output = context.output();
      if (!(SETTINGS as readonly string[]).includes(name)) throw new CustodianError('USAGE', 'Unknown setting.', { hint: `Settings: ${SETTINGS.join(', ')}.` });
      const days = parseDays(value, 'rotation-interval');
      await rotationFile(custodianHome(context.io.env)).update((state) => { state.intervalDays = days; });
      await audit(context).record({ action: 'settings.set', outcome: 'ok', setting: name, value: `${days}d` });
      output.result({ rotationIntervalDays: days });
      output.line(`rotation-interval set to ${days}d.`);
    });
}
