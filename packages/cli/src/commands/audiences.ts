import type { AudienceInfo } from '@cdp/sdk';
import { readCatalogFile } from '../catalog-file.js';
import type { Handler } from '../command-kit.js';
import { readConnectionFile } from '../connection-files.js';
import { validateConnectionFile, withSession } from '../connectors.js';
import { envValue } from '../env.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatCount, renderTable } from '../table.js';

interface AudiencesFlags {
  connection?: string;
  json?: boolean;
}

/** The key `cdp audiences` uses when no connection file is given. */
const API_KEY_VARIABLE = 'MAILCHIMP_API_KEY';

/** `cdp audiences`: the audiences and merge fields the API key can see. */
export const audiences: Handler<AudiencesFlags, []> = async ({ ctx, globals, options }) => {
  const auth = options.connection ? await connectionAuth(options.connection, globals.catalog) : defaultAuth(ctx.env);
  const audiences = await withSession(ctx, 'mailchimp', auth, (session) => session.audiences());
  if (options.json) ctx.output.json(audiences);
  else ctx.output.line(renderAudiences(audiences));
  return ExitCode.ok;
};

async function connectionAuth(path: string, catalogPath: string): Promise<unknown> {
  const { catalog } = await readCatalogFile(catalogPath);
  return (await validateConnectionFile(await readConnectionFile(path), catalog)).auth;
}

function defaultAuth(env: NodeJS.ProcessEnv): unknown {
  if (envValue(env, API_KEY_VARIABLE) === undefined) {
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
