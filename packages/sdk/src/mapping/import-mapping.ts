import type { ImportMapping } from '../config/generated-types.js';
import type { PropertyOp } from '../ports/profile-store.js';
import type { Profile, PropertyValue } from '../profile.js';
import { propertyValues, toFiniteNumber, withProperty } from './properties.js';

/** A mapping whose member value could not become property values; the record's other mappings still apply. */
export interface RejectedMapping {
  to: string;
  reason: string;
}

/**
 * Reads a dot path (`merge_fields.FNAME`, `stats.avg_open_rate`, `tags`) in a member. Only own properties
 * are followed, so `__proto__` or `constructor` read nothing instead of the object prototype.
 */
export function readMemberPath(member: Record<string, unknown>, path: string): unknown {
  let current: unknown = member;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Turns a member's fields into property writes, one per mapping that yields values. */
export function buildImportOps(
  mappings: ImportMapping[],
  member: Record<string, unknown>,
): { ops: PropertyOp[]; rejected: RejectedMapping[] } {
  const ops: PropertyOp[] = [];
  const rejected: RejectedMapping[] = [];
  for (const mapping of mappings) {
    const result = toOp(mapping, readMemberPath(member, mapping.from));
    if (typeof result === 'string') rejected.push({ to: mapping.to, reason: `${result} (from ${mapping.from})` });
    else if (result) ops.push(result);
  }
  return { ops, rejected };
}

/** The op for one mapping, undefined when the member has no value for it, or the reason it is refused. */
function toOp(mapping: ImportMapping, raw: unknown): PropertyOp | undefined | string {
  const values: PropertyValue[] = [];
  const problem = collectValues(raw, values);
  if (problem) return problem;
  // Nothing to write: an empty member field never erases what the profile holds.
  if (values.length === 0) return undefined;
  const unique = [...new Set(values)];
  if (mapping.mode === 'sum') {
    const amount = unique.length === 1 ? toFiniteNumber(unique[0]) : undefined;
    if (amount === undefined) return `not a number: ${describe(unique)}`;
    return { property: mapping.to, mode: 'sum', values: [amount] };
  }
  const nonFinite = unique.find((value) => typeof value === 'number' && !Number.isFinite(value));
  if (nonFinite !== undefined) return `not a finite number: ${nonFinite}`;
  return { property: mapping.to, mode: mapping.mode, values: unique };
}

/** Flattens a member value into `into`; returns why it cannot be a property value, if it cannot. */
function collectValues(raw: unknown, into: PropertyValue[]): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') {
    into.push(raw);
    return undefined;
  }
  if (isTag(raw)) return collectValues(raw.name, into);
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const problem = collectValues(item, into);
      if (problem) return problem;
    }
    return undefined;
  }
  return `not a value: ${typeof raw === 'object' ? 'an object' : `a ${typeof raw}`}`;
}

/** A Mailchimp member tag, `{ id, name }`: its name is the value. */
function isTag(raw: unknown): raw is { id: unknown; name: string } {
  return typeof raw === 'object' && raw !== null && Object.hasOwn(raw, 'id') && typeof (raw as { name?: unknown }).name === 'string';
}

const QUOTED_VALUE_LIMIT = 40;

/** A short rendering of offending values for a report reason. */
function describe(values: PropertyValue[]): string {
  if (values.length > 1) return `${values.length} values where one was expected`;
  const [value] = values;
  if (typeof value !== 'string') return String(value);
  const shown = value.length > QUOTED_VALUE_LIMIT ? `${value.slice(0, QUOTED_VALUE_LIMIT)}…` : value;
  return JSON.stringify(shown);
}

/**
 * Applies ops to a profile without changing it (the reference every store implements):
 * set replaces; setIfEmpty writes only when the property has no values; add appends values not yet present,
 * keeping order; sum adds to the first numeric value (0 when none) and stores the single result. A sum with
 * a `baseline` adds the change since the value recorded under it (0 when none) and records the new value.
 */
export function applyOps(profile: Profile, ops: PropertyOp[]): Profile {
  let properties = profile.properties;
  let sums = profile.sourceSums;
  for (const op of ops) {
    const current = propertyValues(properties, op.property) ?? [];
    if (op.mode === 'sum' && op.baseline !== undefined) {
      const value = sumAmount(op);
      const last = sums && Object.hasOwn(sums, op.baseline) ? sums[op.baseline] : 0;
      properties = withProperty(properties, op.property, [firstNumber(current) + (value - last)]);
      sums = { ...sums, ...Object.fromEntries([[op.baseline, value]]) };
    } else {
      properties = withProperty(properties, op.property, nextValues(current, op));
    }
  }
  return sums === profile.sourceSums ? { ...profile, properties } : { ...profile, properties, sourceSums: sums };
}

function nextValues(current: PropertyValue[], op: PropertyOp): PropertyValue[] {
  switch (op.mode) {
    case 'set':
      return [...op.values];
    case 'setIfEmpty':
      return current.length === 0 ? [...op.values] : current;
    case 'add':
      return [...new Set([...current, ...op.values])];
    case 'sum':
      return [firstNumber(current) + sumAmount(op)];
  }
}

function firstNumber(values: PropertyValue[]): number {
  for (const value of values) {
    const number = toFiniteNumber(value);
    if (number !== undefined) return number;
  }
  return 0;
}

function sumAmount(op: PropertyOp): number {
  const [amount] = op.values;
  if (op.values.length !== 1 || typeof amount !== 'number' || !Number.isFinite(amount)) {
    throw new TypeError(`A sum on ${op.property} needs exactly one finite number`);
  }
  return amount;
}
