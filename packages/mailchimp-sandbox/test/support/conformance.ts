import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { startSandbox, type RecordedResponse, type Sandbox, type SandboxOptions } from '@cdp/mailchimp-sandbox';

// Mailchimp's published spec, the paths the sandbox answers (see spec/SOURCE.md and scripts/vendor-spec.mjs).
const SPEC_PATH = fileURLToPath(new URL('../../spec/mailchimp-marketing.openapi.json', import.meta.url));
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
type Spec = { paths: Record<string, Record<string, Operation>> };

/** Validates sandbox responses against the response schema of the same operation and status in Mailchimp's OpenAPI spec. */
export class OpenApiConformance {
  private readonly spec: Spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Spec;
  // OpenAPI 3.0 schemas carry readOnly, example, x-… keywords: strict mode off. Mailchimp leaves unset
  // timestamps empty (""), so date-time accepts "" or a full ISO 8601 time.
  // Only date-time is checked; the spec's other formats (uri, email…) are Mailchimp's hints, accepted as text.
  private readonly ajv = new Ajv({ strict: false, allErrors: true, formats: { uri: true, email: true } })
    .addFormat('date-time', (value: string) => value === '' || ISO_DATE_TIME.test(value));
  private readonly validators = new Map<string, ValidateFunction>();

  /** Problems found in one response (empty when it conforms). */
  check(response: RecordedResponse): string[] {
    const label = `${response.method} ${response.route ?? '(no route)'} → ${response.status}`;
    const operation = response.route ? this.spec.paths[response.route]?.[response.method.toLowerCase()] : undefined;
    const fallback = this.spec.paths['/ping'].get; // every operation shares this problem document as `default`
    const chosen = operation ?? (response.status >= 400 ? fallback : undefined);
    if (!chosen) return [`${label}: no such operation in the spec`];
    const declared = chosen.responses[String(response.status)] ?? chosen.responses.default;
    const schema = declared?.content?.['application/json']?.schema;
    if (!schema) return response.body === undefined ? [] : [`${label}: the spec declares no body, but one was sent`];
    const key = `${response.method} ${response.route} ${response.status in chosen.responses ? response.status : 'default'}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(key, validate);
    }
    if (validate(response.body)) return [];
    return (validate.errors ?? []).map((error) => `${label}: ${error.instancePath || '/'} ${error.message}`);
  }
}

let shared: OpenApiConformance | undefined;

export interface CheckedSandbox {
  sandbox: Sandbox;
  /** Non-conforming responses seen so far; tests assert it stays empty. */
  violations: string[];
  /** How many responses were checked. */
  checked: () => number;
}

/** Starts a sandbox whose every /3.0 response is checked against the OpenAPI spec. */
export async function startCheckedSandbox(options: SandboxOptions = {}): Promise<CheckedSandbox> {
  shared ??= new OpenApiConformance();
  const conformance = shared;
  const violations: string[] = [];
  let count = 0;
  const sandbox = await startSandbox({
    ...options,
    onResponse: (response) => {
      count += 1;
      violations.push(...conformance.check(response));
    },
  });
  return { sandbox, violations, checked: () => count };
}

/**
 * A checked sandbox for the tests of the enclosing `describe`: started before them, closed after them, and every
 * test fails on a response that does not conform. Its fields are there once the suite's first `beforeAll` ran.
 */
export function checkedSandboxForSuite(options: SandboxOptions = {}): CheckedSandbox {
  const suite = {} as CheckedSandbox;
  beforeAll(async () => {
    Object.assign(suite, await startCheckedSandbox(options));
  });
  afterEach(() => expect(suite.violations).toEqual([]));
  afterAll(() => suite.sandbox.close());
  return suite;
}
