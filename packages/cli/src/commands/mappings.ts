import { writeFile } from 'node:fs/promises';
import type { AudienceInfo, Catalog, Connection, PropertyDefinition } from '@cdp/sdk';
import { applyEdits, findNodeAtLocation, modify, parseTree, type FormattingOptions, type JSONPath } from 'jsonc-parser';
import { readCatalogFile } from '../catalog-file.js';
import type { Handler } from '../command-kit.js';
import { requireGoals } from '../connection-files.js';
import { validateConnectionFile, withSession } from '../connectors.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { suggestForGoal, type GoalSuggestions, type MergeFieldInfo, type Pairing } from '../mapping-suggestions.js';
import { parseJsonText, readTextFile } from '../read-json.js';

interface SuggestFlags {
  goal?: string[];
  write?: boolean;
}

type Goal = Connection['goals'][number];

/**
 * `cdp mappings suggest <connection.json>`: mappings for each goal, from the merge fields of its audiences and the
 * catalog's properties whose names match. The JSON on standard output has each goal's new mappings in the
 * connection's own shape; how each pair was matched, and which were left out for their types, goes to standard
 * error. `--write` adds them to the file.
 */
export const suggestMappings: Handler<SuggestFlags, [string]> = async ({ ctx, globals, options }, path) => {
  const { catalog } = await readCatalogFile(globals.catalog);
  const text = await readTextFile(path, 'connection file');
  const connection = await validateConnectionFile({ raw: parseJsonText(text, path) }, catalog);
  requireGoals(connection, options.goal);
  const goals = connection.goals.filter((goal) => !options.goal || options.goal.includes(goal.id));
  const wanted = [...new Set(goals.flatMap(audienceIds))];
  const audiences = await withSession(ctx, connection.connector, connection.auth, (session) => session.audiences(wanted));
  const properties = await catalog.properties();
  const suggestions = goals.map((goal) => suggestForGoal(goal, sharedFields(goal, audiences), candidateProperties(goal, properties)));

  for (const suggestion of suggestions) ctx.output.message(explain(suggestion));
  ctx.output.json({ goals: suggestions.map(({ goal, mappings }) => ({ id: goal.id, mappings })) });
  if (options.write) {
    const count = await writeMappings(path, text, connection, suggestions, catalog);
    ctx.output.message(count === 0 ? `Nothing to add to ${path}` : `Added ${count} mapping${count === 1 ? '' : 's'} to ${path}`);
  }
  return ExitCode.ok;
};

/** The properties a goal's mappings may name: those its SQL source maps (untyped), or else the catalog's. */
function candidateProperties(goal: Goal, catalog: readonly PropertyDefinition[]): readonly PropertyDefinition[] {
  if (goal.kind === 'export' && goal.source) return Object.keys(goal.source.columns.properties ?? {}).map((name) => ({ name }));
  return catalog;
}

function audienceIds(goal: Goal): string[] {
  return goal.kind === 'export' ? goal.audiences : goal.audiences.map((audience) => audience.id);
}

/** The merge fields every audience of the goal has: a mapping writes or reads the same tag in each of them. */
function sharedFields(goal: Goal, audiences: readonly AudienceInfo[]): MergeFieldInfo[] {
  const [first, ...others] = audienceIds(goal).map((id) => {
    const audience = audiences.find((candidate) => candidate.id === id);
    if (!audience) throw new CliError(`Goal ${goal.id}: the account has no audience ${id}`, ExitCode.badInput);
    return audience;
  });
  return first.fields.filter((field) => others.every((other) => other.fields.some((f) => f.tag === field.tag)));
}

function explain({ goal, mappings, pairings }: GoalSuggestions): string {
  const head = `${goal.id} (${goal.kind}): ${mappings.length} mapping${mappings.length === 1 ? '' : 's'} suggested`;
  return [head, ...pairings.map((pairing) => `  ${describePair(goal.kind, pairing)}`)].join('\n');
}

function describePair(kind: Goal['kind'], { field, property, match, compatible }: Pairing): string {
  const fieldText = `${field.tag} (${field.type})`;
  const propertyText = `${property.name} (${property.type ?? 'no type in the catalog'})`;
  const pair = kind === 'export' ? `${propertyText} -> ${fieldText}` : `${fieldText} -> ${propertyText}`;
  const verdict = compatible === true ? 'compatible types' : compatible === false ? 'incompatible types, left out' : 'types not checked';
  return `${pair}: same ${match === 'name' ? 'name' : 'meaning'}, ${verdict}`;
}

/**
 * Appends the suggested mappings to each goal's `mappings` in the file's text, leaving the rest of the text as it
 * was, and writes it only if the connection is still valid. Returns how many mappings were added.
 */
async function writeMappings(path: string, text: string, connection: Connection, suggestions: readonly GoalSuggestions[], catalog: Catalog): Promise<number> {
  let updated = text;
  let count = 0;
  for (const { goal, mappings } of suggestions) {
    for (const mapping of mappings) updated = appendItem(updated, ['goals', connection.goals.indexOf(goal), 'mappings'], mapping);
    count += mappings.length;
  }
  if (count === 0) return 0;
  await validateConnectionFile({ raw: parseJsonText(updated, path) }, catalog);
  await writeFile(path, updated);
  return count;
}

/**
 * Appends a value to the array at `path`, laid out like the array's last item (on its own line, at its indentation,
 * on one line if that item is): jsonc-parser's own formatting would also re-lay the item before it.
 */
function appendItem(text: string, path: JSONPath, value: object): string {
  const formatting = formattingOf(text);
  const last = findNodeAtLocation(parseTree(text)!, path)?.children?.at(-1);
  if (!last) return applyEdits(text, modify(text, [...path, -1], value, { formattingOptions: formatting }));
  const end = last.offset + last.length;
  const indent = /[ \t]*$/.exec(text.slice(0, last.offset))![0];
  const { eol } = formatting;
  const unit = formatting.insertSpaces ? ' '.repeat(formatting.tabSize) : '\t';
  const item = text.slice(last.offset, end).includes('\n') ? JSON.stringify(value, null, unit).replaceAll('\n', eol + indent) : inlineJson(value);
  return `${text.slice(0, end)},${eol}${indent}${item}${text.slice(end)}`;
}

/** A flat object on one line, as connection files write their short items: { "a": 1, "b": "x" }. */
function inlineJson(value: object): string {
  return `{ ${Object.entries(value)
    .map(([key, inner]) => `${JSON.stringify(key)}: ${JSON.stringify(inner)}`)
    .join(', ')} }`;
}

/** The file's own indentation unit and line ends. */
function formattingOf(text: string): Required<Pick<FormattingOptions, 'insertSpaces' | 'tabSize' | 'eol'>> {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  return indent.startsWith('\t') ? { insertSpaces: false, tabSize: 1, eol } : { insertSpaces: true, tabSize: indent.length, eol };
}
