import { assertValidSeed, startSandbox, type SandboxSeed } from '@cdp/mailchimp-sandbox';
import type { Handler } from '../command-kit.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { readJsonFile } from '../read-json.js';
import { interrupted } from '../signals.js';

interface SandboxFlags {
  port: string;
  seed?: string;
}

/** `cdp sandbox`: the Mailchimp sandbox on its own, until interrupted. */
export const sandbox: Handler<SandboxFlags, []> = async ({ ctx, options }) => {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port must be a port number, got "${options.port}"`, ExitCode.badInput);
  const seed = options.seed ? await readSeed(options.seed) : undefined;
  const stopRequested = interrupted();
  const sandbox = await startSandbox({ port, seed });
  ctx.output.line(`Mailchimp sandbox listening on ${sandbox.url}`);
  ctx.output.line(`  MAILCHIMP_BASE_URL=${sandbox.baseUrl}`);
  ctx.output.line(seed?.apiKeys?.length ? `  accepted API keys: ${seed.apiKeys.length} from the seed` : '  any well-formed API key (<32 hex digits>-us1) is accepted');
  await stopRequested;
  await sandbox.close();
  return ExitCode.ok;
};

/** Reads and checks a seed file; a bad seed lists its problems and starts nothing. */
export async function readSeed(path: string): Promise<SandboxSeed> {
  const seed = await readJsonFile(path, 'sandbox seed');
  try {
    assertValidSeed(seed);
  } catch (error) {
    throw new CliError(`${path}: ${(error as Error).message}`, ExitCode.badInput);
  }
  return seed;
}
