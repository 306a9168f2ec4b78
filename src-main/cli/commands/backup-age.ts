import type { Command } from 'commander';
import type { CommandContext } from '../main.js';

/** `backup export|import|state|restore-state`: age-encrypted files. */
export function registerAgeCommands(_backup: Command, _context: CommandContext): void {
  // filled in by the age work
}
