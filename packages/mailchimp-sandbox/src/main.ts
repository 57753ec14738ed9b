#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startSandbox } from './server.js';
import type { FaultConfig, SandboxSeed } from './types.js';

const USAGE = 'Usage: mailchimp-sandbox [--port 4010] [--seed file.json] [--latency ms] [--fault-rate 0..1] [--fault-seed n]';

function numberOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got "${raw}"`);
  return value;
}

/** `--fault-rate r` spreads r over the answered faults: half 429s, a quarter each 500 and 503. */
function faultsFrom(latency?: number, rate?: number, seed?: number): FaultConfig {
  return {
    ...(latency !== undefined ? { latencyMs: latency } : {}),
    ...(rate !== undefined ? { rate429: rate / 2, rate500: rate / 4, rate503: rate / 4 } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4010' },
      seed: { type: 'string' },
      latency: { type: 'string' },
      'fault-rate': { type: 'string' },
      'fault-seed': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seed = values.seed ? (JSON.parse(await readFile(values.seed, 'utf8')) as SandboxSeed) : undefined;
  const sandbox = await startSandbox({
    port: numberOption('port', values.port),
    seed,
    faults: faultsFrom(numberOption('latency', values.latency), numberOption('fault-rate', values['fault-rate']), numberOption('fault-seed', values['fault-seed'])),
  });
  console.log(`Mailchimp sandbox listening on ${sandbox.url} (API base ${sandbox.baseUrl})`);
  const stop = (): void => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`mailchimp-sandbox: ${error instanceof Error ? error.message : String(error)}`);
  console.error(USAGE);
  process.exit(1);
});
