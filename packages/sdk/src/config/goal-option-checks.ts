import type { ConfigProblem } from '../errors.js';
import type { Connection, ExportGoal } from './generated-types.js';
import type { CatalogSnapshot } from './reference-checks.js';
import { didYouMean } from './suggest.js';

export type ExportWriteMode = NonNullable<ExportGoal['writeMode']>;

/**
 * The goal's write mode: `writeMode`, or what the former `createMembers` switch says (false: update only), or
 * create-and-update by default.
 */
export function writeModeOf(goal: Pick<ExportGoal, 'writeMode' | 'createMembers'>): ExportWriteMode {
  return goal.writeMode ?? (goal.createMembers === false ? 'updateOnly' : 'createAndUpdate');
}

/**
 * Problems of the options that name audience fields and objectives: the write mode stated once, interests that
 * name catalog segments and properties, marketing permissions mapped from the connection's own objectives.
 */
export function goalOptionProblems(
  connection: Connection,
  goal: Connection['goals'][number],
  catalog: CatalogSnapshot,
  at: (...segments: (string | number)[]) => string,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const objective = (pointer: string, name: string): void => {
    if (!connection.objectives.includes(name)) {
      problems.push({ pointer, message: `"${name}" is not one of the connection's objectives${didYouMean(name, connection.objectives)} (${connection.objectives.join(', ')})` });
    }
  };
  goal.marketingPermissions?.forEach((mapping, m) => objective(at('marketingPermissions', m, 'objective'), mapping.objective));
  if (goal.kind === 'import') return problems;
  if (goal.createMembers !== undefined && goal.writeMode !== undefined) {
    problems.push({
      pointer: at('createMembers'),
      message: `createMembers is replaced by writeMode: remove it (createMembers false is writeMode "updateOnly", true is "createAndUpdate")`,
    });
  }
  goal.interests?.forEach((mapping, i) => {
    if ('segment' in mapping && !catalog.segments.has(mapping.segment)) {
      problems.push({ pointer: at('interests', i, 'segment'), message: `unknown segment "${mapping.segment}"${didYouMean(mapping.segment, [...catalog.segments])}` });
    }
    if ('property' in mapping && !catalog.properties.has(mapping.property)) {
      problems.push({ pointer: at('interests', i, 'property'), message: `unknown property "${mapping.property}"${didYouMean(mapping.property, [...catalog.properties.keys()])}` });
    }
  });
  return problems;
}
