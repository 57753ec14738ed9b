import type { PropertyValue } from '../profile.js';

type Properties = Record<string, PropertyValue[]>;

/** The values of a property, reading own keys only so names like `__proto__` never reach the prototype. */
export function propertyValues(properties: Properties, name: string): PropertyValue[] | undefined {
  return Object.hasOwn(properties, name) ? properties[name] : undefined;
}

/** A copy of `properties` with `name` set; a computed key is defined, never assigned, so `__proto__` stays a plain key. */
export function withProperty(properties: Properties, name: string, values: PropertyValue[]): Properties {
  return { ...properties, [name]: values };
}

const NUMERIC_LITERAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite number, or a string that is a decimal literal of one; anything else gives undefined. */
export function toFiniteNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !NUMERIC_LITERAL.test(value.trim())) return undefined;
  const parsed = Number(value.trim());
  return Number.isFinite(parsed) ? parsed : undefined;
}
