import { startEmbeddedMongo } from '@cdp/store-mongodb';
import type { Handler } from '../command-kit.js';
import { ExitCode } from '../exit-codes.js';
import { interrupted } from '../signals.js';

interface StartFlags {
  database: string;
}

/** `cdp db start`: the embedded MongoDB-compatible server in the foreground, for other commands to use. */
export const startDb: Handler<StartFlags, []> = async ({ ctx, options }) => {
  const stopRequested = interrupted();
  const mongo = await startEmbeddedMongo(options.database);
  ctx.output.line(`MongoDB-compatible server listening on ${mongo.uri}`);
  ctx.output.line(`  in another shell: export MONGODB_URI=${mongo.uri}`);
  ctx.output.line('  its data is lost when it stops (Ctrl-C)');
  await stopRequested;
  await mongo.stop();
  return ExitCode.ok;
};
