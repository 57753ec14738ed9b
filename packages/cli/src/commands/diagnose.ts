import { diagnose, resync, type Diagnosis, type DiagnosisSources, type ResyncOutcome } from '@cdp/runtime';
import { isValidEmail, normalizeEmail } from '@cdp/sdk';
import { readCatalogFile } from '../catalog-file.js';
import type { Handler } from '../command-kit.js';
import { findConnection, readConnectionPaths } from '../connection-files.js';
import { CONNECTORS, validateConnectionFile } from '../connectors.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { connectionSource, withHost } from '../host.js';
import { renderTable } from '../table.js';

interface DiagnoseFlags {
  resync?: boolean;
  json?: boolean;
}

/** `cdp diagnose <connection-id> <email>`: everything the connection knows about one email, and a re-sync. */
export const diagnoseCommand: Handler<DiagnoseFlags, [string, string]> = async ({ ctx, globals, options }, connectionId, email) => {
  if (!isValidEmail(normalizeEmail(email))) throw new CliError(`"${email}" is not a valid email address`, ExitCode.badInput);
  const file = findConnection(await readConnectionPaths(globals.connections), connectionId);
  const catalog = await readCatalogFile(globals.catalog);
  const connection = await validateConnectionFile(file, catalog.catalog);
  return withHost(ctx, { catalog, connections: connectionSource([file]) }, async ({ stores, service }) => {
    const connector = CONNECTORS.find((candidate) => candidate.id === connection.connector)!;
    const session = await connector.connect(connection.auth, { secret: (ref) => ctx.secrets.secret(ref), logger: ctx.logger });
    try {
      await session.check();
      const sources: DiagnosisSources = { connection, profiles: stores.profiles, state: stores.state, session, service };
      const outcomes = options.resync ? await resync(sources, email) : undefined;
      const diagnosis = await diagnose(sources, email);
      if (options.json) ctx.output.json({ ...diagnosis, ...(outcomes ? { resync: outcomes } : {}) });
      else printDiagnosis(ctx, diagnosis, outcomes);
      const resyncFailed = outcomes?.some((outcome) => outcome.outcome === 'failed') ?? false;
      return resyncFailed ? ExitCode.runFailed : ExitCode.ok;
    } finally {
      await session.close();
    }
  });
};

function printDiagnosis({ output }: CliContext, diagnosis: Diagnosis, outcomes: ResyncOutcome[] | undefined): void {
  const { profile } = diagnosis;
  output.line(`${diagnosis.email} through ${diagnosis.connectionId} (member id ${diagnosis.memberId})`);
  output.line('');
  if (profile) {
    output.line(`Profile:     ${profile.id} (updated ${profile.updatedAt.toISOString()})`);
    output.line(`Consent:     ${profile.consent.objectives.join(', ') || 'none'}` + (diagnosis.consentedObjectives.length > 0 ? ` (matches ${diagnosis.consentedObjectives.join(', ')})` : ' (matches none of the connection: never processed)'));
    output.line(`Segments:    ${profile.segments.join(', ') || 'none'}`);
    output.line(`Lifecycles:  ${profile.lifecycles.map((p) => `${p.lifecycle}:${p.stage}`).join(', ') || 'none'}`);
  } else {
    output.line('Profile:     none has this email');
  }
  for (const goal of diagnosis.exportGoals) output.line(`Export goal ${goal.goalId} (segment ${goal.segment}): ${goal.verdict}`);
  output.line('');
  output.line(
    renderTable(
      [{ header: 'Goal' }, { header: 'Audience' }, { header: 'Member status' }, { header: 'Last sent' }, { header: 'Error' }],
      diagnosis.audiences.map((audience) => [
        audience.goalId,
        audience.audienceId,
        audience.memberStatus,
        audience.lastSent?.at.toISOString() ?? '-',
        audience.lastSent?.error ?? '',
      ]),
    ),
  );
  for (const audience of diagnosis.audiences) {
    if (audience.lastSent) output.line(`Last payload ${audience.goalId} / ${audience.audienceId}: ${JSON.stringify(audience.lastSent.payload)}`);
  }
  output.line('');
  const last = diagnosis.lastError;
  output.line(last ? `Last error:  ${last.reason} (run ${last.runId}, goal ${last.goalId}, ${last.at.toISOString()})` : 'Last error:  none in the recent runs');
  if (outcomes) {
    output.line('');
    for (const outcome of outcomes) output.line(`Re-sync ${outcome.goalId} / ${outcome.audienceId}: ${outcome.outcome}${outcome.reason ? ` (${outcome.reason})` : ''}`);
  }
}
