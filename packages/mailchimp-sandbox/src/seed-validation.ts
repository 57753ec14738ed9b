import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { MERGE_FIELD_TYPES } from './merge-fields.js';
import type { SandboxSeed } from './types.js';

const text = { type: 'string', pattern: '\\S', description: 'must be a non-empty string' };
const oneOf = (values: readonly string[]) => ({ type: 'string', enum: values });

/** What a seed may hold; other fields of its objects are left to the sandbox, as Mailchimp's own would be. */
const SEED_SCHEMA = {
  type: 'object',
  properties: {
    apiKeys: {
      type: 'array',
      items: { type: 'string', pattern: '^[0-9a-f]{32}-[a-z]+\\d+$', description: 'must look like <32 hex digits>-<datacenter>, e.g. …-us21' },
    },
    lists: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name'],
        properties: {
          id: text,
          name: text,
          merge_fields: {
            type: 'array',
            items: {
              type: 'object',
              required: ['tag', 'name', 'type'],
              properties: { tag: { ...text, maxLength: 10, description: 'must be a non-empty string of at most 10 characters' }, name: text, type: oneOf(MERGE_FIELD_TYPES) },
            },
          },
          members: {
            type: 'array',
            items: {
              type: 'object',
              required: ['email_address', 'status'],
              properties: {
                email_address: text,
                status: oneOf(['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional', 'archived']),
                interests: { type: 'object', additionalProperties: { type: 'boolean' }, description: 'must map interest ids to true or false' },
                marketing_permissions: { type: 'object', additionalProperties: { type: 'boolean' }, description: 'must map marketing permission ids to true or false' },
              },
            },
          },
          interest_categories: {
            type: 'array',
            items: {
              type: 'object',
              required: ['title'],
              properties: {
                id: text,
                title: text,
                type: oneOf(['checkboxes', 'dropdown', 'radio', 'hidden']),
                interests: { type: 'array', items: { type: 'object', required: ['name'], properties: { id: text, name: text } } },
              },
            },
          },
          marketing_permissions: {
            type: 'array',
            items: { type: 'object', required: ['text'], properties: { marketing_permission_id: text, text } },
          },
        },
      },
    },
    campaigns: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'list_id', 'send_time', 'recipients'],
        properties: {
          id: text,
          list_id: text,
          send_time: text,
          recipients: {
            type: 'array',
            items: {
              type: 'object',
              required: ['email_address'],
              properties: {
                email_address: text,
                activity: {
                  type: 'array',
                  items: { type: 'object', required: ['action', 'timestamp'], properties: { action: oneOf(['open', 'click', 'bounce']), timestamp: text } },
                },
              },
            },
          },
        },
      },
    },
  },
};

const validate = new Ajv2020({ allErrors: true, verbose: true }).compile<SandboxSeed>(SEED_SCHEMA);

/** One problem as `path: what`; a missing field is named by its own path. */
function describe(error: ErrorObject): string {
  if (error.keyword === 'required') return `${error.instancePath}/${error.params.missingProperty as string}: is required`;
  if (error.keyword === 'enum') return `${error.instancePath}: must be one of ${(error.params.allowedValues as string[]).join(', ')}`;
  const what = (error.parentSchema as { description?: string } | undefined)?.description ?? error.message;
  return `${error.instancePath || '/'}: ${what}`;
}

/** Checks a seed's shape and lists every problem with its JSON path, so a bad file changes nothing. */
export function assertValidSeed(seed: unknown): asserts seed is SandboxSeed {
  if (validate(seed)) return;
  throw new Error(`Invalid sandbox seed:\n  ${validate.errors!.map(describe).join('\n  ')}`);
}
