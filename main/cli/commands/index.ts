// Every CLI command, one line each. To add one: create commands/<name>.ts exporting
// `register<Name>(program: Command)` (description, options, help examples, action) and list it here.
import type { Command } from 'commander';
import { registerAnnotators } from './annotators';
import { registerDb } from './db';
import { registerDoctor } from './doctor';
import { registerExport } from './export';
import { registerGenerate } from './generate';
import { registerImport } from './import';
import { registerScore } from './score';
import { registerServe } from './serve';
import { registerTrainLora } from './train-lora';
import { registerTrainScorer } from './train-scorer';
import { registerWorker } from './worker';

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerServe,
  registerDoctor,
  registerImport,
  registerExport,
  registerAnnotators,
  registerScore,
  registerGenerate,
  registerTrainScorer,
  registerTrainLora,
  registerDb,
  registerWorker,
];
