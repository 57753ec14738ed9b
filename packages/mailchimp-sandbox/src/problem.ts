import { randomUUID } from 'node:crypto';

/** A Mailchimp error, answered as `application/problem+json`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: { field: string; message: string }[],
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${title}: ${detail}`);
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: { field: string; message: string }[];
}

export function problemBody(error: ApiError): ProblemBody {
  return {
    type: 'https://mailchimp.com/developer/marketing/docs/errors/',
    title: error.title,
    status: error.status,
    detail: error.detail,
    instance: randomUUID(),
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

export const notFound = (): ApiError =>
  new ApiError(404, 'Resource Not Found', 'The requested resource could not be found.');

export const badRequest = (detail: string): ApiError => new ApiError(400, 'Bad Request', detail);

export const invalidResource = (detail: string, errors?: { field: string; message: string }[]): ApiError =>
  new ApiError(400, 'Invalid Resource', detail, errors);

export const NOT_VALIDATED = 'The resource submitted could not be validated.';

/** 400 Invalid Resource about one field of the body. */
export const validationError = (field: string, message: string): ApiError => invalidResource(NOT_VALIDATED, [{ field, message }]);
