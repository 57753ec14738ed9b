import {
  CdpError,
  identifierKey,
  InvalidConfigError,
  type ConfigProblem,
  type ExportGoal,
  type PatchResult,
  type Profile,
  type ProfilePatch,
  type ProfileStore,
  type PropertyValue,
  type SegmentQuery,
  type SqlRule,
  type SqlSource,
} from '@cdp/sdk';
import type { ColumnKind, ColumnType, ResultColumn, SqlDatabase, SqlDialect } from './dialect.js';
import { SqlError } from './postgres.js';

/** An export goal that reads its profiles from a SQL source. */
export type SourcedGoal = ExportGoal & { source: SqlSource };

export const DEFAULT_OVERLAP_SECONDS = 300;
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Ids per `findById` statement. */
const ID_CHUNK = 1000;

type Role = 'id' | 'email' | 'updatedAt' | 'segments' | 'consent' | 'property';

/** A configured column: what it is for, and where the config names it. */
interface Slot {
  role: Role;
  column: string;
  pointer: (string | number)[];
  property?: string;
}

/** What the check learnt: the statement parts every read shares. */
interface Plan {
  /** `SELECT <columns>, <in segment> FROM <base> AS src` */
  select: string;
  /** True for the rows in the goal's segment. */
  membership: string;
  /** The parameters `membership` uses, `$1…$n`. */
  params: unknown[];
  slots: { slot: Slot; type: ColumnType }[];
  id: { expression: string; type: ColumnType };
  updatedAt?: string;
  email: string;
}

const SCALAR_PROPERTY: ReadonlySet<ColumnKind> = new Set(['text', 'integer', 'number', 'boolean', 'timestamp', 'naiveTimestamp', 'date', 'uuid']);
const ARRAY_PROPERTY: ReadonlySet<ColumnKind> = new Set(['text', 'integer', 'number', 'boolean', 'uuid']);
const ORDERED: ReadonlySet<ColumnKind> = new Set(['text', 'integer', 'number', 'timestamp', 'naiveTimestamp', 'date']);

/**
 * A goal's SQL source as a read-only ProfileStore: one profile per row of a table or query, read in read-only
 * transactions under a statement timeout. `check()` must succeed before any read: it verifies the SQL, every
 * column and its type, and the rules against the database, and refuses with every problem at its config pointer.
 * Writes are refused: the source is the customer's database, never written.
 */
export class SqlProfileSource implements ProfileStore {
  private plan: Plan | undefined;
  private readonly source: SqlSource;
  private readonly timeoutMs: number;

  constructor(
    private readonly db: SqlDatabase,
    private readonly dialect: SqlDialect,
    private readonly goal: SourcedGoal,
    /** JSON pointer of the goal in its connection (`/goals/2`), for the problems the check finds. */
    private readonly goalPointer: string,
  ) {
    this.source = goal.source;
    this.timeoutMs = (goal.source.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
  }

  /** Checks the source against the database; throws InvalidConfigError naming the goal and each column at fault. */
  async check(): Promise<void> {
    const q = (name: string): string => this.dialect.quote(name);
    const base = this.base();
    const columns = await this.readColumns(`SELECT * FROM ${base} AS src LIMIT 0`, [], this.source.query !== undefined ? ['query'] : ['table']);
    const problems: ConfigProblem[] = [];
    const typed: Plan['slots'] = [];
    for (const slot of this.slots()) {
      const type = this.columnType(slot.column, slot.pointer, columns, problems);
      if (!type) continue;
      const wrong = misfit(slot, type, this.source);
      if (wrong) problems.push(this.problem(slot.pointer, `column "${slot.column}" is ${describeType(type)}; ${wrong}`));
      else typed.push({ slot, type });
    }
    const params: unknown[] = [];
    const param = (value: unknown): string => {
      params.push(value);
      return this.dialect.param(params.length);
    };
    const conditions: string[] = [];
    const segments = typed.find(({ slot }) => slot.role === 'segments');
    if (segments) {
      const expression = `src.${q(segments.slot.column)}`;
      if (segments.type.kind === 'boolean') conditions.push(expression);
      else if (segments.type.array) conditions.push(this.dialect.arrayHolds(expression, param(this.goal.segment)));
      else conditions.push(`${expression} = ${param(this.goal.segment)}`);
    }
    (this.source.rules ?? []).forEach((rule, index) => {
      const type = this.columnType(rule.column, ['rules', index, 'column'], columns, problems);
      if (!type) return;
      const condition = this.rule(rule, type, param, ['rules', index]);
      if (typeof condition === 'string') conditions.push(condition);
      else problems.push(condition);
    });
    if (problems.length > 0) throw new InvalidConfigError(problems);

    const membership = conditions.length > 0 ? `COALESCE((${conditions.map((c) => `(${c})`).join(' AND ')}), false)` : 'true';
    const id = typed.find(({ slot }) => slot.role === 'id')!;
    const updatedAt = typed.find(({ slot }) => slot.role === 'updatedAt');
    const list = typed.map(({ slot, type }, index) => `${this.dialect.read(`src.${q(slot.column)}`, type)} AS ${q(`c${index}`)}`);
    const plan: Plan = {
      select: `SELECT ${list.join(', ')}, ${membership} AS ${q('in_segment')} FROM ${base} AS src`,
      membership,
      params,
      slots: typed,
      id: { expression: `src.${q(id.slot.column)}`, type: id.type },
      updatedAt: updatedAt ? `src.${q(updatedAt.slot.column)}` : undefined,
      email: `src.${q(this.source.columns.email)}`,
    };
    // The whole statement once, without rows: a rule value the column's type cannot take fails here.
    await this.readColumns(`${plan.select} WHERE ${membership} LIMIT 0`, params, ['rules']);
    this.plan = plan;
  }

  async *streamSegment(query: SegmentQuery): AsyncIterable<Profile[]> {
    const plan = this.ready();
    if (query.segment !== this.goal.segment) return;
    const batchSize = Math.max(1, query.batchSize ?? 500);
    const since = query.changedSince && plan.updatedAt ? this.withOverlap(query.changedSince) : undefined;
    let after: unknown;
    for (;;) {
      const params = [...plan.params];
      const where = [plan.membership, `${plan.id.expression} IS NOT NULL`];
      if (since) {
        params.push(since.toISOString());
        where.push(`${plan.updatedAt} >= ${this.dialect.param(params.length)}`);
      }
      if (after !== undefined) {
        params.push(after);
        where.push(`${plan.id.expression} > ${this.dialect.param(params.length)}`);
      }
      const sql = `${plan.select} WHERE ${where.join(' AND ')} ORDER BY ${plan.id.expression} LIMIT ${batchSize}`;
      const rows = await this.rows(sql, params);
      if (rows.length === 0) return;
      after = rows[rows.length - 1][0];
      yield rows.map((row) => this.profile(row));
      if (rows.length < batchSize) return;
    }
  }

  async findById(ids: string[]): Promise<Profile[]> {
    const plan = this.ready();
    const usable = [...new Set(ids)].filter((id) => idFits(id, plan.id.type.kind));
    const found: Profile[] = [];
    for (let start = 0; start < usable.length; start += ID_CHUNK) {
      const params = [...plan.params, usable.slice(start, start + ID_CHUNK)];
      const sql = `${plan.select} WHERE ${this.dialect.inList(plan.id.expression, this.dialect.param(params.length), plan.id.type)}`;
      found.push(...(await this.rows(sql, params)).map((row) => this.profile(row)));
    }
    return found;
  }

  /** Without an updatedAt column every row counts as changed; with one, rows within the overlap do too. */
  async changedSince(ids: string[], since: Date): Promise<Map<string, boolean>> {
    const from = this.ready().updatedAt ? this.withOverlap(since) : undefined;
    return new Map((await this.findById(ids)).map((profile) => [profile.id, from === undefined || profile.updatedAt >= from]));
  }

  /** Rows committed late carry an earlier change time: a delta reads back this far. */
  private withOverlap(since: Date): Date {
    return new Date(since.getTime() - (this.source.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS) * 1000);
  }

  async findByIdentifier(property: string, values: string[]): Promise<Profile[]> {
    const plan = this.ready();
    if (property !== this.goal.identifier || values.length === 0) return [];
    const params = [...plan.params, [...new Set(values.map(identifierKey))]];
    const text: ColumnType = { kind: 'text', array: false, name: 'text' };
    const sql = `${plan.select} WHERE ${this.dialect.inList(this.dialect.emailKey(plan.email), this.dialect.param(params.length), text)}`;
    return (await this.rows(sql, params)).map((row) => this.profile(row));
  }

  async count(query: { segment?: string } = {}): Promise<number> {
    const plan = this.ready();
    if (query.segment !== undefined && query.segment !== this.goal.segment) return 0;
    const all = query.segment === undefined;
    const [[count]] = await this.rows(`SELECT count(*) FROM ${this.base()} AS src WHERE ${all ? 'true' : plan.membership}`, all ? [] : plan.params);
    return Number(count);
  }

  async applyPatches(_patches: ProfilePatch[]): Promise<PatchResult[]> {
    throw this.readOnly();
  }

  async upsertProfiles(_profiles: Profile[]): Promise<void> {
    throw this.readOnly();
  }

  private readOnly(): CdpError {
    return new CdpError('read_only_source', `goal "${this.goal.id}": its SQL source is read only; profiles are never written to it`);
  }

  private ready(): Plan {
    if (!this.plan) throw new CdpError('source_unchecked', `goal "${this.goal.id}": its SQL source is read before it was checked`);
    return this.plan;
  }

  private base(): string {
    const { schema, table, query } = this.source;
    if (query !== undefined) return `(${query.replace(/[\s;]+$/, '')})`;
    return schema !== undefined ? `${this.dialect.quote(schema)}.${this.dialect.quote(table!)}` : this.dialect.quote(table!);
  }

  private what(): string {
    return this.source.query !== undefined ? 'the query' : `table ${this.source.schema !== undefined ? `${this.source.schema}.` : ''}${this.source.table}`;
  }

  private slots(): Slot[] {
    const { columns, consent } = this.source;
    const slots: Slot[] = [
      { role: 'id', column: columns.id, pointer: ['columns', 'id'] },
      { role: 'email', column: columns.email, pointer: ['columns', 'email'] },
      { role: 'consent', column: consent.column, pointer: ['consent', 'column'] },
    ];
    if (columns.updatedAt !== undefined) slots.push({ role: 'updatedAt', column: columns.updatedAt, pointer: ['columns', 'updatedAt'] });
    if (columns.segments !== undefined) slots.push({ role: 'segments', column: columns.segments, pointer: ['columns', 'segments'] });
    for (const [property, column] of Object.entries(columns.properties ?? {})) {
      if (column !== undefined) slots.push({ role: 'property', property, column, pointer: ['columns', 'properties', property] });
    }
    return slots;
  }

  /** The type of a column the config names, or a problem saying it is missing or ambiguous. */
  private columnType(name: string, pointer: (string | number)[], columns: ResultColumn[], problems: ConfigProblem[]): ColumnType | undefined {
    const matches = columns.filter((column) => column.name === name);
    if (matches.length === 1) return matches[0].type;
    if (matches.length > 1) {
      problems.push(this.problem(pointer, `${this.what()} returns ${matches.length} columns named "${name}"; give them distinct names`));
      return undefined;
    }
    const folded = columns.find((column) => column.name.toLowerCase() === name.toLowerCase());
    const hint = folded ? `; did you mean "${folded.name}"?` : '';
    const known = columns.map((column) => column.name).join(', ');
    problems.push(this.problem(pointer, `column "${name}" is not in ${this.what()}${hint} (its columns: ${known || 'none'})`));
    return undefined;
  }

  /** The condition of one rule, or the problem that keeps it from applying to its column. */
  private rule(rule: SqlRule, type: ColumnType, param: (value: unknown) => string, pointer: (string | number)[]): string | ConfigProblem {
    const expression = `src.${this.dialect.quote(rule.column)}`;
    const refuse = (why: string): ConfigProblem => this.problem([...pointer, 'op'], `rule on column "${rule.column}" (${describeType(type)}): ${why}`);
    if (!('value' in rule)) return rule.op === 'isNull' ? `${expression} IS NULL` : `${expression} IS NOT NULL`;
    if (type.kind === 'other') return refuse(`only isNull and isNotNull apply to ${type.name}`);
    const values = Array.isArray(rule.value) ? rule.value : [rule.value];
    const unfit = values.find((value) => !valueFits(type.kind, value));
    if (unfit !== undefined) {
      return this.problem([...pointer, 'value'], `rule on column "${rule.column}" (${describeType(type)}) compares it with ${JSON.stringify(unfit)}, ${expectedValue(type.kind)}`);
    }
    if (type.array) {
      if (rule.op !== 'contains' && rule.op !== 'notContains') return refuse(`a list column takes contains or notContains (or isNull, isNotNull), not ${rule.op}`);
      const holds = this.dialect.arrayHolds(expression, param(rule.value));
      return rule.op === 'contains' ? holds : `NOT COALESCE(${holds}, false)`;
    }
    switch (rule.op) {
      case 'eq':
        return `${expression} = ${param(rule.value)}`;
      case 'ne':
        return `${expression} IS DISTINCT FROM ${param(rule.value)}`;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        if (!ORDERED.has(type.kind)) return refuse(`${rule.op} needs text, numbers or dates`);
        const operator = { lt: '<', lte: '<=', gt: '>', gte: '>=' }[rule.op];
        return `${expression} ${operator} ${param(rule.value)}`;
      }
      case 'contains':
      case 'notContains':
      case 'startsWith': {
        if (type.kind !== 'text') return refuse(`${rule.op} needs a text or list column`);
        const test = rule.op === 'startsWith' ? this.dialect.startsWith(expression, param(rule.value)) : this.dialect.textHolds(expression, param(rule.value));
        return rule.op === 'notContains' ? `NOT COALESCE(${test}, false)` : test;
      }
      case 'in':
      case 'notIn': {
        if (type.kind === 'boolean') return refuse(`${rule.op} does not apply to booleans; use eq`);
        const test = this.dialect.inList(expression, param(rule.value), type);
        return rule.op === 'in' ? test : `NOT COALESCE(${test}, false)`;
      }
    }
  }

  private problem(pointer: (string | number)[], message: string): ConfigProblem {
    const path = pointer.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
    return { pointer: `${this.goalPointer}/source${path}`, message: `goal "${this.goal.id}": ${message}` };
  }

  /** Columns of a statement that only the check runs; a statement the database refuses is a config problem. */
  private async readColumns(sql: string, params: unknown[], pointer: (string | number)[]): Promise<ResultColumn[]> {
    try {
      return await this.db.read(this.timeoutMs, (reader) => reader.columns(sql, params));
    } catch (error) {
      if (!isStatementError(error)) throw this.unavailable(error);
      const statement = pointer[0] === 'rules' ? 'the rules do not run' : `${this.what()} cannot be read`;
      throw new InvalidConfigError([this.problem(pointer, `${statement}: ${this.explain(error as SqlError)}`)]);
    }
  }

  private async rows(sql: string, params: unknown[]): Promise<unknown[][]> {
    try {
      return await this.db.read(this.timeoutMs, (reader) => reader.rows(sql, params));
    } catch (error) {
      if (!isStatementError(error)) throw this.unavailable(error);
      throw new CdpError('source_failed', `goal "${this.goal.id}": reading ${this.what()} failed: ${this.explain(error as SqlError)}`);
    }
  }

  private explain(error: SqlError): string {
    if (error.code === '57014') return `it did not finish within ${this.timeoutMs / 1000} s (the source's timeoutSeconds)`;
    return error.message;
  }

  private unavailable(error: unknown): CdpError {
    const reason = error instanceof Error ? error.message : String(error);
    return new CdpError('source_unavailable', `goal "${this.goal.id}": database "${this.source.database}" could not be read: ${reason}`);
  }

  private profile(row: unknown[]): Profile {
    const plan = this.plan!;
    const properties: Record<string, PropertyValue[]> = {};
    const profile: Profile = { id: '', properties, segments: [], lifecycles: [], viewedInteractions: [], consent: { objectives: [] }, updatedAt: new Date(0) };
    let named: string[] = [];
    plan.slots.forEach(({ slot, type }, index) => {
      const raw = row[index];
      switch (slot.role) {
        case 'id':
          profile.id = String(raw);
          return;
        case 'email':
          properties[this.goal.identifier] = typeof raw === 'string' && raw.trim() !== '' ? [raw] : [];
          return;
        case 'updatedAt':
          profile.updatedAt = dateOf(raw) ?? new Date(0);
          return;
        case 'consent':
          profile.consent.objectives = type.kind === 'boolean' ? (raw === true ? [...(this.source.consent.objectives ?? [])] : []) : textsOf(raw);
          return;
        case 'segments':
          if (type.kind !== 'boolean') named = textsOf(raw).filter((name) => name !== this.goal.segment);
          return;
        case 'property': {
          const values = valuesOf(raw, type);
          if (values.length > 0) properties[slot.property!] = values;
          return;
        }
      }
    });
    const inSegment = row[plan.slots.length] === true;
    profile.segments = [...new Set(inSegment ? [this.goal.segment, ...named] : named)];
    return profile;
  }
}

/** Why a column cannot play its part, or undefined when it can. */
function misfit(slot: Slot, type: ColumnType, source: SqlSource): string | undefined {
  const { kind, array } = type;
  switch (slot.role) {
    case 'id':
      return !array && (kind === 'text' || kind === 'integer' || kind === 'uuid') ? undefined : 'the id column must hold text, integers or uuids';
    case 'email':
      return !array && kind === 'text' ? undefined : 'the email column must hold text';
    case 'updatedAt':
      return !array && (kind === 'timestamp' || kind === 'naiveTimestamp' || kind === 'date') ? undefined : 'the updatedAt column must hold timestamps or dates';
    case 'segments':
      return (!array && kind === 'boolean') || kind === 'text' ? undefined : 'the segments column must hold a boolean, a segment name or a list of them';
    case 'consent':
      if (!array && kind === 'boolean') return source.consent.objectives ? undefined : 'a boolean consent column needs "objectives": the objectives it grants when true';
      if (kind === 'text') return source.consent.objectives ? 'a consent column of objective names takes no "objectives": its values are the objectives' : undefined;
      return 'the consent column must hold a boolean, an objective name or a list of them';
    case 'property':
      return (array ? ARRAY_PROPERTY : SCALAR_PROPERTY).has(kind) ? undefined : 'a property holds text, numbers, booleans, dates or uuids (lists of dates are not read)';
  }
}

function describeType(type: ColumnType): string {
  return `of type ${type.name}`;
}

function valueFits(kind: ColumnKind, value: unknown): boolean {
  if (kind === 'boolean') return typeof value === 'boolean';
  if (kind === 'integer' || kind === 'number') return typeof value === 'number';
  return typeof value === 'string';
}

function expectedValue(kind: ColumnKind): string {
  if (kind === 'boolean') return 'where it needs true or false';
  if (kind === 'integer' || kind === 'number') return 'where it needs a number';
  return 'where it needs a string';
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** An id the id column's type can take: others match no row (a profile id of the CDP's, a typo). */
function idFits(id: string, kind: ColumnKind): boolean {
  if (kind === 'integer') return /^-?\d{1,19}$/.test(id);
  if (kind === 'uuid') return UUID.test(id);
  return true;
}

/**
 * Statement errors (bad SQL, a missing table, a refused privilege, a timeout) carry a SQLSTATE; a server that
 * cannot be reached or refuses the connection (classes 08, 28, 3D, 53, 57P) is unavailable, not misconfigured.
 */
function isStatementError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return error instanceof SqlError && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|28|3D|53|57P)/.test(code);
}

function dateOf(raw: unknown): Date | undefined {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? undefined : raw;
  if (typeof raw === 'string') {
    const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

function textsOf(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  return list.filter((value): value is string => typeof value === 'string' && value !== '');
}

function valuesOf(raw: unknown, type: ColumnType): PropertyValue[] {
  const list = type.array ? (Array.isArray(raw) ? raw : []) : [raw];
  return list.flatMap((value): PropertyValue[] => {
    if (value === null || value === undefined) return [];
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? [] : [value.toISOString()];
    if (typeof value === 'boolean' || typeof value === 'string' && type.kind !== 'integer' && type.kind !== 'number') return [value];
    if (typeof value === 'number') return Number.isFinite(value) ? [value] : [];
    if (typeof value === 'string') {
      // int8 and numeric come as text: a number when it survives the trip, the text otherwise.
      const number = Number(value);
      return Number.isFinite(number) && (type.kind !== 'integer' || Number.isSafeInteger(number)) ? [number] : [value];
    }
    return [];
  });
}
