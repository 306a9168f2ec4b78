import type { Command } from 'commander';
import type { CommandContext } from '../main.js';

/** `backup split`, `backup restore` (and `--check` drills): SLIP-39 shares. */
export function registerShareCommands(_backup: Command, _context: CommandContext): void {
  // filled in by the SLIP-39 work
}
