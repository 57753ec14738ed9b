import type { ExportGoal } from '../config/generated-types.js';
import { normalizeEmail } from '../identifiers.js';
import type { AudienceTally } from './audience-tally.js';
import type { GoalContext } from './goal-context.js';
import { emailOf } from './qualify.js';

type Exclusions = NonNullable<ExportGoal['excludeEmails']>;

/** Default share of the segment above which a dry run warns about a pattern. */
export const DEFAULT_WARN_SHARE = 0.1;

interface CompiledPattern {
  pattern: string;
  regex: RegExp;
}

const compiled = new WeakMap<Exclusions, CompiledPattern[]>();

/**
 * A pattern as a regular expression over a normalised email: `*` is any run of characters, everything else is
 * literal, case-insensitive; an empty side of the `@` stands for any (`noreply@` is `noreply@*`).
 */
export function compilePattern(pattern: string): RegExp {
  const at = pattern.indexOf('@');
  const local = pattern.slice(0, at) || '*';
  const domain = pattern.slice(at + 1) || '*';
  const glob = (part: string): string => part.split('*').map((text) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${glob(normalizeEmail(local))}@${glob(normalizeEmail(domain))}$`, 'u');
}

function patternsOf(exclusions: Exclusions): CompiledPattern[] {
  let patterns = compiled.get(exclusions);
  if (!patterns) {
    patterns = exclusions.patterns.map((pattern) => ({ pattern, regex: compilePattern(pattern) }));
    compiled.set(exclusions, patterns);
  }
  return patterns;
}

/** The first of the goal's exclusion patterns a (normalised) email matches, if any. */
export function excludedBy(goal: Pick<ExportGoal, 'excludeEmails'>, email: string): string | undefined {
  if (!goal.excludeEmails) return undefined;
  return patternsOf(goal.excludeEmails).find(({ regex }) => regex.test(email))?.pattern;
}

/**
 * For a dry run: counts, over the whole segment (whatever the delta), how many profiles with a valid email each
 * pattern matches, and warns in every audience's report about a pattern matching more than `warnAboveShare` of
 * them: such a rule is more likely a mistake (`*@gmail.com` for `*@gmail.co`) than a wish.
 */
export async function warnAboutBroadExclusions(ctx: GoalContext, goal: ExportGoal, tallies: AudienceTally[]): Promise<void> {
  if (!goal.excludeEmails) return;
  const patterns = patternsOf(goal.excludeEmails);
  const matches = new Map(patterns.map(({ pattern }) => [pattern, 0]));
  let emails = 0;
  for await (const profiles of ctx.profiles.streamSegment({ segment: goal.segment, batchSize: goal.batchSize ?? 500 })) {
    for (const profile of profiles) {
      const found = emailOf(profile, goal.identifier);
      if (!('email' in found)) continue;
      emails++;
      for (const { pattern, regex } of patterns) if (regex.test(found.email)) matches.set(pattern, matches.get(pattern)! + 1);
    }
  }
  const share = goal.excludeEmails.warnAboveShare ?? DEFAULT_WARN_SHARE;
  const percent = (n: number): string => `${Math.round((n / emails) * 1000) / 10}%`;
  const warnings = [...matches]
    .filter(([, count]) => emails > 0 && count / emails > share)
    .map(([pattern, count]) => `exclusion pattern "${pattern}" matches ${count} of the segment's ${emails} emails (${percent(count)}, more than ${Math.round(share * 1000) / 10}%)`);
  if (warnings.length === 0) return;
  for (const tally of tallies) tally.report.warnings = [...(tally.report.warnings ?? []), ...warnings];
}
