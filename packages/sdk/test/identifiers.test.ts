import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { isValidEmail, normalizeEmail, subscriberHash } from '@cdp/sdk';

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

describe('normalizeEmail', () => {
  it('trims and lowercases', () => {
    expect(normalizeEmail('  Urist.McVankab@FreddiesJokes.COM \t\n')).toBe('urist.mcvankab@freddiesjokes.com');
  });

  it('composes decomposed accents (NFC) so both spellings are one address', () => {
    const decomposed = 'Jose\u0301@example.com';
    const composed = 'jos\u00e9@example.com';
    expect(normalizeEmail(decomposed)).toBe(composed);
    expect(normalizeEmail(decomposed)).not.toBe(decomposed.toLowerCase());
  });
});

describe('subscriberHash', () => {
  it("matches Mailchimp's documented hash and the MD5 of the empty string", () => {
    expect(subscriberHash('urist.mcvankab@freddiesjokes.com')).toBe('62eeb292278cc15f5817cb78f7790b08');
    expect(subscriberHash('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('hashes the normalised form, whatever the case and surrounding spaces', () => {
    expect(subscriberHash(' Urist.McVankab@FREDDIESJOKES.com ')).toBe('62eeb292278cc15f5817cb78f7790b08');
  });

  it.each(['ada@example.com', 'Grace.Hopper+navy@Example.org', '  zoë@exämple.de'])('equals md5(normalised) for %j', (email) => {
    expect(subscriberHash(email)).toBe(md5(email.normalize('NFC').trim().toLowerCase()));
  });

  it('hashes UTF-8 bytes, so composed and decomposed accents give one member id', () => {
    expect(subscriberHash('zoe\u0308@example.de')).toBe(subscriberHash('zo\u00eb@example.de'));
  });
});

describe('isValidEmail', () => {
  it.each([
    'a@b.co',
    'urist.mcvankab@freddiesjokes.com',
    'first.last+tag@sub.example.co.uk',
    "o'brien@example.ie",
    'x_y-z@my-domain.io',
    'user@xn--bcher-kva.example',
    'user@bücher.de',
    `${'l'.repeat(64)}@example.com`,
  ])('accepts %j', (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['no @', 'example.com'],
    ['two @', 'a@b@example.com'],
    ['empty local part', '@example.com'],
    ['empty domain', 'user@'],
    ['no dot in domain', 'user@localhost'],
    ['space inside', 'us er@example.com'],
    ['untrimmed', ' user@example.com'],
    ['tab', 'user@exa\tmple.com'],
    ['consecutive dots in local part', 'john..doe@example.com'],
    ['leading dot', '.john@example.com'],
    ['trailing dot in local part', 'john.@example.com'],
    ['consecutive dots in domain', 'john@example..com'],
    ['trailing dot in domain', 'john@example.com.'],
    ['label starting with hyphen', 'john@-example.com'],
    ['label ending with hyphen', 'john@example-.com'],
    ['one-letter top level', 'john@example.c'],
    ['numeric top level', 'john@192.168.0.1'],
    ['IP literal', 'john@[192.168.0.1]'],
    ['quoted local part', '"john doe"@example.com'],
    ['comma', 'john,doe@example.com'],
    ['non-ASCII local part', 'jöhn@example.com'],
    ['local part over 64', `${'l'.repeat(65)}@example.com`],
    ['label over 63', `john@${'d'.repeat(64)}.com`],
  ])('refuses %s', (_why, email) => {
    expect(isValidEmail(email)).toBe(false);
  });

  it('refuses addresses longer than 254 characters and accepts 254', () => {
    const domainOf = (length: number): string => {
      const labels: string[] = [];
      let remaining = length - 4; // room for '.com'
      while (remaining > 0) {
        const size = Math.min(63, remaining);
        labels.push('d'.repeat(size));
        remaining -= size + 1;
      }
      return `${labels.join('.')}.com`;
    };
    const local = 'l'.repeat(64);
    const at254 = `${local}@${domainOf(254 - 65)}`;
    const at255 = `${local}@${domainOf(255 - 65)}`;
    expect(at254).toHaveLength(254);
    expect(at255).toHaveLength(255);
    expect(isValidEmail(at254)).toBe(true);
    expect(isValidEmail(at255)).toBe(false);
  });
});
