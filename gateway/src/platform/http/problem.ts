/**
 * RFC 9457 problem details. Every error the API returns is one of these, with a stable `type` URI
 * (served as documentation at /problems/{slug}) that clients can switch on.
 */
export const problemTypes = {
  'validation-failed': { status: 400, title: 'The request is not valid' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  'invalid-credentials': { status: 401, title: 'Username or password is wrong' },
  forbidden: { status: 403, title: 'You may not do this' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflicts with the current state' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'The request body must be JSON' },
  'too-many-requests': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;

export type ProblemSlug = keyof typeof problemTypes;

export interface FieldError {
  /** Where the bad value is: `body.gtin`, `query.level`, `params.id`. */
  field: string;
  message: string;
  code?: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  requestId?: string;
  [extension: string]: unknown;
}

export const problemTypeUri = (slug: ProblemSlug) => `/problems/${slug}`;

export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly status: number;
  constructor(
    readonly slug: ProblemSlug,
    detail?: string,
    readonly extra: { errors?: FieldError[]; [k: string]: unknown } = {},
  ) {
    super(detail ?? problemTypes[slug].title);
    this.status = problemTypes[slug].status;
  }

  toBody(instance?: string, requestId?: string): ProblemBody {
    return {
      type: problemTypeUri(this.slug),
      title: problemTypes[this.slug].title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extra,
      ...(requestId ? { requestId } : {}),
    };
  }
}

export const notFound = (what: string) => new HttpProblem('not-found', `${what} was not found`);
export const forbidden = (detail: string) => new HttpProblem('forbidden', detail);
export const conflict = (detail: string, extra: Record<string, unknown> = {}) => new HttpProblem('conflict', detail, extra);
export const invalid = (field: string, message: string) =>
  new HttpProblem('validation-failed', `${field}: ${message}`, { errors: [{ field, message }] });
