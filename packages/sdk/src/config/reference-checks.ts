import type { ConfigProblem } from '../errors.js';
import type { Catalog, LifecycleDefinition, PropertyDefinition } from '../ports/catalog.js';
import type { Connection, ExportGoal, ImportGoal } from './generated-types.js';
import { goalOptionProblems } from './goal-option-checks.js';
import { pointerTo } from './pointers.js';
import { hasSqlSource, sourceProblems } from './source-checks.js';
import { didYouMean } from './suggest.js';

/** What the host's catalog defines, read once per validation. */
export interface CatalogSnapshot {
  segments: Set<string>;
  properties: Map<string, PropertyDefinition>;
  objectives: Set<string>;
  lifecycles: Map<string, LifecycleDefinition>;
}

export async function readCatalog(catalog: Catalog): Promise<CatalogSnapshot> {
  const [segments, properties, objectives, lifecycles] = await Promise.all([
    catalog.segments(),
    catalog.properties(),
    catalog.objectives(),
    catalog.lifecycles(),
  ]);
  return {
    segments: new Set(segments),
    properties: new Map(properties.map((property) => [property.name, property])),
    objectives: new Set(objectives),
    lifecycles: new Map(lifecycles.map((lifecycle) => [lifecycle.id, lifecycle])),
  };
}

/** Every name the connection uses that the catalog does not define (segments, properties, objectives, lifecycles). */
export function referenceProblems(connection: Connection, catalog: CatalogSnapshot): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const unknown = (pointer: string, what: string, name: string, known: Iterable<string>): void => {
    problems.push(unknownName(pointer, what, name, [...known]));
  };
  const segment = (pointer: string, name: string): void => {
    if (!catalog.segments.has(name)) unknown(pointer, 'segment', name, catalog.segments);
  };
  const property = (pointer: string, name: string): void => {
    if (!catalog.properties.has(name)) unknown(pointer, 'property', name, catalog.properties.keys());
  };
  const identifier = (pointer: string, name: string): void => {
    const definition = catalog.properties.get(name);
    if (!definition) return property(pointer, name);
    if (!definition.uniqueIdentifier) {
      const unique = [...catalog.properties.values()].filter((p) => p.uniqueIdentifier).map((p) => p.name);
      problems.push({ pointer, message: `"${name}" is not a unique-identifier property${listOf(unique, 'unique identifiers')}` });
    }
  };

  connection.objectives.forEach((objective, index) => {
    if (!catalog.objectives.has(objective)) unknown(pointerTo('/objectives', index), 'objective', objective, catalog.objectives);
  });
  connection.goals.forEach((goal, index) => {
    const at = (...segments: (string | number)[]): string => pointerTo('/goals', index, ...segments);
    problems.push(...goalOptionProblems(connection, goal, catalog, at));
    if (hasSqlSource(goal)) {
      problems.push(...sourceProblems(connection, goal, at));
      return;
    }
    identifier(at('identifier'), goal.identifier);
    if (goal.kind === 'import') {
      if (goal.saveAudiencesTo !== undefined) property(at('saveAudiencesTo'), goal.saveAudiencesTo);
      goal.mappings.forEach((mapping, m) => property(at('mappings', m, 'to'), mapping.to));
      problems.push(...grantProblems(goal, connection.objectives, at));
      return;
    }
    segment(at('segment'), goal.segment);
    if (goal.lifecycleStage) problems.push(...lifecycleStageProblems(goal.lifecycleStage, at('lifecycleStage'), catalog));
    goal.mappings.forEach((mapping, m) => {
      if (mapping.source === 'property') property(at('mappings', m, 'property'), mapping.property);
      if (mapping.source === 'segments') mapping.select?.forEach((s, k) => segment(at('mappings', m, 'select', k, 'segment'), s.segment));
    });
    if (Array.isArray(goal.segmentTags)) goal.segmentTags.forEach((s, k) => segment(at('segmentTags', k, 'segment'), s.segment));
  });
  return problems;
}

/**
 * Granted objectives must be the connection's own, and creating profiles needs a status that grants one: a
 * profile created without consent could never be updated or exported.
 */
function grantProblems(goal: ImportGoal, objectives: string[], at: (...segments: (string | number)[]) => string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [status, granted] of Object.entries(goal.grantedObjectives ?? {})) {
    granted.forEach((objective, k) => {
      if (!objectives.includes(objective)) {
        problems.push({ pointer: at('grantedObjectives', status, k), message: `"${objective}" is not one of the connection's objectives${listOf(objectives, 'objectives')}` });
      }
    });
  }
  // Marketing permissions a member enabled grant objectives too.
  const grantsAny = Object.values(goal.grantedObjectives ?? {}).some((granted) => granted.length > 0) || (goal.marketingPermissions?.length ?? 0) > 0;
  goal.audiences.forEach((audience, a) => {
    if (audience.createProfiles && !grantsAny) {
      problems.push({
        pointer: at('audiences', a, 'createProfiles'),
        message: 'creating profiles needs grantedObjectives: which objectives a member\'s status (e.g. subscribed) consents to; or marketingPermissions, whose enabled permissions grant theirs',
      });
    }
  });
  return problems;
}

function lifecycleStageProblems(
  { lifecycle, stage }: NonNullable<ExportGoal['lifecycleStage']>,
  pointer: string,
  catalog: CatalogSnapshot,
): ConfigProblem[] {
  const definition = catalog.lifecycles.get(lifecycle);
  if (!definition) return [unknownName(`${pointer}/lifecycle`, 'lifecycle', lifecycle, [...catalog.lifecycles.keys()])];
  const stages = definition.stages.map((s) => s.id);
  if (stages.includes(stage)) return [];
  return [{ pointer: `${pointer}/stage`, message: `lifecycle "${lifecycle}" has no stage "${stage}"${didYouMean(stage, stages)}${listOf(stages, 'stages')}` }];
}

function unknownName(pointer: string, what: string, name: string, known: string[]): ConfigProblem {
  return { pointer, message: `unknown ${what} "${name}"${didYouMean(name, known)}${listOf(known)}` };
}

/**
 * Goal ids used twice, audiences listed twice, two mappings writing one target, and two enabled goals keeping
 * one audience's membership in sync: each would remove the other's members (every member not in its own
 * segment), so one goal must own an audience's membership.
 */
export function duplicateProblems(connection: Connection): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const goalIds = new FirstSeen();
  const synced = new FirstSeen();
  connection.goals.forEach((goal, index) => {
    const at = (...segments: (string | number)[]): string => pointerTo('/goals', index, ...segments);
    const earlier = goalIds.see(goal.id, at());
    if (earlier) problems.push({ pointer: at('id'), message: `goal id "${goal.id}" is already used by ${earlier}` });
    problems.push(...(goal.kind === 'import' ? importDuplicates(goal, at) : exportDuplicates(goal, at)));
    if (goal.kind !== 'export' || !goal.removeNonSegmentMembers || goal.enabled === false) return;
    for (const audienceId of goal.audiences) {
      const owner = synced.see(audienceId, at());
      if (owner) {
        problems.push({
          pointer: at('removeNonSegmentMembers'),
          message: `audience "${audienceId}" is already kept in sync by ${owner}: two goals removing members not in their own segment would remove each other's members; keep membership sync on one goal`,
        });
      }
    }
  });
  return problems;
}

function importDuplicates(goal: ImportGoal, at: (...segments: (string | number)[]) => string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const audiences = new FirstSeen();
  goal.audiences.forEach((audience, a) => {
    const earlier = audiences.see(audience.id, at('audiences', a));
    if (earlier) problems.push({ pointer: at('audiences', a, 'id'), message: `audience "${audience.id}" is already listed at ${earlier}` });
  });
  const targets = new FirstSeen();
  const target = (property: string, pointer: string): void => {
    const earlier = targets.see(property, pointer);
    if (earlier) problems.push({ pointer, message: `property "${property}" is already the target of ${earlier}; map one source to it` });
  };
  goal.mappings.forEach((mapping, m) => target(mapping.to, at('mappings', m, 'to')));
  if (goal.saveAudiencesTo !== undefined) target(goal.saveAudiencesTo, at('saveAudiencesTo'));
  return problems;
}

function exportDuplicates(goal: ExportGoal, at: (...segments: (string | number)[]) => string): ConfigProblem[] {
  const tags = new FirstSeen();
  return goal.mappings.flatMap((mapping, m) => {
    const pointer = at('mappings', m, 'to');
    const earlier = tags.see(mapping.to, pointer);
    return earlier ? [{ pointer, message: `merge tag "${mapping.to}" is already the target of ${earlier}; map one source to it` }] : [];
  });
}

/** Remembers where each name was first seen. */
class FirstSeen {
  private readonly where = new Map<string, string>();

  /** The pointer of the earlier occurrence, or undefined when this is the first. */
  see(name: string, pointer: string): string | undefined {
    const earlier = this.where.get(name);
    if (earlier === undefined) this.where.set(name, pointer);
    return earlier;
  }
}

const LISTED = 10;

/** " (known: a, b, c)" for a short list of names, " (known: a, b, … 12 more)" for a long one. */
function listOf(all: string[], label = 'known'): string {
  if (all.length === 0) return ` (no ${label === 'known' ? 'names' : label} defined)`;
  const shown = all.slice(0, LISTED).join(', ');
  return ` (${label}: ${shown}${all.length > LISTED ? `, … ${all.length - LISTED} more` : ''})`;
}
