import { randomBytes } from 'node:crypto';
import { nowTimestamp } from '../clock.js';
import { notFound, validationError } from '../problem.js';
import type { Route, RouteContext } from '../router.js';
import type { BatchRecord } from '../store.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export function batchResultsPath(id: string): string {
  return `/_sandbox/batch-results/${id}.tar.gz`;
}

function batchView(context: RouteContext, batch: BatchRecord, finished: boolean): Record<string, unknown> {
  return {
    id: batch.id,
    status: finished ? 'finished' : 'pending',
    total_operations: batch.total_operations,
    finished_operations: finished ? batch.total_operations : 0,
    errored_operations: finished ? batch.errored_operations : 0,
    submitted_at: batch.submitted_at,
    completed_at: finished ? batch.completed_at : '',
    response_body_url: finished ? `${context.settings.url}${batchResultsPath(batch.id)}` : '',
    _links: [],
  };
}

function parseOperation(operation: unknown, index: number): { method: string; path: string; params: Record<string, unknown>; body: unknown; operation_id: string | null } {
  const op = (operation ?? {}) as Record<string, unknown>;
  if (typeof op.method !== 'string' || !METHODS.includes(op.method) || typeof op.path !== 'string') {
    throw validationError(`operations.${index}`, 'Each operation needs a method (GET, POST, PUT, PATCH or DELETE) and a path');
  }
  if (op.body !== undefined && typeof op.body !== 'string') throw validationError(`operations.${index}.body`, 'body must be a JSON string');
  let body: unknown;
  try {
    body = op.body ? JSON.parse(op.body) : undefined;
  } catch {
    throw validationError(`operations.${index}.body`, 'body is not valid JSON');
  }
  return { method: op.method, path: op.path, params: (op.params ?? {}) as Record<string, unknown>, body, operation_id: typeof op.operation_id === 'string' ? op.operation_id : null };
}

/** Runs every operation at once (the batch is finished by the first status poll). */
function startBatch(context: RouteContext): Record<string, unknown> {
  const operations = (context.body as Record<string, unknown> | null)?.operations;
  if (!Array.isArray(operations)) throw validationError('operations', 'Schema describes array, NULL found instead');
  const parsed = operations.map(parseOperation);
  const submitted = nowTimestamp();
  const results = parsed.map((op) => {
    const query = new URLSearchParams(Object.entries(op.params).map(([key, value]) => [key, String(value)] as [string, string]));
    const result = context.settings.dispatch(op.method, op.path.startsWith('/') ? op.path : `/${op.path}`, query, op.body, context.apiKey);
    return { status_code: result.status, operation_id: op.operation_id, response: JSON.stringify(result.body ?? {}) };
  });
  const batch: BatchRecord = {
    id: randomBytes(5).toString('hex'),
    submitted_at: submitted,
    completed_at: nowTimestamp(),
    total_operations: results.length,
    errored_operations: results.filter((result) => result.status_code >= 300).length,
    results,
  };
  context.store.batches.set(batch.id, batch);
  return batchView(context, batch, false);
}

export const batchRoutes: Route[] = [
  { method: 'POST', template: '/batches', handle: (context) => ({ status: 200, body: startBatch(context) }) },
  {
    method: 'GET', template: '/batches/{batch_id}', handle: (context) => {
      const batch = context.store.batches.get(context.params.batch_id);
      if (!batch) throw notFound();
      return { status: 200, body: batchView(context, batch, true) };
    },
  },
];
