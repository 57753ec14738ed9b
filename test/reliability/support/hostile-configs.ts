import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConfigProblem } from '@cdp/sdk';

/** The SDK's config fixtures: malformed configs with the problems they must be refused with, and a catalog. */
export const FIXTURES = fileURLToPath(new URL('../../../packages/sdk/test/fixtures/configs/', import.meta.url));

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

const PROPERTY_NAME = "must be a property name of letters, digits, '_' and '-'";

type Config = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- configs are hostile JSON by design

export interface HostileConfig {
  name: string;
  config: unknown;
  /** The first problem the refusal must name. */
  problem: ConfigProblem;
}

/** The valid minimal config, changed by `change`; JSON text in, so `__proto__` keys stay ordinary own keys. */
function variant(change: (config: Config) => void): Config {
  const config = readJson(`${FIXTURES}valid/minimal.json`) as Config;
  change(config);
  return config;
}

function fromText(text: string): Config {
  return JSON.parse(text) as Config;
}

const minimalText = (): string => readFileSync(`${FIXTURES}valid/minimal.json`, 'utf8');

/** Attacks and absurdities the SDK fixtures do not cover; each must be refused before anything runs. */
export function hostileConfigs(): HostileConfig[] {
  const nested = (depth: number): Config => (depth === 0 ? { env: 'X' } : { deeper: nested(depth - 1) });
  return [
    { name: '__proto__ at the top level', config: fromText(minimalText().replace('{', '{"__proto__": {"enabled": false, "polluted": true},')), problem: { pointer: '', message: 'unknown property "__proto__"' } },
    { name: '__proto__ inside auth', config: fromText(minimalText().replace('"auth": {', '"auth": {"__proto__": {"polluted": true},')), problem: { pointer: '/auth', message: 'unknown property "__proto__"' } },
    { name: 'constructor key in a goal', config: variant((c) => (c.goals[0].constructor = { prototype: { polluted: true } })), problem: { pointer: '/goals/0', message: 'unknown property "constructor"' } },
    { name: '$where as a top-level key', config: variant((c) => (c.$where = 'sleep(10000)')), problem: { pointer: '', message: 'unknown property "$where"' } },
    { name: '$where as an import target property', config: variant((c) => (c.goals[0].mappings[0].to = '$where')), problem: { pointer: '/goals/0/mappings/0/to', message: PROPERTY_NAME } },
    { name: '$ne operator object as the segment', config: variant((c) => (c.goals[1].segment = { $ne: null })), problem: { pointer: '/goals/1/segment', message: 'must be text (got an object)' } },
    { name: '$gt operator object as the identifier', config: variant((c) => (c.goals[0].identifier = { $gt: '' })), problem: { pointer: '/goals/0/identifier', message: PROPERTY_NAME } },
    { name: 'dotted operator path as an exported property', config: variant((c) => (c.goals[1].mappings[0].property = 'properties.$where')), problem: { pointer: '/goals/1/mappings/0/property', message: PROPERTY_NAME } },
    { name: 'prototype path as a member field', config: variant((c) => (c.goals[0].mappings[0].from = 'constructor.prototype.polluted')), problem: { pointer: '/goals/0/mappings/0/from', message: 'must be a member field path such as email_address' } },
    { name: 'SQL-style injection in the connection id', config: variant((c) => (c.id = "x'; DROP TABLE profiles; --")), problem: { pointer: '/id', message: "must be an id of lowercase letters, digits, '-' and '_'" } },
    { name: 'shell injection in a secret reference', config: variant((c) => (c.auth.apiKey.env = 'MAILCHIMP_API_KEY; cat /etc/passwd')), problem: { pointer: '/auth/apiKey/env', message: 'must be an environment variable name' } },
    { name: 'file URL as the API base', config: variant((c) => (c.auth.baseUrl = 'file:///etc/passwd')), problem: { pointer: '/auth/baseUrl', message: 'must be an http:// or https:// URL' } },
    { name: 'javascript URL as the API base', config: variant((c) => (c.auth.baseUrl = 'javascript:alert(1)')), problem: { pointer: '/auth/baseUrl', message: 'must be an http:// or https:// URL' } },
    { name: 'path traversal as an audience id', config: variant((c) => (c.goals[1].audiences = ['../../lists'])), problem: { pointer: '/goals/1/audiences/0', message: 'must be a Mailchimp audience id' } },
    { name: 'script tag as a merge tag', config: variant((c) => (c.goals[1].mappings[0].to = '<SCRIPT>')), problem: { pointer: '/goals/1/mappings/0/to', message: 'must be a merge tag of at most 10 characters' } },
    { name: 'NUL byte in the identifier', config: variant((c) => (c.goals[0].identifier = 'email\u0000')), problem: { pointer: '/goals/0/identifier', message: PROPERTY_NAME } },
    { name: 'path traversal as a time zone', config: variant((c) => (c.schedule = { type: 'daysOfWeek', timeZone: '../../../etc/localtime', days: ['mon'], at: ['09:00'] })), problem: { pointer: '/schedule/timeZone', message: 'unknown time zone "../../../etc/localtime"' } },
    { name: '100,000 objectives', config: variant((c) => (c.objectives = Array.from({ length: 100_000 }, (_, i) => `objective-${i}`))), problem: { pointer: '/objectives', message: 'has too many items: 100000, at most 50' } },
    { name: '10,000 goals', config: variant((c) => (c.goals = Array.from({ length: 10_000 }, (_, i) => ({ ...c.goals[0], id: `goal-${i}` })))), problem: { pointer: '/goals', message: 'has too many items: 10000, at most 50' } },
    { name: '5,000 mappings', config: variant((c) => (c.goals[0].mappings = Array.from({ length: 5_000 }, (_, i) => ({ from: `merge_fields.F${i}`, to: 'first_name', mode: 'set' })))), problem: { pointer: '/goals/0/mappings', message: 'has too many items: 5000, at most 200' } },
    { name: 'a 1 MB name', config: variant((c) => (c.name = 'x'.repeat(1_000_000))), problem: { pointer: '/name', message: 'is too long: 1000000 characters, at most 200' } },
    { name: 'auth nested 2,000 levels deep', config: variant((c) => (c.auth.apiKey = nested(2_000))), problem: { pointer: `/auth/apiKey${'/deeper'.repeat(30)}`, message: 'is nested too deeply (more than 32 levels)' } },
    { name: 'schedule on 31 February', config: variant((c) => (c.schedule = { type: 'daysOfMonth', timeZone: 'UTC', days: [30, 31], months: [2], at: ['09:00'] })), problem: { pointer: '/schedule', message: 'never runs in the next 5 years' } },
    { name: 'schedule at 24:00', config: variant((c) => (c.schedule = { type: 'daysOfWeek', timeZone: 'UTC', days: ['mon'], at: ['24:00'] })), problem: { pointer: '/schedule/at/0', message: 'must be a time of day as HH:mm' } },
    { name: 'schedule a billion times a day', config: variant((c) => (c.schedule = { type: 'timesPerDay', timeZone: 'UTC', timesPerDay: 1_000_000_000 })), problem: { pointer: '/schedule/timesPerDay', message: 'must be at most 96 (got 1000000000)' } },
    { name: 'schedule zero times a day', config: variant((c) => (c.schedule = { type: 'timesPerDay', timeZone: 'UTC', timesPerDay: 0 })), problem: { pointer: '/schedule/timesPerDay', message: 'must be at least 1 (got 0)' } },
  ];
}
