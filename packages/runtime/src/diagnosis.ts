import type { RunService } from './run-service.js';
import {
  normalizeEmail,
  subscriberHash,
  type AudienceReport,
  type Connection,
  type ConnectorSession,
  type ExportGoal,
  type Profile,
  type ProfileStore,
  type RunReport,
  type StateStore,
} from '@cdp/sdk';

/** What one export goal last did for the member in one audience. */
export interface AudienceDiagnosis {
  goalId: string;
  audienceId: string;
  /** The member's status in Mailchimp, or `absent` (no member, or archived). */
  memberStatus: string;
  lastSent?: { at: Date; payload: unknown; error?: string };
}

/** One email seen through a connection: its profile, consent, segments, members and last error. */
export interface Diagnosis {
  connectionId: string;
  email: string;
  memberId: string;
  profile?: Pick<Profile, 'id' | 'segments' | 'lifecycles' | 'consent' | 'updatedAt'>;
  /** The connection's objectives the profile consented to; empty means the connection never touches it. */
  consentedObjectives: string[];
  /** Per export goal: whether the profile qualifies, or why not. */
  exportGoals: { goalId: string; segment: string; verdict: string }[];
  audiences: AudienceDiagnosis[];
  /** The newest failure recorded for this email or profile in the run history. */
  lastError?: { runId: string; at: Date; goalId: string; reason: string };
}

export interface DiagnosisSources {
  connection: Connection;
  profiles: ProfileStore;
  state: StateStore;
  session: ConnectorSession;
  /** Verdicts and re-syncs go through the run engine, so they apply exactly the filters a run applies. */
  service: RunService;
}

/** Runs searched for the last error. */
const HISTORY_DEPTH = 50;

export async function diagnose(sources: DiagnosisSources, rawEmail: string): Promise<Diagnosis> {
  const { connection, state } = sources;
  const email = normalizeEmail(rawEmail);
  const memberId = subscriberHash(email);
  const profile = await findProfile(sources, rawEmail);
  const exportGoals = connection.goals.filter((goal): goal is ExportGoal => goal.kind === 'export');
  const statuses = await memberStatuses(sources.session, audiencesOf(connection), memberId);
  const verdicts = profile ? await sources.service.test(connection.id, { profileIds: [profile.id], full: true }) : undefined;

  const audiences: AudienceDiagnosis[] = [];
  for (const goal of exportGoals) {
    for (const audienceId of goal.audiences) {
      const sent = (await state.getSent(connection.id, goal.id, audienceId, [memberId])).get(memberId);
      audiences.push({
        goalId: goal.id,
        audienceId,
        memberStatus: statuses.get(audienceId) ?? 'absent',
        ...(sent ? { lastSent: { at: sent.sentAt, payload: sent.payload, ...(sent.lastError ? { error: sent.lastError } : {}) } } : {}),
      });
    }
  }
  for (const goal of connection.goals) {
    if (goal.kind !== 'import') continue;
    for (const { id } of goal.audiences) audiences.push({ goalId: goal.id, audienceId: id, memberStatus: statuses.get(id) ?? 'absent' });
  }

  return {
    connectionId: connection.id,
    email,
    memberId,
    ...(profile ? { profile: { id: profile.id, segments: profile.segments, lifecycles: profile.lifecycles, consent: profile.consent, updatedAt: profile.updatedAt } } : {}),
    consentedObjectives: profile ? connection.objectives.filter((objective) => profile.consent.objectives.includes(objective)) : [],
    exportGoals: exportGoals.map((goal) => ({ goalId: goal.id, segment: goal.segment, verdict: verdictOf(goal, verdicts) })),
    audiences,
    ...(await lastError(state, connection.id, [email, rawEmail, ...(profile ? [profile.id] : [])])),
  };
}

export interface ResyncOutcome {
  goalId: string;
  audienceId: string;
  outcome: 'created' | 'updated' | 'failed' | 'not sent';
  reason?: string;
}

/**
 * Pushes one profile now to every audience of every export goal it qualifies for: a run of the connection
 * restricted to that profile (same lock, filters, records and history as any run), sent even when unchanged.
 */
export async function resync(sources: DiagnosisSources, rawEmail: string): Promise<ResyncOutcome[]> {
  const profile = await findProfile(sources, rawEmail);
  const exportGoals = sources.connection.goals.filter((goal): goal is ExportGoal => goal.kind === 'export');
  if (!profile) {
    return exportGoals.flatMap((goal) => goal.audiences.map((audienceId) => ({ goalId: goal.id, audienceId, outcome: 'not sent' as const, reason: 'no profile with this email' })));
  }
  const report = await sources.service.runNow(sources.connection.id, { profileIds: [profile.id], full: true });
  return report.goals.flatMap((goal) =>
    goal.audiences.map((audience): ResyncOutcome => ({ goalId: goal.goalId, audienceId: audience.audienceId, ...resyncOutcome(audience, goal.error) })),
  );
}

function resyncOutcome(audience: AudienceReport, goalError: string | undefined): Pick<ResyncOutcome, 'outcome' | 'reason'> {
  if (audience.created > 0) return { outcome: 'created' };
  if (audience.updated > 0) return { outcome: 'updated' };
  if (audience.failed > 0 || goalError) return { outcome: 'failed', reason: audience.failures[0]?.reason ?? goalError };
  return { outcome: 'not sent', reason: skipReasons(audience) };
}

/** Why an export goal would (not) send the profile, as the engine's dry run of that one profile says. */
function verdictOf(goal: ExportGoal, dryRun: RunReport | undefined): string {
  if (!dryRun) return 'no profile with this email';
  const report = dryRun.goals.find((candidate) => candidate.goalId === goal.id);
  if (!report) return 'goal disabled';
  if (report.error) return `goal fails: ${report.error}`;
  const audience = report.audiences[0];
  if (!audience || audience.selected === 0) return `not in segment ${goal.segment}`;
  if (audience.created + audience.updated > 0) return QUALIFIES;
  return skipReasons(audience);
}

const QUALIFIES = 'qualifies';

function skipReasons(audience: AudienceReport): string {
  const reasons = Object.keys(audience.skipped);
  return reasons.length > 0 ? `skipped: ${reasons.join(', ')}` : 'nothing to send';
}

/** The profile whose identifier property (of any goal) holds the email, as typed or normalised. */
async function findProfile({ connection, profiles }: DiagnosisSources, rawEmail: string): Promise<Profile | undefined> {
  const values = [...new Set([rawEmail.trim(), normalizeEmail(rawEmail)])];
  for (const property of new Set(connection.goals.map((goal) => goal.identifier))) {
    const [found] = await profiles.findByIdentifier(property, values);
    if (found) return found;
  }
  return undefined;
}

function audiencesOf(connection: Connection): string[] {
  return [...new Set(connection.goals.flatMap((goal) => (goal.kind === 'export' ? goal.audiences : goal.audiences.map((a) => a.id))))];
}

/** The member's status per audience: one lookup each. */
async function memberStatuses(session: ConnectorSession, audienceIds: string[], memberId: string): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  for (const audienceId of audienceIds) {
    const status = (await session.members.memberStatuses(audienceId, [memberId])).get(memberId);
    if (status !== undefined) statuses.set(audienceId, status);
  }
  return statuses;
}

async function lastError(state: StateStore, connectionId: string, records: string[]): Promise<Pick<Diagnosis, 'lastError'>> {
  for (const run of await state.listRuns({ connectionId, limit: HISTORY_DEPTH })) {
    for (const goal of run.goals) {
      for (const audience of goal.audiences) {
        const failure = audience.failures.find((candidate) => records.includes(candidate.record));
        if (failure) return { lastError: { runId: run.runId, at: run.startedAt, goalId: goal.goalId, reason: failure.reason } };
      }
    }
  }
  return {};
}
