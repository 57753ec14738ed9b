import { startEmbeddedMongo } from '@cdp/store-mongodb';
import type { Command } from 'commander';
import { action, type CommandHost } from '../command-kit.js';
import { ExitCode } from '../exit-codes.js';
import { interrupted } from '../signals.js';

interface StartFlags {
  database: string;
}

/** `cdp db start`: the embedded MongoDB-compatible server in the foreground, for other commands to use. */
export function registerDb(program: Command, host: CommandHost): void {
  const db = program.command('db').description('the embedded in-memory MongoDB-compatible server');
  db.command('start')
    .description('run the embedded MongoDB-compatible server on 127.0.0.1 until interrupted (Ctrl-C); its data lives in memory only')
    .option('--database <name>', 'the database the printed URI names', 'cdp')
    .action(
      action<StartFlags, []>(host, async ({ ctx, options }) => {
        const stopRequested = interrupted();
        const mongo = await startEmbeddedMongo(options.database);
        ctx.output.line(`MongoDB-compatible server listening on ${mongo.uri}`);
        ctx.output.line(`  in another shell: export MONGODB_URI=${mongo.uri}`);
        ctx.output.line('  its data is lost when it stops (Ctrl-C)');
        await stopRequested;
        await mongo.stop();
        return ExitCode.ok;
      }),
    );
}
