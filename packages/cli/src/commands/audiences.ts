import type { AudienceInfo } from '@cdp/sdk';
import type { Command } from 'commander';
import { readCatalogFile } from '../catalog-file.js';
import { action, type CommandHost } from '../command-kit.js';
import { readConnectionFile } from '../connection-files.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { CONNECTORS, validateConnectionFile } from '../host.js';
import { formatCount, renderTable } from '../table.js';

interface AudiencesFlags {
  connection?: string;
  json?: boolean;
}

/** The key `cdp audiences` uses when no connection file is given. */
const API_KEY_VARIABLE = 'MAILCHIMP_API_KEY';

/** `cdp audiences`: the audiences and merge fields the API key can see. */
export function registerAudiences(program: Command, host: CommandHost): void {
  program
    .command('audiences')
    .description(`the Mailchimp audiences and merge fields the API key (${API_KEY_VARIABLE}, or a connection's auth) can see`)
    .option('--connection <file>', "use this connection's credentials instead of MAILCHIMP_API_KEY")
    .option('--json', 'print the audiences as JSON')
    .action(
      action<AudiencesFlags, []>(host, async ({ ctx, globals, options }) => {
        const auth = options.connection ? await connectionAuth(options.connection, globals.catalog) : defaultAuth(ctx.env);
        const mailchimp = CONNECTORS.find((connector) => connector.id === 'mailchimp')!;
        const session = await mailchimp.connect(auth, { secret: (ref) => ctx.secrets.secret(ref), logger: ctx.logger });
        try {
          await session.check();
          const audiences = await session.audiences();
          if (options.json) ctx.output.json(audiences);
          else ctx.output.line(renderAudiences(audiences));
        } finally {
          await session.close();
        }
        return ExitCode.ok;
      }),
    );
}

async function connectionAuth(path: string, catalogPath: string): Promise<unknown> {
  const { catalog } = await readCatalogFile(catalogPath);
  return (await validateConnectionFile(await readConnectionFile(path), catalog)).auth;
}

function defaultAuth(env: NodeJS.ProcessEnv): unknown {
  if (!env[API_KEY_VARIABLE]) {
    throw new CliError(`${API_KEY_VARIABLE} is not set: set it to a Mailchimp API key, or pass --connection <file>`, ExitCode.badInput);
  }
  return { apiKey: { env: API_KEY_VARIABLE } };
}

function renderAudiences(audiences: AudienceInfo[]): string {
  if (audiences.length === 0) return 'The API key sees no audiences.';
  const table = renderTable(
    [{ header: 'Audience' }, { header: 'Name' }, { header: 'Members', align: 'right' }, { header: 'Double opt-in' }, { header: 'Merge fields' }],
    audiences.map((audience) => [
      audience.id,
      audience.name,
      formatCount(audience.memberCount),
      audience.doubleOptIn ? 'yes' : 'no',
      audience.fields.map((field) => `${field.tag} (${field.type})`).join(', '),
    ]),
  );
  return table;
}
