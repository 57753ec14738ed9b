import { pointerTo } from './pointers.js';

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

/** What a scan of a JSON text found: its first syntax error, and every key repeated within one object. */
export interface JsonScan {
  syntax?: JsonSyntaxError;
  /** JSON pointers of repeated keys (JSON.parse silently keeps the last value of each). */
  duplicateKeys: string[];
}

/**
 * Scans a JSON text once for its first syntax error and its repeated keys. JSON.parse's own messages
 * sometimes omit the position and quote the text, which may hold a secret; these never quote it.
 */
export function scanJson(text: string): JsonScan {
  const duplicateKeys: string[] = [];
  const path: string[] = [];
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
    const keys = new Set<string>();
    for (;;) {
      skipSpace();
      if (text[at] === '}') fail('a comma before "}" is not allowed');
      if (text[at] !== '"') fail('expected a property name in double quotes');
      const start = at;
      string();
      const key = JSON.parse(text.slice(start, at)) as string;
      if (keys.has(key)) duplicateKeys.push(pointerTo('', ...path, key));
      keys.add(key);
      expect(':', "expected ':' after the property name");
      path.push(key);
      value();
      path.pop();
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
    for (let index = 0; ; index++) {
      skipSpace();
      if (text[at] === ']') fail('a comma before "]" is not allowed');
      path.push(String(index));
      value();
      path.pop();
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
    return { duplicateKeys };
  } catch (error) {
    if (error instanceof RangeError) return { syntax: { line: 1, column: 1, reason: 'nested too deeply' }, duplicateKeys };
    if (!(error instanceof Stop)) throw error;
    return { syntax: { ...lineAndColumn(text, error.offset), reason: error.reason }, duplicateKeys };
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
