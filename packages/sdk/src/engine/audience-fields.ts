import type { ExportGoal } from '../config/generated-types.js';
import type { MemberPayload } from '../connector.js';
import { CdpError } from '../errors.js';
import type { GoalContext } from './goal-context.js';

/** The ids, in one audience, of the interests and marketing permissions a goal names. */
export interface AudienceFieldIds {
  /** Keyed by `interestKey(category, interest)`. */
  interests: Map<string, string>;
  /** Keyed by the name the goal uses (an id or a text). */
  permissions: Map<string, string>;
}

export const interestKey = (category: string, interest: string): string => JSON.stringify([category, interest]);

/**
 * Looks up, per audience, the ids of the interests and marketing permissions the goal names (ids differ from
 * audience to audience). Anything the audience lacks fails the goal before it writes, naming what is missing and
 * what the audience has; undefined when the goal names neither.
 */
export async function resolveAudienceFields(ctx: GoalContext, goal: ExportGoal): Promise<Map<string, AudienceFieldIds> | undefined> {
  if (!goal.interests && !goal.marketingPermissions) return undefined;
  const resolved = new Map<string, AudienceFieldIds>();
  for (const audienceId of goal.audiences) {
    resolved.set(audienceId, {
      interests: goal.interests ? await interestIds(ctx, goal, audienceId) : new Map(),
      permissions: goal.marketingPermissions ? await permissionIds(ctx, goal, audienceId) : new Map(),
    });
  }
  return resolved;
}

async function interestIds(ctx: GoalContext, goal: ExportGoal, audienceId: string): Promise<Map<string, string>> {
  const members = ctx.session.members;
  if (!members.interestCategories) throw new CdpError('unsupported', `connector ${ctx.connection.connector} does not support interests`);
  const ids = new Map<string, string>();
  const categories = await members.interestCategories(audienceId);
  for (const category of categories) for (const interest of category.interests) ids.set(interestKey(category.title, interest.name), interest.id);
  const missing = [...new Set((goal.interests ?? []).map((m) => interestKey(m.category, m.interest)))].filter((key) => !ids.has(key));
  if (missing.length > 0) {
    const name = (key: string): string => (JSON.parse(key) as string[]).join(' › ');
    const has = [...ids.keys()].map(name);
    throw new CdpError(
      'missing_interests',
      `audience ${audienceId} lacks the interests ${missing.map(name).join(', ')} (category › interest); it has ${has.length > 0 ? has.join(', ') : 'none'}`,
    );
  }
  return ids;
}

async function permissionIds(ctx: GoalContext, goal: ExportGoal, audienceId: string): Promise<Map<string, string>> {
  const members = ctx.session.members;
  if (!members.marketingPermissions) throw new CdpError('unsupported', `connector ${ctx.connection.connector} does not support marketing permissions`);
  const permissions = await members.marketingPermissions(audienceId);
  const names = [...new Set((goal.marketingPermissions ?? []).map((m) => m.permission))];
  const ids = new Map<string, string>();
  // Undefined: the audience has no member to read them from yet; the connector looks them up once it has.
  if (permissions === undefined) return ids;
  for (const name of names) {
    const found = permissions.find((p) => p.id === name) ?? permissions.find((p) => p.text.toLowerCase() === name.toLowerCase());
    if (found) ids.set(name, found.id);
  }
  const missing = names.filter((name) => !ids.has(name));
  if (missing.length > 0) {
    const has = permissions.map((p) => `${p.text} (${p.id})`);
    throw new CdpError(
      'missing_marketing_permissions',
      `audience ${audienceId} has no marketing permission ${missing.map((name) => `"${name}"`).join(', ')}; it has ${has.length > 0 ? has.join(', ') : 'none (enable GDPR fields in the audience)'}`,
    );
  }
  return ids;
}

/** The payloads with the audience's ids filled in; the goal's payloads (hashed and recorded) stay as they are. */
export function withAudienceIds(payloads: MemberPayload[], ids: AudienceFieldIds | undefined): MemberPayload[] {
  if (!ids) return payloads;
  return payloads.map((payload) => ({
    ...payload,
    ...(payload.interests && { interests: payload.interests.map((i) => ({ ...i, id: ids.interests.get(interestKey(i.category, i.interest)) })) }),
    ...(payload.marketingPermissions && { marketingPermissions: payload.marketingPermissions.map((p) => ({ ...p, id: ids.permissions.get(p.permission) })) }),
  }));
}
