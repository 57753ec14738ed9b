import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  buildMemberPayload,
  MAX_FIELD_BYTES,
  MAX_TAG_LENGTH,
  payloadHash,
  truncateTag,
  truncateText,
  type ExportGoal,
  type ExportMapping,
  type MemberPayload,
  type Profile,
} from '@cdp/sdk';
import { audienceFieldHashText } from '../src/mapping/audience-field-mapping.js';

const EMOJI = '😀'; // one code point, two UTF-16 units, 4 bytes
const E_COMPOSED = '\u00e9'; // é, one code point, 2 bytes
const E_DECOMPOSED = 'e\u0301'; // é as e + combining acute: two code points, 3 bytes
const FLAG = '🇫🇷'; // two regional-indicator code points, 8 bytes
const FAMILY = '👩\u200d👩\u200d👧'; // three emoji joined by ZWJ: one grapheme cluster, 8 UTF-16 units, 18 bytes

const profile: Profile = {
  id: 'profile-42',
  properties: { firstName: ['Ada'], interests: ['chess', 'math', 3, true], empty: [] },
  segments: ['vip', 'newsletter', 'churn-risk'],
  lifecycles: [
    { lifecycle: 'onboarding', stage: 'trial' },
    { lifecycle: 'loyalty', stage: 'gold' },
  ],
  viewedInteractions: ['banner-1', 'popup-7'],
  permissionLevel: 'PERSONAL',
  consent: { objectives: ['newsletter'] },
  updatedAt: new Date('2024-01-01T00:00:00Z'),
};

type Goal = Pick<ExportGoal, 'mappings' | 'segmentTags'>;

function fieldsOf(mappings: ExportMapping[], from: Profile = profile): Record<string, string> {
  return buildMemberPayload(from, { mappings }, 'ada@example.com').payload.mergeFields;
}

const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const graphemesOf = (text: string): string[] => Array.from(graphemeSegmenter.segment(text), ({ segment }) => segment);
const bytesOf = (text: string): number => Buffer.byteLength(text, 'utf8');

describe('truncateText', () => {
  it('keeps text of at most 255 bytes', () => {
    expect(MAX_FIELD_BYTES).toBe(255);
    expect(truncateText('a'.repeat(255))).toEqual({ value: 'a'.repeat(255), truncated: false });
    expect(truncateText(E_COMPOSED.repeat(127))).toEqual({ value: E_COMPOSED.repeat(127), truncated: false }); // 254 bytes
    expect(truncateText(EMOJI.repeat(63))).toEqual({ value: EMOJI.repeat(63), truncated: false }); // 252 bytes
  });

  it('cuts ASCII text to 255 characters', () => {
    expect(truncateText('a'.repeat(256))).toEqual({ value: 'a'.repeat(255), truncated: true });
  });

  it('counts bytes, not characters: 128 é are 256 bytes', () => {
    expect(truncateText(E_COMPOSED.repeat(128))).toEqual({ value: E_COMPOSED.repeat(127), truncated: true });
    expect(truncateText(EMOJI.repeat(64))).toEqual({ value: EMOJI.repeat(63), truncated: true });
  });

  it.each([
    ['a surrogate pair', `${'a'.repeat(253)}${EMOJI}`],
    ['a flag (two regional indicators)', `${'a'.repeat(250)}${FLAG}`],
    ['an emoji ZWJ sequence', `${'a'.repeat(240)}${FAMILY}`],
    ['a letter and its combining accent', `${'a'.repeat(254)}${E_DECOMPOSED}`],
    ['a CJK character', `${'a'.repeat(253)}東`],
    ['CR LF', `${'a'.repeat(254)}\r\n`],
  ])('never splits %s straddling byte 255', (_what, text) => {
    const kept = text.slice(0, text.lastIndexOf('a') + 1);
    expect(truncateText(`${text}tail`)).toEqual({ value: kept, truncated: true });
  });

  it('keeps the longest prefix of whole grapheme clusters that fits, for every limit', () => {
    // Two flags in a row pair their regional indicators from the first; a lone surrogate is 3 bytes (U+FFFD).
    const text = `Zoë Å 東京 ${FLAG}${FLAG}${FAMILY} e\u0301!\r\n${EMOJI}\ud800${EMOJI}`;
    const clusters = graphemesOf(text);
    for (let max = 0; max <= bytesOf(text); max++) {
      const { value } = truncateText(text, max);
      const count = graphemesOf(value).length;
      expect(value).toBe(clusters.slice(0, count).join(''));
      expect(bytesOf(value)).toBeLessThanOrEqual(max);
      if (count < clusters.length) expect(bytesOf(value + clusters[count])).toBeGreaterThan(max);
    }
  });

  it('gives an empty value when the first cluster alone is over the limit', () => {
    expect(truncateText(`${FAMILY}a`, 17)).toEqual({ value: '', truncated: true });
    expect(truncateText('', 0)).toEqual({ value: '', truncated: false });
  });
});

describe('truncateTag', () => {
  it('keeps names of at most 100 UTF-16 units', () => {
    expect(MAX_TAG_LENGTH).toBe(100);
    expect(truncateTag('t'.repeat(100))).toEqual({ value: 't'.repeat(100), truncated: false });
    expect(truncateTag(EMOJI.repeat(50))).toEqual({ value: EMOJI.repeat(50), truncated: false });
  });

  it('cuts longer names to 100 units at a grapheme boundary', () => {
    expect(truncateTag('t'.repeat(101))).toEqual({ value: 't'.repeat(100), truncated: true });
    expect(truncateTag(EMOJI.repeat(51))).toEqual({ value: EMOJI.repeat(50), truncated: true });
    expect(truncateTag(`${'t'.repeat(97)}${FLAG}`)).toEqual({ value: 't'.repeat(97), truncated: true });
    expect(truncateTag(`${'t'.repeat(95)}${FAMILY}`)).toEqual({ value: 't'.repeat(95), truncated: true });
  });
});

describe('buildMemberPayload', () => {
  it('identifies the member by the MD5 of the normalised email', () => {
    const { payload } = buildMemberPayload(profile, { mappings: [] }, '  Ada@Example.COM ');
    expect(payload.memberId).toBe(createHash('md5').update('ada@example.com').digest('hex'));
    expect(payload.email).toBe('ada@example.com');
    expect(payload.tags).toEqual([]);
    expect(payload.mergeFields).toEqual({});
  });

  it('exports a property, joining multiple values with ", " by default', () => {
    expect(fieldsOf([{ source: 'property', property: 'firstName', to: 'FNAME' }, { source: 'property', property: 'interests', to: 'INTERESTS' }])).toEqual({
      FNAME: 'Ada',
      INTERESTS: 'chess, math, 3, true',
    });
  });

  it('uses the mapping separator', () => {
    expect(fieldsOf([{ source: 'property', property: 'interests', to: 'INTERESTS', separator: '|' }])).toEqual({ INTERESTS: 'chess|math|3|true' });
  });

  it('exports empty and missing properties as empty strings', () => {
    expect(
      fieldsOf([
        { source: 'property', property: 'empty', to: 'EMPTY' },
        { source: 'property', property: 'missing', to: 'MISSING' },
        { source: 'property', property: 'constructor', to: 'PROTO' },
      ]),
    ).toEqual({ EMPTY: '', MISSING: '', PROTO: '' });
  });

  it('exports the profile id, permission level and static text', () => {
    expect(
      fieldsOf([
        { source: 'profileId', to: 'PID' },
        { source: 'permissionLevel', to: 'PERM' },
        { source: 'text', text: 'spring-campaign', to: 'CAMPAIGN' },
      ]),
    ).toEqual({ PID: 'profile-42', PERM: 'PERSONAL', CAMPAIGN: 'spring-campaign' });
  });

  it('exports a missing permission level as an empty string', () => {
    const { permissionLevel: _dropped, ...withoutLevel } = profile;
    expect(fieldsOf([{ source: 'permissionLevel', to: 'PERM' }], withoutLevel)).toEqual({ PERM: '' });
  });

  it('exports lifecycles as lifecycle:stage and viewed interactions', () => {
    expect(
      fieldsOf([
        { source: 'lifecycles', to: 'STAGES' },
        { source: 'viewedInteractions', to: 'SEEN', separator: ';' },
      ]),
    ).toEqual({ STAGES: 'onboarding:trial, loyalty:gold', SEEN: 'banner-1;popup-7' });
  });

  it('exports all segments', () => {
    expect(fieldsOf([{ source: 'segments', to: 'SEGMENTS' }])).toEqual({ SEGMENTS: 'vip, newsletter, churn-risk' });
  });

  it('exports selected segments the profile is in, renamed, in selection order', () => {
    const mapping: ExportMapping = {
      source: 'segments',
      to: 'SEGMENTS',
      select: [{ segment: 'churn-risk', as: 'At risk' }, { segment: 'not-a-member' }, { segment: 'vip' }],
    };
    expect(fieldsOf([mapping])).toEqual({ SEGMENTS: 'At risk, vip' });
  });

  it('exports empty lists as empty strings', () => {
    const bare: Profile = { ...profile, segments: [], lifecycles: [], viewedInteractions: [] };
    expect(
      fieldsOf(
        [
          { source: 'segments', to: 'SEGMENTS' },
          { source: 'lifecycles', to: 'STAGES' },
          { source: 'viewedInteractions', to: 'SEEN' },
        ],
        bare,
      ),
    ).toEqual({ SEGMENTS: '', STAGES: '', SEEN: '' });
  });

  it('truncates merge-field values to 255 bytes and counts each cut value', () => {
    const long: Profile = { ...profile, properties: { bio: [EMOJI.repeat(300)], exact: ['x'.repeat(255)], accents: [E_COMPOSED.repeat(200)] } };
    const goal: Goal = {
      mappings: [
        { source: 'property', property: 'bio', to: 'BIO' },
        { source: 'property', property: 'exact', to: 'EXACT' },
        { source: 'property', property: 'accents', to: 'ACCENTS' },
        { source: 'text', text: 'y'.repeat(256), to: 'STATIC' },
      ],
    };
    const { payload, truncated } = buildMemberPayload(long, goal, 'ada@example.com');
    expect(truncated).toBe(3);
    expect(payload.mergeFields.BIO).toBe(EMOJI.repeat(63));
    expect(payload.mergeFields.EXACT).toBe('x'.repeat(255));
    // 200 characters, but 400 bytes.
    expect(payload.mergeFields.ACCENTS).toBe(E_COMPOSED.repeat(127));
    expect(payload.mergeFields.STATIC).toBe('y'.repeat(255));
  });

  it('truncates after joining multiple values', () => {
    const many: Profile = { ...profile, properties: { words: Array.from({ length: 100 }, () => 'word') } };
    const { payload, truncated } = buildMemberPayload(many, { mappings: [{ source: 'property', property: 'words', to: 'WORDS' }] }, 'a@b.co');
    expect(truncated).toBe(1);
    expect(payload.mergeFields.WORDS).toHaveLength(255);
    expect(payload.mergeFields.WORDS.startsWith('word, word')).toBe(true);
  });

  describe('segment tags', () => {
    const tagsOf = (segmentTags: Goal['segmentTags'], from: Profile = profile): string[] =>
      buildMemberPayload(from, { mappings: [], segmentTags }, 'ada@example.com').payload.tags;

    it('sends every segment as a tag with "all"', () => {
      expect(tagsOf('all')).toEqual(['vip', 'newsletter', 'churn-risk']);
    });

    it('sends the selected segments the profile is in, renamed', () => {
      expect(tagsOf([{ segment: 'vip', as: 'VIP customer' }, { segment: 'elsewhere' }, { segment: 'newsletter' }])).toEqual([
        'VIP customer',
        'newsletter',
      ]);
    });

    it('sends no tags when segment tags are off', () => {
      expect(tagsOf(undefined)).toEqual([]);
    });

    it('cuts tag names to 100 UTF-16 units at a grapheme boundary and counts each cut name', () => {
      const longName = `${'s'.repeat(99)}${EMOJI}${'t'.repeat(10)}`;
      const result = buildMemberPayload({ ...profile, segments: [longName, 'u'.repeat(120), 'vip'] }, { mappings: [], segmentTags: 'all' }, 'a@b.co');
      expect(result.payload.tags).toEqual(['s'.repeat(99), 'u'.repeat(100), 'vip']);
      expect(result.truncated).toBe(2);
    });

    it('sends a tag once when two segments are renamed alike', () => {
      expect(tagsOf([{ segment: 'vip', as: 'Top' }, { segment: 'newsletter', as: 'Top' }])).toEqual(['Top']);
    });
  });
});

describe('payloadHash', () => {
  const payload: MemberPayload = {
    memberId: 'abc',
    email: 'ada@example.com',
    mergeFields: { FNAME: 'Ada', LNAME: 'Lovelace' },
    tags: ['vip', 'newsletter'],
  };

  it('is a SHA-1 hex digest', () => {
    expect(payloadHash(payload)).toMatch(/^[0-9a-f]{40}$/);
  });

  it('stays the same across versions: every stored fingerprint would otherwise send its member again', () => {
    const stored: MemberPayload = {
      memberId: '5d41402abc4b2a76b9719d911017c592',
      email: 'ann@example.com',
      mergeFields: { LNAME: 'Smith "Jr"', FNAME: 'Ann' },
      tags: ['vip', 'Émigré'],
      interests: [{ category: 'Topics', interest: 'News', subscribed: true }],
    };
    expect(payloadHash(stored)).toBe('2e2b1d4302bc575443b43b5d521f36ac82578e57');
  });

  it('is the SHA-1 of a canonical text, whatever the values hold and however long they are', () => {
    const q = (text: string): string => JSON.stringify(text);
    const canonical = (p: MemberPayload): string =>
      `${q(p.memberId)}${q(p.email)}` +
      Object.keys(p.mergeFields).sort().map((tag) => `,${q(tag)}:${q(p.mergeFields[tag])}`).join('') +
      `|${[...p.tags].sort().map((tag) => `,${q(tag)}`).join('')}${audienceFieldHashText(p)}`;
    const unit = fc.oneof(
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
      fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u007f', 'é', '€', '\u2028', '\ud800', '\udfff', '\ud83d\ude00'),
    );
    const text = fc.string({ unit, maxLength: 12 });
    // Long values, ASCII or not, grow the fingerprint's buffer in the middle of a payload.
    const value = fc.oneof(text, text.map((t) => t.repeat(600)), fc.constant('a'.repeat(9_000)));
    const payload: fc.Arbitrary<MemberPayload> = fc.record({
      memberId: text,
      email: text,
      mergeFields: fc.dictionary(text, value, { maxKeys: 5 }),
      tags: fc.array(text, { maxLength: 4 }),
      interests: fc.option(fc.array(fc.record({ category: text, interest: text, subscribed: fc.boolean() }), { maxLength: 2 }), { nil: undefined }),
      marketingPermissions: fc.option(fc.array(fc.record({ permission: text, enabled: fc.boolean() }), { maxLength: 2 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(payload, (p) => payloadHash(p) === createHash('sha1').update(canonical(p), 'utf8').digest('hex')),
      { seed: 20261202, numRuns: 3000 },
    );
  });

  it('does not depend on key order or tag order', () => {
    const reordered: MemberPayload = {
      tags: ['newsletter', 'vip'],
      mergeFields: { LNAME: 'Lovelace', FNAME: 'Ada' },
      email: 'ada@example.com',
      memberId: 'abc',
    };
    expect(payloadHash(reordered)).toBe(payloadHash(payload));
  });

  it.each<[string, MemberPayload]>([
    ['a merge-field value', { ...payload, mergeFields: { FNAME: 'Ada', LNAME: 'Byron' } }],
    ['a merge-field name', { ...payload, mergeFields: { FNAME: 'Ada', SURNAME: 'Lovelace' } }],
    ['an extra empty field', { ...payload, mergeFields: { ...payload.mergeFields, EXTRA: '' } }],
    ['a tag', { ...payload, tags: ['vip'] }],
    ['the email', { ...payload, email: 'ada@example.org' }],
  ])('changes when %s changes', (_what, changed) => {
    expect(payloadHash(changed)).not.toBe(payloadHash(payload));
  });

  it('does not let a value spill into a key', () => {
    const a: MemberPayload = { ...payload, mergeFields: { A: 'x","B":"y' } };
    const b: MemberPayload = { ...payload, mergeFields: { A: 'x', B: 'y' } };
    expect(payloadHash(a)).not.toBe(payloadHash(b));
  });

  it('does not reorder the payload it hashes', () => {
    const input = structuredClone(payload);
    payloadHash(input);
    expect(input.tags).toEqual(['vip', 'newsletter']);
  });
});
