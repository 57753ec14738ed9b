/** Where a text stops being JSON, and why, in words. */
export interface JsonSyntaxError {
  line: number;
  column: number;
  reason: string;
}

class Stop {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/**
 * Finds the first JSON syntax error of a text (undefined when it is valid JSON). JSON.parse's own messages
 * sometimes omit the position and quote the text, which may hold a secret; these never quote it.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let at = 0;
  const fail = (reason: string, offset = at): never => {
    throw new Stop(offset, reason);
  };
  const skipSpace = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at])) at++;
  };
  const expect = (char: string, reason: string): void => {
    skipSpace();
    if (text[at] !== char) fail(reason);
    at++;
  };

  const value = (): void => {
    skipSpace();
    const char = text[at];
    if (char === '{') return object();
    if (char === '[') return list();
    if (char === '"') return string();
    NUMBER.lastIndex = at;
    if (NUMBER.test(text)) {
      at = NUMBER.lastIndex;
      return;
    }
    const word = ['true', 'false', 'null'].find((literal) => text.startsWith(literal, at));
    if (word) {
      at += word.length;
      return;
    }
    fail(char === undefined ? 'the text ends where a value was expected' : 'expected a value: text in double quotes, a number, true, false, null, {…} or […]');
  };

  const object = (): void => {
    at++;
    skipSpace();
    if (text[at] === '}') {
      at++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[at] === '}') fail('a comma before "}" is not allowed');
      if (text[at] !== '"') fail('expected a property name in double quotes');
      string();
      expect(':', "expected ':' after the property name");
      value();
      skipSpace();
      if (text[at] === '}') {
        at++;
        return;
      }
      expect(',', "expected ',' or '}' after a property value");
    }
  };

  const list = (): void => {
    at++;
    skipSpace();
    if (text[at] === ']') {
      at++;
      return;
    }
    for (;;) {
      skipSpace();
      if (text[at] === ']') fail('a comma before "]" is not allowed');
      value();
      skipSpace();
      if (text[at] === ']') {
        at++;
        return;
      }
      expect(',', "expected ',' or ']' after a list item");
    }
  };

  const string = (): void => {
    const start = at;
    at++;
    for (;;) {
      const char = text[at];
      if (char === undefined) fail('this text value has no closing double quote', start);
      if (char === '"') {
        at++;
        return;
      }
      if (char < ' ') fail('a line break or control character inside a text value (write it as \\n or \\t)');
      if (char === '\\') {
        const escaped = text[at + 1];
        if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) at += 6;
        else if (ESCAPES.has(escaped)) at += 2;
        else fail('an invalid escape after "\\"');
      } else {
        at++;
      }
    }
  };

  try {
    value();
    skipSpace();
    if (at < text.length) fail('unexpected text after the end of the JSON value');
    return undefined;
  } catch (error) {
    if (error instanceof RangeError) return { line: 1, column: 1, reason: 'nested too deeply' };
    if (!(error instanceof Stop)) throw error;
    return { ...lineAndColumn(text, error.offset), reason: error.reason };
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
