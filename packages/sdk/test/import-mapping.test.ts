import { describe, expect, it } from '@jest/globals';
import { applyOps, buildImportOps, readMemberPath, type ImportMapping, type Profile, type PropertyOp } from '@cdp/sdk';

const member: Record<string, unknown> = {
  email_address: 'urist.mcvankab@freddiesjokes.com',
  status: 'subscribed',
  merge_fields: { FNAME: 'Urist', LNAME: '', POINTS: '12.5', BIRTHDAY: null, ADDRESS: { addr1: '1 Main St', city: 'Atlanta' } },
  stats: { avg_open_rate: 0.5, avg_click_rate: 0 },
  location: { country_code: 'US' },
  tags: [
    { id: 11, name: 'vip' },
    { id: 12, name: 'beta' },
  ],
  vip: false,
};

function profileWith(properties: Profile['properties']): Profile {
  return {
    id: 'p1',
    properties,
    segments: [],
    lifecycles: [],
    viewedInteractions: [],
    consent: { objectives: ['newsletter'] },
    updatedAt: new Date('2024-01-01T00:00:00Z'),
  };
}

const mapping = (from: string, to: string, mode: ImportMapping['mode'] = 'set'): ImportMapping => ({ from, to, mode });

describe('readMemberPath', () => {
  it('reads top-level and nested fields', () => {
    expect(readMemberPath(member, 'email_address')).toBe('urist.mcvankab@freddiesjokes.com');
    expect(readMemberPath(member, 'merge_fields.FNAME')).toBe('Urist');
    expect(readMemberPath(member, 'stats.avg_open_rate')).toBe(0.5);
    expect(readMemberPath(member, 'location.country_code')).toBe('US');
    expect(readMemberPath(member, 'vip')).toBe(false);
  });

  it('returns the raw tags list', () => {
    expect(readMemberPath(member, 'tags')).toEqual([
      { id: 11, name: 'vip' },
      { id: 12, name: 'beta' },
    ]);
  });

  it('gives undefined for missing fields and paths through non-objects', () => {
    expect(readMemberPath(member, 'merge_fields.NOPE')).toBeUndefined();
    expect(readMemberPath(member, 'nothing.at.all')).toBeUndefined();
    expect(readMemberPath(member, 'merge_fields.FNAME.length')).toBeUndefined();
    expect(readMemberPath(member, 'merge_fields.BIRTHDAY.day')).toBeUndefined();
    expect(readMemberPath(member, '')).toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'toString', 'merge_fields.__proto__', 'merge_fields.constructor.name', 'tags.constructor', 'hasOwnProperty'])(
    'never walks the prototype: %j is undefined',
    (path) => {
      expect(readMemberPath(member, path)).toBeUndefined();
    },
  );

  it('reads a key named like a prototype key when the member really has it', () => {
    const odd = JSON.parse('{"merge_fields":{"constructor":"own value"}}') as Record<string, unknown>;
    expect(readMemberPath(odd, 'merge_fields.constructor')).toBe('own value');
  });
});

describe('buildImportOps', () => {
  it('turns fields into ops with the mapping mode', () => {
    const { ops, rejected } = buildImportOps(
      [mapping('merge_fields.FNAME', 'firstName'), mapping('status', 'status', 'setIfEmpty'), mapping('stats.avg_open_rate', 'openRate', 'add')],
      member,
    );
    expect(rejected).toEqual([]);
    expect(ops).toEqual([
      { property: 'firstName', mode: 'set', values: ['Urist'] },
      { property: 'status', mode: 'setIfEmpty', values: ['subscribed'] },
      { property: 'openRate', mode: 'add', values: [0.5] },
    ]);
  });

  it('turns Mailchimp tags into their names', () => {
    const { ops } = buildImportOps([mapping('tags', 'interests', 'add')], member);
    expect(ops).toEqual([{ property: 'interests', mode: 'add', values: ['vip', 'beta'] }]);
  });

  it('flattens nested arrays and drops duplicates and empty values', () => {
    const { ops } = buildImportOps([mapping('codes', 'codes', 'add')], { codes: [['a', 'b'], 'a', null, '', ['c', [undefined, 'b']]] });
    expect(ops).toEqual([{ property: 'codes', mode: 'add', values: ['a', 'b', 'c'] }]);
  });

  it('writes nothing for null, empty, missing or empty-list fields', () => {
    const mappings = ['merge_fields.LNAME', 'merge_fields.BIRTHDAY', 'merge_fields.NOPE', 'empty'].map((from) => mapping(from, 'x'));
    expect(buildImportOps(mappings, { ...member, empty: [] })).toEqual({ ops: [], rejected: [] });
  });

  it('refuses objects with a reason and keeps the other mappings', () => {
    const { ops, rejected } = buildImportOps([mapping('merge_fields.ADDRESS', 'address'), mapping('merge_fields.FNAME', 'firstName')], member);
    expect(rejected).toEqual([{ to: 'address', reason: 'not a value: an object (from merge_fields.ADDRESS)' }]);
    expect(ops).toEqual([{ property: 'firstName', mode: 'set', values: ['Urist'] }]);
  });

  it('refuses an object inside a list', () => {
    const { rejected } = buildImportOps([mapping('list', 'list', 'add')], { list: ['ok', { nested: true }] });
    expect(rejected).toEqual([{ to: 'list', reason: 'not a value: an object (from list)' }]);
  });

  it('does not cut long values on import', () => {
    const long = 'x'.repeat(1000);
    const { ops } = buildImportOps([mapping('merge_fields.NOTES', 'notes')], { merge_fields: { NOTES: long } });
    expect(ops[0].values[0]).toBe(long);
  });

  it('refuses non-finite numbers outside sum', () => {
    const { ops, rejected } = buildImportOps([mapping('score', 'score')], { score: Number.NaN });
    expect(ops).toEqual([]);
    expect(rejected).toEqual([{ to: 'score', reason: 'not a finite number: NaN (from score)' }]);
  });

  describe('sum', () => {
    it.each([
      [3, 3],
      [-2.5, -2.5],
      ['12.5', 12.5],
      [' 7 ', 7],
      ['1e3', 1000],
      ['-.5', -0.5],
      [['4'], 4],
    ])('accepts %j as %d', (raw, amount) => {
      expect(buildImportOps([mapping('points', 'points', 'sum')], { points: raw })).toEqual({
        ops: [{ property: 'points', mode: 'sum', values: [amount] }],
        rejected: [],
      });
    });

    it.each([
      ['abc', 'not a number: "abc"'],
      ['12abc', 'not a number: "12abc"'],
      ['0x10', 'not a number: "0x10"'],
      ['Infinity', 'not a number: "Infinity"'],
      [Number.NaN, 'not a number: NaN'],
      [Number.POSITIVE_INFINITY, 'not a number: Infinity'],
      [true, 'not a number: true'],
      [[1, 2], 'not a number: 2 values where one was expected'],
      ['1e400', 'not a number: "1e400"'],
    ])('refuses %p with a reason', (raw, reason) => {
      expect(buildImportOps([mapping('points', 'points', 'sum')], { points: raw })).toEqual({
        ops: [],
        rejected: [{ to: 'points', reason: `${reason} (from points)` }],
      });
    });

    it("keeps the record's other mappings when a sum is refused", () => {
      const { ops, rejected } = buildImportOps(
        [mapping('merge_fields.FNAME', 'points', 'sum'), mapping('merge_fields.POINTS', 'total', 'sum'), mapping('status', 'status')],
        member,
      );
      expect(rejected).toEqual([{ to: 'points', reason: 'not a number: "Urist" (from merge_fields.FNAME)' }]);
      expect(ops).toEqual([
        { property: 'total', mode: 'sum', values: [12.5] },
        { property: 'status', mode: 'set', values: ['subscribed'] },
      ]);
    });

    it('shortens a long offending value in the reason', () => {
      const { rejected } = buildImportOps([mapping('points', 'points', 'sum')], { points: 'y'.repeat(500) });
      expect(rejected[0].reason).toBe(`not a number: "${'y'.repeat(40)}…" (from points)`);
    });

    it('adds nothing and refuses nothing when the field is empty', () => {
      expect(buildImportOps([mapping('points', 'points', 'sum')], { points: '' })).toEqual({ ops: [], rejected: [] });
    });
  });
});

describe('applyOps', () => {
  const op = (property: string, mode: PropertyOp['mode'], values: PropertyOp['values']): PropertyOp => ({ property, mode, values });

  it('set replaces the values', () => {
    const result = applyOps(profileWith({ name: ['old', 'older'] }), [op('name', 'set', ['new'])]);
    expect(result.properties.name).toEqual(['new']);
  });

  it('setIfEmpty writes a missing property', () => {
    expect(applyOps(profileWith({}), [op('name', 'setIfEmpty', ['first'])]).properties.name).toEqual(['first']);
  });

  it('setIfEmpty writes a property holding an empty list', () => {
    expect(applyOps(profileWith({ name: [] }), [op('name', 'setIfEmpty', ['first'])]).properties.name).toEqual(['first']);
  });

  it('setIfEmpty keeps a property that has values', () => {
    expect(applyOps(profileWith({ name: ['kept'] }), [op('name', 'setIfEmpty', ['other'])]).properties.name).toEqual(['kept']);
  });

  it('add appends new values in order without duplicates', () => {
    const result = applyOps(profileWith({ tags: ['a', 'b'] }), [op('tags', 'add', ['b', 'c', 'a', 'd'])]);
    expect(result.properties.tags).toEqual(['a', 'b', 'c', 'd']);
  });

  it('add treats a number and its string as different values', () => {
    expect(applyOps(profileWith({ codes: [1] }), [op('codes', 'add', ['1', 1])]).properties.codes).toEqual([1, '1']);
  });

  it('add to a missing property creates it', () => {
    expect(applyOps(profileWith({}), [op('tags', 'add', ['x'])]).properties.tags).toEqual(['x']);
  });

  it('sum adds to the current number', () => {
    expect(applyOps(profileWith({ points: [10] }), [op('points', 'sum', [2.5])]).properties.points).toEqual([12.5]);
  });

  it('sum starts from 0 when the property is missing or holds no number', () => {
    expect(applyOps(profileWith({}), [op('points', 'sum', [4])]).properties.points).toEqual([4]);
    expect(applyOps(profileWith({ points: ['none', true] }), [op('points', 'sum', [4])]).properties.points).toEqual([4]);
  });

  it('sum uses the first numeric value, numeric strings included, and stores a single result', () => {
    expect(applyOps(profileWith({ points: ['n/a', '5', 100] }), [op('points', 'sum', [1])]).properties.points).toEqual([6]);
  });

  it('sum twice adds twice: applying once per member version is the store’s guard, not this function’s', () => {
    const ops = [op('points', 'sum', [3])];
    const once = applyOps(profileWith({ points: [1] }), ops);
    expect(applyOps(once, ops).properties.points).toEqual([7]);
  });

  it('sum refuses a malformed op', () => {
    expect(() => applyOps(profileWith({}), [op('points', 'sum', ['3'])])).toThrow('needs exactly one finite number');
    expect(() => applyOps(profileWith({}), [op('points', 'sum', [1, 2])])).toThrow('needs exactly one finite number');
    expect(() => applyOps(profileWith({}), [op('points', 'sum', [Number.NaN])])).toThrow('needs exactly one finite number');
  });

  it('applies ops in order and leaves other properties alone', () => {
    const result = applyOps(profileWith({ keep: ['k'], n: [1] }), [op('n', 'sum', [1]), op('n', 'sum', [1]), op('x', 'set', ['y'])]);
    expect(result.properties).toEqual({ keep: ['k'], n: [3], x: ['y'] });
  });

  it('does not change the input profile', () => {
    const input = profileWith({ tags: ['a'], points: [1] });
    const snapshot = structuredClone(input);
    applyOps(input, [op('tags', 'add', ['b']), op('points', 'sum', [1]), op('name', 'set', ['n'])]);
    expect(input).toEqual(snapshot);
  });

  it('stores a property named __proto__ as data, never as the prototype', () => {
    const result = applyOps(profileWith({}), [op('__proto__', 'set', ['x'])]);
    expect(Object.getPrototypeOf(result.properties)).toBe(Object.prototype);
    expect(Object.hasOwn(result.properties, '__proto__')).toBe(true);
    const again = applyOps(result, [op('__proto__', 'add', ['y'])]);
    expect(Object.getOwnPropertyDescriptor(again.properties, '__proto__')?.value).toEqual(['x', 'y']);
  });

  it('a built import round-trips through applyOps', () => {
    const { ops } = buildImportOps([mapping('tags', 'tags', 'add'), mapping('merge_fields.POINTS', 'points', 'sum'), mapping('merge_fields.FNAME', 'firstName', 'setIfEmpty')], member);
    const result = applyOps(profileWith({ tags: ['beta', 'old'], points: ['2'], firstName: [] }), ops);
    expect(result.properties).toEqual({ tags: ['beta', 'old', 'vip'], points: [14.5], firstName: ['Urist'] });
  });
});
