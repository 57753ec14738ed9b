import type { Connection, ExportGoal, ExportMapping, ImportGoal, ImportMapping, PropertyDefinition, PropertyType } from '@cdp/sdk';

/** A merge field as the connector lists it: tag, display name and Mailchimp type. */
export interface MergeFieldInfo {
  tag: string;
  name: string;
  type: string;
}

/** A merge field and a catalog property whose names match, and whether their types do. */
export interface Pairing {
  field: MergeFieldInfo;
  property: PropertyDefinition;
  /** `name`: the same name once case and separators are set aside; `synonym`: a common synonym (FNAME, first name). */
  match: 'name' | 'synonym';
  /** Unknown when the catalog gives the property no type. */
  compatible: boolean | undefined;
}

export interface GoalSuggestions {
  goal: Connection['goals'][number];
  /** Compatible (or untyped) pairs, as the goal's mappings. */
  mappings: (ImportMapping | ExportMapping)[];
  pairings: Pairing[];
}

/** Names that mean the same field, in normalised form; Mailchimp's default tags among them. */
const SYNONYMS: readonly (readonly string[])[] = [
  ['firstname', 'fname', 'givenname', 'forename'],
  ['lastname', 'lname', 'surname', 'familyname'],
  ['phone', 'phonenumber', 'telephone', 'tel', 'mobile', 'mobilephone', 'mobilenumber'],
  ['birthday', 'bday', 'birthdate', 'dateofbirth', 'dob'],
  ['address', 'addr', 'postaladdress', 'streetaddress', 'mailingaddress'],
  ['company', 'companyname', 'organization', 'organisation', 'employer'],
  ['zip', 'zipcode', 'postcode', 'postalcode'],
];

const CANONICAL = new Map(SYNONYMS.flatMap((group) => group.map((name) => [name, group[0]] as const)));

/** Case, separators and camelCase humps set aside: First Name, first_name, firstName and FIRSTNAME are alike. */
export function normalizeName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

function canonical(name: string): string {
  const normal = normalizeName(name);
  return CANONICAL.get(normal) ?? normal;
}

/**
 * Which property types an export can write into each merge-field type. The engine sends every value as text
 * (a list joined by its separator), which text fields take whatever it says; the others need the right text.
 */
const EXPORT_ACCEPTS: Readonly<Record<string, readonly PropertyType[]>> = {
  text: ['text', 'number', 'boolean', 'date', 'list'],
  number: ['number'],
  date: ['date'],
  // MM/DD: a full date is refused.
  birthday: ['text'],
  phone: ['text'],
  zip: ['text'],
  url: ['text'],
  imageurl: ['text'],
  // One of the field's choices, checked when the member is written.
  radio: ['text'],
  dropdown: ['text'],
  // An object of address parts: nothing the engine sends as text.
  address: [],
};

/** Which property types an import can fill from each merge-field type (an address is read as an object). */
const IMPORT_FILLS: Readonly<Record<string, readonly PropertyType[]>> = {
  text: ['text', 'list'],
  number: ['number', 'text'],
  date: ['date', 'text'],
  birthday: ['text'],
  phone: ['text'],
  zip: ['text'],
  url: ['text'],
  imageurl: ['text'],
  radio: ['text', 'list'],
  dropdown: ['text', 'list'],
  address: [],
};

/** Whether the goal's direction can carry a value between a field of this type and a property of that type. */
export function typesCompatible(kind: 'import' | 'export', fieldType: string, propertyType: PropertyType | undefined): boolean | undefined {
  if (propertyType === undefined) return undefined;
  const table = kind === 'export' ? EXPORT_ACCEPTS : IMPORT_FILLS;
  return (table[fieldType] ?? []).includes(propertyType);
}

/**
 * Pairs each merge field the goal does not map yet with a catalog property of the same name (or a synonym) it
 * does not use yet: a same-name match before a synonym, a compatible type before an unknown one before an
 * incompatible one. Only the pairs whose types are compatible, or unknown, become mappings.
 */
export function suggestForGoal(goal: ImportGoal | ExportGoal, fields: readonly MergeFieldInfo[], properties: readonly PropertyDefinition[]): GoalSuggestions {
  const mapped = mappedTags(goal);
  const used = usedProperties(goal);
  const pairings: Pairing[] = [];
  for (const field of fields) {
    if (mapped.has(field.tag)) continue;
    const best = properties
      .filter((property) => !used.has(property.name))
      .map((property) => pairing(goal.kind, field, property))
      .filter((candidate): candidate is Pairing => candidate !== undefined)
      .sort((a, b) => rank(a) - rank(b))[0];
    if (!best) continue;
    pairings.push(best);
    used.add(best.property.name);
  }
  const mappings = pairings.filter((p) => p.compatible !== false).map((p) => toMapping(goal.kind, p));
  return { goal, mappings, pairings };
}

function pairing(kind: 'import' | 'export', field: MergeFieldInfo, property: PropertyDefinition): Pairing | undefined {
  const names = [field.tag, field.name];
  const match = names.some((name) => normalizeName(name) === normalizeName(property.name))
    ? 'name'
    : names.some((name) => canonical(name) === canonical(property.name))
      ? 'synonym'
      : undefined;
  return match && { field, property, match, compatible: typesCompatible(kind, field.type, property.type) };
}

function rank(pairing: Pairing): number {
  const byType = pairing.compatible === true ? 0 : pairing.compatible === undefined ? 1 : 2;
  return byType * 2 + (pairing.match === 'name' ? 0 : 1);
}

function toMapping(kind: 'import' | 'export', { field, property }: Pairing): ImportMapping | ExportMapping {
  if (kind === 'export') return { source: 'property', property: property.name, to: field.tag };
  return { from: `merge_fields.${field.tag}`, to: property.name, mode: property.type === 'list' ? 'add' : 'set' };
}

const MERGE_FIELD_PATH = /^merge_fields\.([^.]+)$/;

/** The merge fields the goal maps already. */
function mappedTags(goal: ImportGoal | ExportGoal): Set<string> {
  if (goal.kind === 'export') return new Set(goal.mappings.map((mapping) => mapping.to));
  return new Set(goal.mappings.flatMap((mapping) => MERGE_FIELD_PATH.exec(mapping.from)?.[1] ?? []));
}

/** Properties the goal already fills or reads, with its identifier: a second mapping would compete with the first. */
function usedProperties(goal: ImportGoal | ExportGoal): Set<string> {
  if (goal.kind === 'export') {
    return new Set([goal.identifier, ...goal.mappings.flatMap((mapping) => (mapping.source === 'property' ? [mapping.property] : []))]);
  }
  return new Set([goal.identifier, ...(goal.saveAudiencesTo ? [goal.saveAudiencesTo] : []), ...goal.mappings.map((mapping) => mapping.to)]);
}
