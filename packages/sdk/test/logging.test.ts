import { describe, expect, it } from '@jest/globals';
import { createLogger, redact, type LogLevel } from '@cdp/sdk';

// Shaped like real credentials; none of them is one.
const MAILCHIMP_KEY = '0123456789abcdef0123456789abcdef-us21';
const OTHER_KEY = 'fedcba9876543210fedcba9876543210-eu1';
const SIGNING_SECRET = 'hook-secret-value!';

/** A logger that collects its lines, parsed. */
function capture(options: { level?: LogLevel; secrets?: () => readonly string[] } = {}): {
  logger: ReturnType<typeof createLogger>;
  lines: string[];
  entries: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const logger = createLogger({ ...options, write: (line) => lines.push(line) });
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('redact', () => {
  it('masks every occurrence of each secret', () => {
    expect(redact(`a ${SIGNING_SECRET} b ${SIGNING_SECRET}`, [SIGNING_SECRET])).toBe('a *** b ***');
  });

  it('masks the longer secret whole when one secret contains another', () => {
    expect(redact('token=abcdef123', ['abc', 'abcdef123'])).toBe('token=***');
  });

  it('masks anything shaped like a Mailchimp API key, even when not declared', () => {
    expect(redact(`key ${MAILCHIMP_KEY} and ${OTHER_KEY.toUpperCase()}.`, [])).toBe('key *** and ***.');
  });

  it('masks a key glued to other text, as in a URL or a query string', () => {
    expect(redact(`https://any:${MAILCHIMP_KEY}@host?apikey=x${OTHER_KEY}z`, [])).toBe('https://any:***@host?apikey=x***z');
  });

  it('keeps 32-hex subscriber hashes, which are not keys', () => {
    const hash = '62eeb292278cc15f5817cb78f7790b08';
    expect(redact(`member ${hash} failed`, [])).toBe(`member ${hash} failed`);
  });

  it('masks Bearer and Basic credentials', () => {
    expect(redact('Authorization: Bearer eyJhbGciOi.J9-x_y~z+/= next', [])).toBe('Authorization: Bearer *** next');
    expect(redact('authorization: basic YW55c3RyaW5nOmtleQ==', [])).toBe('authorization: basic ***');
  });

  it('masks every form of a declared secret: its key part, URL-encoded, and inside Basic credentials', () => {
    const key = 'aaaabbbbccccddddeeeeffff00001111-us21';
    expect(redact('key part aaaabbbbccccddddeeeeffff00001111 echoed', [key])).toBe('key part *** echoed');
    expect(redact(`q=${encodeURIComponent('p@ss word/+x')}`, ['p@ss word/+x'])).toBe('q=***');
    for (const user of ['', 'a', 'an', 'any', 'anystring', 'user']) {
      const basic = Buffer.from(`${user}:${key}`).toString('base64');
      const masked = redact(`sent ${basic} raw`, [key]);
      expect(masked).toContain('***');
      // What is left of the encoding is the user name's part and the one group at each edge of the key.
      const left = masked.replace(/^sent | raw$/g, '').replace('***', '');
      expect(left.length).toBeLessThanOrEqual(Math.ceil((user.length + 1) / 3) * 4 + 4);
    }
  });

  it('ignores empty secrets', () => {
    expect(redact('plain text', ['', 'absent'])).toBe('plain text');
  });

  it('masks secrets holding regular-expression characters literally', () => {
    expect(redact('pw=a.b*c(d) and aXbbc', ['a.b*c(d)'])).toBe('pw=*** and aXbbc');
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, message and fields', () => {
    const { logger, lines, entries } = capture();
    logger.log('info', 'run started', { connectionId: 'newsletter', goals: 2 });
    expect(lines).toHaveLength(1);
    const [entry] = entries();
    expect(Object.keys(entry)).toEqual(['time', 'level', 'msg', 'connectionId', 'goals']);
    expect(entry).toMatchObject({ level: 'info', msg: 'run started', connectionId: 'newsletter', goals: 2 });
    expect(new Date(entry.time as string).toISOString()).toBe(entry.time);
  });

  it('drops lines under the level, info by default', () => {
    const byDefault = capture();
    byDefault.logger.log('debug', 'hidden');
    byDefault.logger.log('warn', 'shown');
    expect(byDefault.entries().map((e) => e.msg)).toEqual(['shown']);

    const quiet = capture({ level: 'error' });
    (['debug', 'info', 'warn', 'error'] as const).forEach((level) => quiet.logger.log(level, level));
    expect(quiet.entries().map((e) => e.msg)).toEqual(['error']);

    const verbose = capture({ level: 'debug' });
    verbose.logger.log('debug', 'details');
    expect(verbose.entries().map((e) => e.msg)).toEqual(['details']);
  });

  it('redacts secrets and key-shaped strings in the message', () => {
    const { logger, lines } = capture({ secrets: () => [SIGNING_SECRET] });
    logger.log('error', `signing with ${SIGNING_SECRET} failed for ${MAILCHIMP_KEY}`);
    expect(lines[0]).not.toContain(SIGNING_SECRET);
    expect(lines[0]).not.toContain(MAILCHIMP_KEY);
    expect(JSON.parse(lines[0]).msg).toBe('signing with *** failed for ***');
  });

  it('redacts nested fields, arrays and keys', () => {
    const { logger, lines, entries } = capture({ secrets: () => [SIGNING_SECRET] });
    logger.log('info', 'config', {
      auth: { apiKey: MAILCHIMP_KEY, nested: { deeper: [`x ${SIGNING_SECRET}`, 7, null] } },
      [SIGNING_SECRET]: 'as a key',
    });
    expect(lines[0]).not.toContain(MAILCHIMP_KEY);
    expect(lines[0]).not.toContain(SIGNING_SECRET);
    expect(entries()[0]).toMatchObject({ auth: { apiKey: '***', nested: { deeper: ['x ***', 7, null] } }, '***': 'as a key' });
  });

  it('redacts error messages, stacks, own properties and causes', () => {
    const { logger, lines, entries } = capture({ secrets: () => [SIGNING_SECRET] });
    const cause = new Error(`401 API Key Invalid: ${MAILCHIMP_KEY}`);
    const error = Object.assign(new Error(`request failed with ${SIGNING_SECRET}`, { cause }), {
      status: 401,
      detail: `key ${MAILCHIMP_KEY}`,
      response: { socket: { huge: 'object' } },
    });
    logger.log('error', 'call failed', { error });
    expect(lines[0]).not.toContain(MAILCHIMP_KEY);
    expect(lines[0]).not.toContain(SIGNING_SECRET);
    const logged = entries()[0].error as Record<string, unknown>;
    expect(logged).toMatchObject({
      name: 'Error',
      message: 'request failed with ***',
      status: 401,
      detail: 'key ***',
      cause: { name: 'Error', message: '401 API Key Invalid: ***' },
    });
    expect(logged.stack).toEqual(expect.stringContaining('request failed with ***'));
    expect(logged).not.toHaveProperty('response');
  });

  it('reads the secrets at every line, so secrets resolved later are masked', () => {
    const secrets: string[] = [];
    const { logger, lines } = capture({ secrets: () => secrets });
    logger.log('info', 'before: late-secret');
    secrets.push('late-secret');
    logger.log('info', 'after: late-secret');
    expect(JSON.parse(lines[0]).msg).toBe('before: late-secret');
    expect(JSON.parse(lines[1]).msg).toBe('after: ***');
  });

  it('keeps its own time, level and message when fields use those names', () => {
    const { logger, entries } = capture();
    logger.log('warn', 'real', { level: 'fake', msg: 'fake', time: 'fake' });
    expect(entries()[0]).toMatchObject({ level: 'warn', msg: 'real', 'field.level': 'fake', 'field.msg': 'fake', 'field.time': 'fake' });
  });

  it('writes dates, big integers and circular references safely', () => {
    const { logger, entries } = capture();
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    logger.log('info', 'values', { at: new Date('2024-03-01T12:00:00Z'), big: 10n ** 20n, loop, fn: () => 1 });
    expect(entries()[0]).toMatchObject({ at: '2024-03-01T12:00:00.000Z', big: '100000000000000000000', loop: { name: 'loop', self: '[Circular]' } });
    expect(entries()[0]).not.toHaveProperty('fn');
  });

  it('logs the same object twice in one line without calling it circular', () => {
    const { logger, entries } = capture();
    const shared = { id: 1 };
    logger.log('info', 'twice', { a: shared, b: shared });
    expect(entries()[0]).toMatchObject({ a: { id: 1 }, b: { id: 1 } });
  });
});
