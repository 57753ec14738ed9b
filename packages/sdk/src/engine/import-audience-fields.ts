import type { ImportGoal } from '../config/generated-types.js';
import type { SourceMember } from '../connector.js';
import { CdpError } from '../errors.js';
import type { GoalContext } from './goal-context.js';

/** Where the names of a member's interests per category are put among its fields, for the mappings to read. */
const INTEREST_NAMES = 'interest_names';

/** An import goal as it reads one audience: interest mappings pointed at the audience's categories. */
export interface AudienceImport {
  goal: ImportGoal;
  /** The member with, per mapped category, the names of the interests it is in. */
  decorate(members: SourceMember[]): SourceMember[];
}

/**
 * Mappings `{ from: "interests", category }` read the names of the category's interests the member is in. Member
 * fields carry interest ids only (`interests: { id: true }`), so the audience's categories are read once and
 * each such mapping reads `interest_names.<category id>`, which `decorate` fills in. A category the audience
 * lacks fails the goal, naming those it has.
 */
export async function audienceImport(ctx: GoalContext, goal: ImportGoal, audienceId: string): Promise<AudienceImport> {
  const wanted = goal.mappings.filter((mapping) => mapping.from === 'interests' && mapping.category !== undefined);
  if (wanted.length === 0) return { goal, decorate: (members) => members };
  const members = ctx.session.members;
  if (!members.interestCategories) throw new CdpError('unsupported', `connector ${ctx.connection.connector} does not support interests`);
  const categories = await members.interestCategories(audienceId);
  const byTitle = new Map(categories.map((category) => [category.title, category]));
  const missing = [...new Set(wanted.map((mapping) => mapping.category!))].filter((title) => !byTitle.has(title));
  if (missing.length > 0) {
    throw new CdpError(
      'missing_interests',
      `audience ${audienceId} has no interest category ${missing.map((title) => `"${title}"`).join(', ')}; it has ${categories.map((c) => `"${c.title}"`).join(', ') || 'none'}`,
    );
  }
  const used = [...new Set(wanted.map((mapping) => byTitle.get(mapping.category!)!))];
  const mappings = goal.mappings.map((mapping) =>
    mapping.from === 'interests' && mapping.category !== undefined ? { ...mapping, from: `${INTEREST_NAMES}.${byTitle.get(mapping.category)!.id}` } : mapping,
  );
  const decorate = (page: SourceMember[]): SourceMember[] =>
    page.map((member) => {
      const chosen = (member.fields.interests ?? {}) as Record<string, unknown>;
      const names = Object.fromEntries(used.map((category) => [category.id, category.interests.filter((i) => chosen[i.id] === true).map((i) => i.name)]));
      return { ...member, fields: { ...member.fields, [INTEREST_NAMES]: names } };
    });
  return { goal: { ...goal, mappings }, decorate };
}

/**
 * The objectives a member's marketing permissions grant, as the goal's `marketingPermissions` maps them: only
 * permissions the member has enabled (opt-in), matched by id or text.
 */
export function permissionGrants(goal: ImportGoal, member: SourceMember): string[] {
  if (!goal.marketingPermissions) return [];
  const raw = member.fields.marketing_permissions;
  if (!Array.isArray(raw)) return [];
  const enabled = (raw as { marketing_permission_id?: unknown; text?: unknown; enabled?: unknown }[]).filter((p) => p?.enabled === true);
  const matches = (name: string): boolean =>
    enabled.some((p) => p.marketing_permission_id === name || (typeof p.text === 'string' && p.text.toLowerCase() === name.toLowerCase()));
  return goal.marketingPermissions.filter(({ permission }) => matches(permission)).map(({ objective }) => objective);
}
