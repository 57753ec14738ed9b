// Writes examples/profiles.ndjson: 300 sample profiles for the newsletter example, the same on every run.
// Mixed on purpose: some lack consent, some lack an email (or have a broken one), some are not in the segment.
// Usage: node examples/generate-profiles.mjs [output file, default examples/profiles.ndjson]
import { writeFileSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import process from 'node:process';

const COUNT = 300;
const UPDATED_BEFORE = Date.parse('2026-03-01T09:00:00Z');

/** mulberry32: a tiny seeded generator, so the file only changes when this script does. */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = seededRandom(20260301);
const chance = (p) => random() < p;
const pick = (list) => list[Math.floor(random() * list.length)];
const some = (list, p) => list.filter(() => chance(p));

const FIRST_NAMES = ['Anna', 'Daan', 'Sanne', 'Lucas', 'Zoë', 'Jürgen', 'Anaïs', 'Sébastien', 'Fleur', 'Noah', 'Emma', 'Bram',
  'Małgorzata', 'Søren', 'Inès', 'Thijs', 'Lotte', 'Mohammed', 'Yara', 'Pieter', 'Chloé', 'Ruben', 'Femke', 'Olivia'];
const LAST_NAMES = ['de Vries', 'Jansen', 'van den Berg', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Müller', 'Dubois', 'El Amrani',
  'Kowalski', 'Nielsen', 'Peeters', 'Janssens', "O'Brien", 'van Dijk', 'Mulder', 'de Jong', 'García', 'Hoekstra'];
const PLACES = [
  ['Amsterdam', 'NL'], ['Rotterdam', 'NL'], ['Utrecht', 'NL'], ['Den Haag', 'NL'], ['Groningen', 'NL'], ['Eindhoven', 'NL'],
  ['Antwerpen', 'BE'], ['Gent', 'BE'], ['Liège', 'BE'], ['Köln', 'DE'], ['Düsseldorf', 'DE'], ['Lille', 'FR'],
];
const DOMAINS = ['example.com', 'example.nl', 'mail.example.org', 'example.be'];
const INTERESTS = ['cycling', 'cooking', 'travel', 'gardening', 'running', 'design', 'coffee', 'books'];
const STAGES = ['prospect', 'customer', 'loyal', 'lapsed'];
const INTERACTIONS = ['welcome-banner', 'spring-sale-popup', 'newsletter-signup-form', 'loyalty-teaser', 'app-download-bar'];

function emailOf(first, last, index) {
  const local = `${first}.${last}`
    .normalize('NFD')
    .replace(/[øł]/g, (letter) => ({ ø: 'o', ł: 'l' })[letter])
    .replace(/[^A-Za-z.]/g, '')
    .toLowerCase();
  const email = `${local}${index}@${pick(DOMAINS)}`;
  if (chance(0.05)) return `  ${email.toUpperCase()} `; // typed by hand: needs trimming and lowercasing
  if (chance(0.01)) return email.replace('@', ' at '); // not a valid address
  return email;
}

function consentOf() {
  if (chance(0.15)) return []; // never consented
  if (chance(0.1)) return ['analytics']; // consented, but not to the newsletter
  return ['newsletter', ...some(['marketing', 'analytics'], 0.4)];
}

function segmentsOf(stage) {
  const segments = [];
  if (chance(0.7)) segments.push('newsletter-subscribers');
  const frequent = stage !== 'prospect' && chance(0.35);
  if (frequent) segments.push('frequent-buyers');
  if (frequent && chance(0.3)) segments.push('vip');
  if (stage === 'lapsed') segments.push('lapsed-customers');
  return segments;
}

function profile(index) {
  const first = pick(FIRST_NAMES);
  const last = pick(LAST_NAMES);
  const [city, country] = pick(PLACES);
  const stage = pick(STAGES);
  const properties = { first_name: [first], last_name: [last], city: [city], country: [country] };
  if (!chance(0.08)) properties.email = [emailOf(first, last, index)];
  if (stage !== 'prospect') properties.customer_id = [`C${100000 + index}`];
  const interests = some(INTERESTS, 0.25);
  if (interests.length > 0) properties.interests = interests;
  if (chance(0.3)) properties.loyalty_points = [Math.floor(random() * 500)];
  return {
    id: `profile-${String(index).padStart(4, '0')}`,
    properties,
    segments: segmentsOf(stage),
    lifecycles: [{ lifecycle: 'customer-journey', stage }],
    viewedInteractions: some(INTERACTIONS, 0.3),
    permissionLevel: pick(['explicit', 'explicit', 'implicit']),
    consent: { objectives: consentOf() },
    updatedAt: new Date(UPDATED_BEFORE - Math.floor(random() * 90 * 24 * 60) * 60_000).toISOString(),
  };
}

const lines = Array.from({ length: COUNT }, (_, i) => JSON.stringify(profile(i + 1)));
const output = process.argv[2] ?? fileURLToPath(new URL('profiles.ndjson', import.meta.url));
writeFileSync(output, `${lines.join('\n')}\n`);
