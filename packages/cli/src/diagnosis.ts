import {
  buildMemberPayload,
  hasConsent,
  normalizeEmail,
  payloadHash,
  subscriberHash,
  type Connection,
  type ConnectorSession,
  type ExportGoal,
  type MemberResult,
  type Profile,
  type ProfileStore,
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
    exportGoals: exportGoals.map((goal) => ({ goalId: goal.id, segment: goal.segment, verdict: profile ? exportVerdict(profile, goal, connection) : 'no profile with this email' })),
    audiences,
    ...(await lastError(state, connection.id, [email, rawEmail, ...(profile ? [profile.id] : [])])),
  };
}

export interface ResyncOutcome {
  goalId: string;
  audienceId: string;
  outcome: MemberResult['outcome'] | 'not sent';
  reason?: string;
}

/**
 * Pushes one profile now to every audience of every export goal it qualifies for (segment, stage, consent,
 * identifier), and records what was sent so the next run sees it as unchanged. The caller holds the run lock.
 */
export async function resync(sources: DiagnosisSources, rawEmail: string): Promise<ResyncOutcome[]> {
  const { connection, session, state } = sources;
  const profile = await findProfile(sources, rawEmail);
  const outcomes: ResyncOutcome[] = [];
  for (const goal of connection.goals) {
    if (goal.kind !== 'export') continue;
    const verdict = profile ? exportVerdict(profile, goal, connection) : 'no profile with this email';
    if (!profile || verdict !== QUALIFIES) {
      outcomes.push(...goal.audiences.map((audienceId) => ({ goalId: goal.id, audienceId, outcome: 'not sent' as const, reason: verdict })));
      continue;
    }
    const { payload } = buildMemberPayload(profile, goal, normalizeEmail(rawEmail));
    for (const audienceId of goal.audiences) {
      const [result] = await session.members.upsertMembers(audienceId, [payload], {
        createMembers: goal.createMembers ?? true,
        newMemberStatus: goal.newMemberStatus ?? 'subscribed',
      });
      const failed = result.outcome !== 'created' && result.outcome !== 'updated';
      await state.putSent(connection.id, goal.id, audienceId, [
        { memberId: payload.memberId, profileId: profile.id, hash: payloadHash(payload), payload, sentAt: new Date(), ...(failed ? { lastError: `${result.outcome}: ${result.reason ?? 'no reason given'}` } : {}) },
      ]);
      if (!failed) await state.addExchanged(connection.id, 'exported', [profile.id]);
      outcomes.push({ goalId: goal.id, audienceId, outcome: result.outcome, ...(result.reason ? { reason: result.reason } : {}) });
    }
  }
  return outcomes;
}

const QUALIFIES = 'qualifies';

/** Why an export goal would (not) send this profile, with the engine's filters in the engine's order. */
function exportVerdict(profile: Profile, goal: ExportGoal, connection: Connection): string {
  if (!profile.segments.includes(goal.segment)) return `not in segment ${goal.segment}`;
  const stage = goal.lifecycleStage;
  if (stage && !profile.lifecycles.some((p) => p.lifecycle === stage.lifecycle && p.stage === stage.stage)) {
    return `not at lifecycle stage ${stage.lifecycle}:${stage.stage}`;
  }
  if (!hasConsent(profile, connection.objectives)) return `no consent to any of ${connection.objectives.join(', ')}`;
  if (!profile.properties[goal.identifier]?.length) return `no ${goal.identifier}`;
  return QUALIFIES;
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

/** The member's status per audience, read from the audience's member list. */
async function memberStatuses(session: ConnectorSession, audienceIds: string[], memberId: string): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  for (const audienceId of audienceIds) {
    for await (const page of session.members.listMembers(audienceId)) {
      const member = page.find((candidate) => candidate.id === memberId);
      if (member) {
        statuses.set(audienceId, member.status);
        break;
      }
    }
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
