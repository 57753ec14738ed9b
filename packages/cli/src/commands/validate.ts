import { validateConnection } from '@cdp/sdk';
import type { Command } from 'commander';
import { readCatalogFile } from '../catalog-file.js';
import { action, type CommandHost } from '../command-kit.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { CONNECTORS } from '../host.js';
import { readJsonFile } from '../read-json.js';

/** `cdp validate <connection.json…>`: schema and semantic checks, every problem listed; reads and writes nothing else. */
export function registerValidate(program: Command, host: CommandHost): void {
  program
    .command('validate')
    .description('check connection files against the schemas, the connector and the catalog, listing every problem')
    .argument('<connection.json...>', 'connection files')
    .action(
      action<object, [string[]]>(host, async ({ ctx, globals }, paths) => {
        const { catalog } = await readCatalogFile(globals.catalog);
        let invalid = 0;
        for (const path of paths) {
          let result;
          try {
            const raw = await readJsonFile(path, 'connection file');
            result = await validateConnection(raw, { catalog, connectors: CONNECTORS });
          } catch (error) {
            if (!(error instanceof CliError)) throw error;
            invalid++;
            ctx.output.message(error.message);
            continue;
          }
          if (result.ok) {
            ctx.output.line(`${path}: valid (connection "${result.connection.id}", ${result.connection.goals.length} goals)`);
            continue;
          }
          invalid++;
          const count = result.problems.length;
          ctx.output.message(`${path}: ${count} problem${count === 1 ? '' : 's'}`);
          for (const problem of result.problems) ctx.output.message(`  ${problem.pointer || '/'}: ${problem.message}`);
        }
        return invalid === 0 ? ExitCode.ok : ExitCode.badInput;
      }),
    );
}
