import { invalidResource, notFound, NOT_VALIDATED } from '../problem.js';
import { paginate, parsePage } from '../query.js';
import type { Route, RouteContext } from '../router.js';
import type { InterestCategoryRecord, ListRecord } from '../store.js';
import { requireList } from './lists.js';

const CATEGORY_TYPES = ['checkboxes', 'dropdown', 'radio', 'hidden'] as const;
const MAX_NAME_LENGTH = 100;

function requireCategory(context: RouteContext): { list: ListRecord; category: InterestCategoryRecord } {
  const list = requireList(context);
  const category = list.interestCategories.get(context.params.interest_category_id);
  if (!category) throw notFound();
  return { list, category };
}

function categoryView(list: ListRecord, category: InterestCategoryRecord): Record<string, unknown> {
  return { list_id: list.id, id: category.id, title: category.title, display_order: category.display_order, type: category.type, _links: [] };
}

function interestView(list: ListRecord, category: InterestCategoryRecord, interest: { id: string; name: string; display_order: number }): Record<string, unknown> {
  const subscribers = [...list.members.values()].filter((member) => member.interests[interest.id] === true).length;
  return { category_id: category.id, list_id: list.id, id: interest.id, name: interest.name, subscriber_count: String(subscribers), display_order: interest.display_order, _links: [] };
}

const bodyOf = (context: RouteContext): Record<string, unknown> => (typeof context.body === 'object' && context.body !== null ? context.body : {}) as Record<string, unknown>;

function nameOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_NAME_LENGTH) {
    throw invalidResource(NOT_VALIDATED, [{ field, message: `This value should be a non-empty string of at most ${MAX_NAME_LENGTH} characters.` }]);
  }
  return value.trim();
}

function createCategory(context: RouteContext): Record<string, unknown> {
  const list = requireList(context);
  const body = bodyOf(context);
  const title = nameOf(body.title, 'title');
  if (typeof body.type !== 'string' || !(CATEGORY_TYPES as readonly string[]).includes(body.type)) {
    throw invalidResource(NOT_VALIDATED, [{ field: 'type', message: `Value must be one of: ${CATEGORY_TYPES.join(', ')}` }]);
  }
  if ([...list.interestCategories.values()].some((category) => category.title === title)) {
    throw invalidResource(`Cannot add "${title}" because it already exists on the list.`);
  }
  return categoryView(list, context.store.addInterestCategory(list, title, body.type as InterestCategoryRecord['type']));
}

function createInterest(context: RouteContext): Record<string, unknown> {
  const { list, category } = requireCategory(context);
  const name = nameOf(bodyOf(context).name, 'name');
  if ([...category.interests.values()].some((interest) => interest.name === name)) {
    throw invalidResource(`Cannot add "${name}" because it already exists on the list.`);
  }
  return interestView(list, category, context.store.addInterest(category, name));
}

const CATEGORIES = '/lists/{list_id}/interest-categories';
const INTERESTS = `${CATEGORIES}/{interest_category_id}/interests`;

export const interestCategoryRoutes: Route[] = [
  {
    method: 'GET', template: CATEGORIES, handle: (context) => {
      const list = requireList(context);
      const type = context.query.get('type');
      const categories = [...list.interestCategories.values()].filter((category) => !type || category.type === type);
      return {
        status: 200,
        body: { list_id: list.id, categories: paginate(categories, parsePage(context.query)).map((c) => categoryView(list, c)), total_items: categories.length, _links: [] },
      };
    },
  },
  { method: 'POST', template: CATEGORIES, handle: (context) => ({ status: 200, body: createCategory(context) }) },
  {
    method: 'GET', template: INTERESTS, handle: (context) => {
      const { list, category } = requireCategory(context);
      const interests = [...category.interests.values()];
      return {
        status: 200,
        body: {
          interests: paginate(interests, parsePage(context.query)).map((interest) => interestView(list, category, interest)),
          list_id: list.id, category_id: category.id, total_items: interests.length, _links: [],
        },
      };
    },
  },
  { method: 'POST', template: INTERESTS, handle: (context) => ({ status: 200, body: createInterest(context) }) },
];
