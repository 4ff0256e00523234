import type { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { appVersion } from '../../common/app-version';
import { EXECUTION_PROVIDERS } from '../../contract/names';
import { probeExecutionProviders } from '../../engine/runtime/probe';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check Node, onnxruntime and which execution providers (cpu, webgpu, cuda, dml, coreml) work here.',
    )
    .option('--json', 'print the results as JSON')
    .addHelpText(
      'after',
      `
Each execution provider runs a tiny ONNX graph; it prints "ok" or the reason it is unavailable, and
what to do where that is known (an NVIDIA GPU without the CUDA EP: npm install --onnxruntime-node-install=cuda12).
Exits with status 1 when even cpu fails.

Examples:
  $ hps-studio doctor
  $ hps-studio doctor --json`,
    )
    .action(doctor);
}

async function doctor(options: { json?: boolean }): Promise<void> {
  const versions = {
    hpsStudio: appVersion(),
    node: process.versions.node,
    onnxruntime: ort.env.versions.node ?? 'unknown',
  };
  // The reasons are printed below; ORT's own log would repeat them as multi-line native errors.
  ort.env.logLevel = 'fatal';
  const results = await probeExecutionProviders(EXECUTION_PROVIDERS);
  if (options.json) {
    console.log(JSON.stringify({ versions, results }, null, 2));
  } else {
    console.log(`HPS Studio   ${versions.hpsStudio}`);
    console.log(`Node         ${versions.node}`);
    console.log(`onnxruntime  ${versions.onnxruntime}`);
    console.log('Execution providers:');
    for (const r of results) {
      console.log(`  ${r.ep}: ${r.ok ? `ok (${r.ms} ms)` : `unavailable — ${r.reason}`}`);
      if (r.hint) console.log(`    → ${r.hint}`);
    }
  }
  if (!results.find((r) => r.ep === 'cpu')?.ok) process.exitCode = 1;
}
