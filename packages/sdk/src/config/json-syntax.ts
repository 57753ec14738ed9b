import { visit, type JSONPath } from 'jsonc-parser';
import { pointerTo } from './pointers.js';

/** Where a text stops being JSON, and why, in words. */
export interface JsonSyntaxError {
  line: number;
  column: number;
  reason: string;
}

/** What a scan of a JSON text found: its first syntax error, and every key repeated within one object. */
export interface JsonScan {
  syntax?: JsonSyntaxError;
  /** JSON pointers of repeated keys (JSON.parse silently keeps the last value of each). */
  duplicateKeys: string[];
}

/** Strict JSON: no comments, no trailing commas, no empty text. */
const STRICT = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false };

/** jsonc-parser's ParseErrorCode values (a const enum in its types, so not importable as values). */
const ParseErrorCode = {
  InvalidSymbol: 1,
  InvalidNumberFormat: 2,
  PropertyNameExpected: 3,
  ValueExpected: 4,
  ColonExpected: 5,
  CommaExpected: 6,
  CloseBraceExpected: 7,
  CloseBracketExpected: 8,
  EndOfFileExpected: 9,
  InvalidCommentToken: 10,
  UnexpectedEndOfComment: 11,
  UnexpectedEndOfString: 12,
  UnexpectedEndOfNumber: 13,
  InvalidUnicode: 14,
  InvalidEscapeCharacter: 15,
  InvalidCharacter: 16,
} as const;

/**
 * Scans a JSON text once (with jsonc-parser, in strict JSON mode) for its first syntax error and its repeated
 * keys. JSON.parse's own messages sometimes omit the position and quote the text, which may hold a secret; these
 * never quote it.
 */
export function scanJson(text: string): JsonScan {
  const duplicateKeys: string[] = [];
  /** The keys seen so far in each object being read, innermost last; undefined for a list. */
  const open: (Set<string> | undefined)[] = [];
  let syntax: JsonSyntaxError | undefined;
  try {
    visit(
      text,
      {
        onObjectBegin: () => void open.push(new Set()),
        onObjectEnd: () => void open.pop(),
        onArrayBegin: () => void open.push(undefined),
        onArrayEnd: () => void open.pop(),
        onObjectProperty: (property: string, _offset: number, _length: number, _line: number, _column: number, path: () => JSONPath) => {
          const keys = open.at(-1);
          if (keys?.has(property)) duplicateKeys.push(pointerTo('', ...path().map(String), property));
          keys?.add(property);
        },
        onError: (code: number, offset: number, length: number) => {
          const container = open.length === 0 ? undefined : open.at(-1) ? 'object' : 'list';
          syntax ??= located(text, ...explain(text, code, offset, length, container));
        },
      },
      STRICT,
    );
  } catch (error) {
    if (error instanceof RangeError) return { syntax: { line: 1, column: 1, reason: 'nested too deeply' }, duplicateKeys };
    throw error;
  }
  return syntax ? { syntax, duplicateKeys } : { duplicateKeys };
}

/** The offset and plain words of a parse error; errors inside a text value point at the offending character. */
function explain(text: string, code: number, offset: number, length: number, inside: 'object' | 'list' | undefined): [number, string] {
  const next = text[offset];
  const before = text.slice(0, offset).trimEnd();
  switch (code) {
    case ParseErrorCode.UnexpectedEndOfString:
      return [offset, 'this text value has no closing double quote'];
    case ParseErrorCode.InvalidCharacter: {
      let at = offset;
      while (at < offset + length && text.charCodeAt(at) >= 0x20) at++;
      return [at < offset + length ? at : offset, 'a line break or control character inside a text value (write it as \\n or \\t)'];
    }
    case ParseErrorCode.InvalidEscapeCharacter:
    case ParseErrorCode.InvalidUnicode: {
      const at = invalidEscape(text.slice(offset, offset + length));
      return [at < 0 ? offset : offset + at, 'an invalid escape after "\\"'];
    }
    case ParseErrorCode.InvalidCommentToken:
    case ParseErrorCode.UnexpectedEndOfComment:
      return [offset, 'comments are not allowed in JSON'];
    case ParseErrorCode.EndOfFileExpected:
      return [offset, 'unexpected text after the end of the JSON value'];
    case ParseErrorCode.ColonExpected:
      return [offset, "expected ':' after the property name"];
    case ParseErrorCode.CommaExpected:
    case ParseErrorCode.CloseBraceExpected:
    case ParseErrorCode.CloseBracketExpected: {
      // jsonc-parser closes the list or object before it reports the missing bracket.
      const list = code === ParseErrorCode.CloseBracketExpected || (code === ParseErrorCode.CommaExpected && inside === 'list');
      if (next === undefined) return [offset, list ? "the text ends inside a list: a ']' is missing" : "the text ends inside an object: a '}' is missing"];
      return [offset, list ? "expected ',' or ']' after a list item" : "expected ',' or '}' after a property value"];
    }
  }
  // PropertyNameExpected, ValueExpected, InvalidSymbol, InvalidNumberFormat, UnexpectedEndOfNumber.
  if ((next === '}' || next === ']') && before.endsWith(',')) return [offset, `a comma before "${next}" is not allowed`];
  if (next === undefined || offset >= text.length) return [offset, 'the text ends where a value was expected'];
  if (inside === undefined && before !== '') return [offset, 'unexpected text after the end of the JSON value'];
  if (code === ParseErrorCode.PropertyNameExpected || (inside === 'object' && /[{,]$/.test(before))) return [offset, 'expected a property name in double quotes'];
  if (code === ParseErrorCode.InvalidNumberFormat || code === ParseErrorCode.UnexpectedEndOfNumber) return [offset, 'an invalid number (JSON numbers look like 12, -3.5 or 1e6)'];
  return [offset, 'expected a value: text in double quotes, a number, true, false, null, {…} or […]'];
}

/** The offset of the first backslash in a string token whose escape JSON does not allow, or -1. */
function invalidEscape(token: string): number {
  for (let at = token.indexOf('\\'); at >= 0; at = token.indexOf('\\', at + 2)) {
    const escaped = token[at + 1];
    if (escaped === 'u' ? !/^[0-9a-fA-F]{4}$/.test(token.slice(at + 2, at + 6)) : !'"\\/bfnrt'.includes(escaped ?? '')) return at;
  }
  return -1;
}

function located(text: string, offset: number, reason: string): JsonSyntaxError {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n'), reason };
}
