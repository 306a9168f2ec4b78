import type { Command } from 'commander';
import { commandHelp as help } from '../io.js';
import type { CommandContext } from '../main.js';
import { registerShareCommands } from './backup-shares.js';
import { registerAgeCommands } from './backup-age.js';

/** `custodian backup ...`: SLIP-39 paper shares, restores and drills (backup-shares.ts); age files (backup-age.ts). */
export function registerBackupCommands(program: Command, context: CommandContext): void {
  const backup = program
    .command('backup')
    .description('back up keys: SLIP-39 paper shares, age-encrypted files, restore drills, the custodian\'s own state')
    .addHelpText('after', help([
      'custodian backup split orders-db --shares 5 --threshold 3 --holder Ana --holder Ben --holder Cem --holder Dana --holder Eli --pdf ./sheets',
      'custodian backup restore --check K1-7Q2M-0X4A-9R1D-BB3T',
      'custodian backup export orders-db --recipient age1... --out orders-db.age',
    ]));
  registerShareCommands(backup, context);
  registerAgeCommands(backup, context);
}
