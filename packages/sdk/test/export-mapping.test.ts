import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  buildMemberPayload,
  MAX_FIELD_LENGTH,
  payloadHash,
  truncateText,
  type ExportGoal,
  type ExportMapping,
  type MemberPayload,
  type Profile,
} from '@cdp/sdk';

const EMOJI = '😀'; // one code point, two UTF-16 units
const E_COMPOSED = '\u00e9'; // é, one code point
const E_DECOMPOSED = 'e\u0301'; // é as e + combining acute: two code points

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

describe('truncateText', () => {
  it('keeps text at or under the limit', () => {
    expect(truncateText('a'.repeat(254))).toEqual({ value: 'a'.repeat(254), truncated: false });
    expect(truncateText('a'.repeat(255))).toEqual({ value: 'a'.repeat(255), truncated: false });
  });

  it('cuts text over the limit to 255 characters', () => {
    expect(truncateText('a'.repeat(256))).toEqual({ value: 'a'.repeat(255), truncated: true });
    expect(MAX_FIELD_LENGTH).toBe(255);
  });

  it.each([254, 255])('counts an emoji as one character: %d emoji are not cut', (count) => {
    const text = EMOJI.repeat(count);
    expect(text.length).toBe(count * 2);
    expect(truncateText(text)).toEqual({ value: text, truncated: false });
  });

  it('cuts 256 emoji to 255 whole emoji', () => {
    const result = truncateText(EMOJI.repeat(256));
    expect(result).toEqual({ value: EMOJI.repeat(255), truncated: true });
  });

  it('never splits a surrogate pair straddling the cut', () => {
    // 254 ASCII characters, then an emoji whose two UTF-16 units sit at positions 254 and 255.
    const text = `${'a'.repeat(254)}${EMOJI}tail`;
    const result = truncateText(text);
    expect(result.truncated).toBe(true);
    expect(result.value).toBe(`${'a'.repeat(254)}${EMOJI}`);
    expect(result.value.length).toBe(256);
    expect(result.value).not.toMatch(/[\uD800-\uDBFF]$/);
  });

  it('counts a composed é as one character', () => {
    expect(truncateText(E_COMPOSED.repeat(255))).toEqual({ value: E_COMPOSED.repeat(255), truncated: false });
    expect(truncateText(E_COMPOSED.repeat(256))).toEqual({ value: E_COMPOSED.repeat(255), truncated: true });
  });

  it('counts a decomposed é as two code points, as Mailchimp receives them', () => {
    const text = E_DECOMPOSED.repeat(128); // 256 code points
    const result = truncateText(text);
    expect(result.truncated).toBe(true);
    expect(Array.from(result.value)).toHaveLength(255);
    expect(result.value).toBe(`${E_DECOMPOSED.repeat(127)}e`);
  });

  it('takes another limit', () => {
    expect(truncateText(`ab${EMOJI}cd`, 3)).toEqual({ value: `ab${EMOJI}`, truncated: true });
    expect(truncateText('', 0)).toEqual({ value: '', truncated: false });
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

  it('truncates merge-field values to 255 characters and counts each cut value', () => {
    const long: Profile = { ...profile, properties: { bio: [EMOJI.repeat(300)], exact: ['x'.repeat(255)] } };
    const goal: Goal = {
      mappings: [
        { source: 'property', property: 'bio', to: 'BIO' },
        { source: 'property', property: 'exact', to: 'EXACT' },
        { source: 'text', text: 'y'.repeat(256), to: 'STATIC' },
      ],
    };
    const { payload, truncated } = buildMemberPayload(long, goal, 'ada@example.com');
    expect(truncated).toBe(2);
    expect(payload.mergeFields.BIO).toBe(EMOJI.repeat(255));
    expect(payload.mergeFields.EXACT).toBe('x'.repeat(255));
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

    it('cuts tag names to 100 characters without counting them as truncated fields', () => {
      const longName = `${'s'.repeat(99)}${EMOJI}${'t'.repeat(10)}`;
      const result = buildMemberPayload({ ...profile, segments: [longName] }, { mappings: [], segmentTags: 'all' }, 'a@b.co');
      expect(result.payload.tags).toEqual([`${'s'.repeat(99)}${EMOJI}`]);
      expect(result.truncated).toBe(0);
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
