import { describe, expect, it } from '@jest/globals';
import { hasConsent, type Profile } from '@cdp/sdk';

const consenting = (...objectives: string[]): Pick<Profile, 'consent'> => ({ consent: { objectives } });

describe('hasConsent', () => {
  it('passes a profile that consented to one of the objectives', () => {
    expect(hasConsent(consenting('analytics', 'newsletter'), ['newsletter', 'offers'])).toBe(true);
  });

  it('refuses a profile whose consent covers none of the objectives', () => {
    expect(hasConsent(consenting('analytics'), ['newsletter', 'offers'])).toBe(false);
  });

  it('refuses a profile that consented to nothing', () => {
    expect(hasConsent(consenting(), ['newsletter'])).toBe(false);
  });

  it('refuses everyone when the connection lists no objectives', () => {
    expect(hasConsent(consenting('newsletter'), [])).toBe(false);
  });

  it('refuses a profile stored without consent data', () => {
    const legacy = {} as Pick<Profile, 'consent'>;
    expect(hasConsent(legacy, ['newsletter'])).toBe(false);
  });

  it('matches objectives exactly (case and whole name)', () => {
    expect(hasConsent(consenting('Newsletter'), ['newsletter'])).toBe(false);
    expect(hasConsent(consenting('newsletter-weekly'), ['newsletter'])).toBe(false);
  });
});
