import { diagnose, resync, type DiagnosisSources } from '@cdp/runtime';
import { isValidEmail, normalizeEmail } from '@cdp/sdk';
import { formField } from '../access.js';
import type { ConsoleApp, ConsoleContext } from '../console.js';
import { diagnosisPage, type DiagnosisView } from '../pages/diagnosis.js';
import { audiencesPage } from '../pages/audiences.js';
import { withSession } from '../sessions.js';

/** Pages that ask the connection's account: a diagnosis of one email (with its re-sync), the audiences. */
export function accountRoutes(app: ConsoleApp, context: ConsoleContext): void {
  const { service, stores } = context;

  /** The diagnosis of `email`, after re-syncing it when asked: the same functions as `cdp diagnose [--resync]`. */
  async function diagnosisView(connectionId: string, email: string | undefined, resyncFirst: boolean): Promise<DiagnosisView> {
    if (!email) return { connectionId };
    if (!isValidEmail(normalizeEmail(email))) return { connectionId, email, error: `"${email}" is not a valid email address` };
    const connection = await service.connection(connectionId);
    return withSession(context, connection, async (session) => {
      const sources: DiagnosisSources = { connection, profiles: stores.profiles, state: stores.state, session, service };
      const outcomes = resyncFirst ? await resync(sources, email) : undefined;
      return { connectionId, email, outcomes, diagnosis: await diagnose(sources, email) };
    });
  }

  app.get('/connections/:id/diagnose', async (c) =>
    c.html(diagnosisPage(await diagnosisView(c.req.param('id'), c.req.query('email'), false), c.get('session').csrf)),
  );

  app.post('/connections/:id/resync', async (c) =>
    c.html(diagnosisPage(await diagnosisView(c.req.param('id'), await formField(c, 'email'), true), c.get('session').csrf)),
  );

  app.get('/connections/:id/audiences', async (c) => {
    const connectionId = c.req.param('id');
    const audiences = await withSession(context, await service.connection(connectionId), (session) => session.audiences());
    return c.html(audiencesPage(connectionId, audiences, c.get('session').csrf));
  });
}
