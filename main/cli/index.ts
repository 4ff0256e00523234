// `hps-studio` CLI (bin/hps-studio.mjs runs this through tsx). User errors print one line, never a stack.
import { Command, CommanderError } from 'commander';
import { appVersion } from '../common/app-version';
import { COMMANDS } from './commands';
import { CliError } from './errors';

export function buildProgram(): Command {
  const program = new Command('hps-studio')
    .description(
      'HPS Studio: human-preference scoring, labeling, generation and fine-tuning for text-to-image models.',
    )
    .version(appVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ hps-studio serve --library ~/hps-library
  $ hps-studio doctor`,
    );
  for (const register of COMMANDS) register(program);
  for (const command of program.commands)
    command.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // Commander already printed its own message (unknown option, missing argument, --help, --version).
    if (err instanceof CommanderError) process.exit(err.exitCode);
    const message = err instanceof Error ? err.message : String(err);
    console.error(`hps-studio: ${message}`);
    if (process.env.HPS_DEBUG && err instanceof Error && !(err instanceof CliError)) console.error(err.stack);
    process.exit(1);
  }
}

await main(process.argv);
