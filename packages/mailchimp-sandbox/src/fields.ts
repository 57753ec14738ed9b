import { badRequest } from './problem.js';

type Json = unknown;
type PathTree = Map<string, PathTree>;

function parsePaths(csv: string): PathTree {
  const tree: PathTree = new Map();
  for (const path of csv.split(',').map((entry) => entry.trim()).filter(Boolean)) {
    let node = tree;
    for (const key of path.split('.')) {
      if (!node.has(key)) node.set(key, new Map());
      node = node.get(key) as PathTree;
    }
  }
  return tree;
}

/** Lists the paths that name nothing in the response (arrays are checked through their items). */
function unknownPaths(value: Json, tree: PathTree, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => unknownPaths(item, tree, prefix));
  if (typeof value !== 'object' || value === null) return tree.size > 0 ? [prefix.slice(0, -1)] : [];
  const record = value as Record<string, Json>;
  return [...tree].flatMap(([key, children]) =>
    key in record ? unknownPaths(record[key], children, `${prefix}${key}.`) : [`${prefix}${key}`]);
}

function pick(value: Json, tree: PathTree): Json {
  if (tree.size === 0 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => pick(item, tree));
  const record = value as Record<string, Json>;
  return Object.fromEntries([...tree].filter(([key]) => key in record).map(([key, children]) => [key, pick(record[key], children)]));
}

function omit(value: Json, tree: PathTree): Json {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => omit(item, tree));
  const record = value as Record<string, Json>;
  const result: Record<string, Json> = {};
  for (const [key, child] of Object.entries(record)) {
    const children = tree.get(key);
    if (!children) result[key] = child;
    else if (children.size > 0) result[key] = omit(child, children);
  }
  return result;
}

/**
 * Applies Mailchimp's `fields` / `exclude_fields` (comma lists of dot paths) to a response body, on every
 * method: Mailchimp's "Methods and parameters" page describes partial responses for responses in general.
 * With `strict` (reads) a path that names nothing is refused; a write has already happened when its answer is
 * trimmed, so there such a path is left out instead of failing a call whose effect stands.
 */
export function selectFields(body: Json, fields: string | undefined, excludeFields: string | undefined, strict: boolean): Json {
  if (fields === undefined && excludeFields === undefined) return body;
  if (fields !== undefined && excludeFields !== undefined) {
    throw badRequest('The fields and exclude_fields parameters cannot be used together.');
  }
  const tree = parsePaths((fields ?? excludeFields) as string);
  const unknown = strict ? [...new Set(unknownPaths(body, tree))] : [];
  if (unknown.length > 0) throw badRequest(`Unknown field(s) requested: ${unknown.join(', ')}.`);
  return fields !== undefined ? pick(body, tree) : omit(body, tree);
}
