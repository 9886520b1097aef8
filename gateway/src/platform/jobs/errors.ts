import type { z } from 'zod';

/** Base of every job-runner error: `code` is stable and safe to branch on (and to map to a problem type). */
export abstract class JobError extends Error {
  abstract readonly code: string;
}

export class UnknownJobError extends JobError {
  override name = 'UnknownJobError';
  readonly code = 'JOB_UNKNOWN';
  constructor(readonly jobName: string) {
    super(`No job named "${jobName}" is registered`);
  }
}

export class InvalidJobPayloadError extends JobError {
  override name = 'InvalidJobPayloadError';
  readonly code = 'JOB_PAYLOAD_INVALID';
  /** Dotted paths of the offending fields, e.g. ["lines.0.qty"]; "(payload)" for the payload itself. */
  readonly fields: string[];
  constructor(
    readonly jobName: string,
    readonly issues: z.core.$ZodIssue[],
  ) {
    const fields = issues.map((i) => (i.path.length ? i.path.map(String).join('.') : '(payload)'));
    super(`Invalid payload for job "${jobName}": ${issues.map((i, k) => `${fields[k]}: ${i.message}`).join('; ')}`);
    this.fields = fields;
  }
}

export class InvalidJobIdError extends JobError {
  override name = 'InvalidJobIdError';
  readonly code = 'JOB_ID_INVALID';
  constructor(readonly jobId: string) {
    // BullMQ's rules, applied on both drivers so an id that works embedded also works on Redis.
    super(`Job id "${jobId}" is invalid: it must be non-empty, not an integer, and contain no ":"`);
  }
}

export class InvalidJobDefinitionError extends JobError {
  override name = 'InvalidJobDefinitionError';
  readonly code = 'JOB_DEFINITION_INVALID';
  constructor(
    readonly jobName: string,
    reason: string,
  ) {
    super(`Job definition "${jobName}" is invalid: ${reason}`);
  }
}

export class JobNotFailedError extends JobError {
  override name = 'JobNotFailedError';
  readonly code = 'JOB_NOT_FAILED';
  constructor(readonly jobId: string) {
    super(`No dead-lettered job with id "${jobId}"`);
  }
}

export class AmbiguousJobIdError extends JobError {
  override name = 'AmbiguousJobIdError';
  readonly code = 'JOB_ID_AMBIGUOUS';
  constructor(
    readonly jobId: string,
    readonly jobNames: string[],
  ) {
    super(`Several dead-lettered jobs have id "${jobId}" (${jobNames.join(', ')}); pass the job name`);
  }
}

export class JobRunnerClosedError extends JobError {
  override name = 'JobRunnerClosedError';
  readonly code = 'JOB_RUNNER_CLOSED';
  constructor() {
    super('The job runner is closed');
  }
}

export class JobTimeoutError extends JobError {
  override name = 'JobTimeoutError';
  readonly code = 'JOB_TIMEOUT';
  constructor(
    readonly jobName: string,
    readonly timeoutMs: number,
  ) {
    super(`Job "${jobName}" ran longer than ${timeoutMs} ms`);
  }
}

export class JobsNotDrainedError extends JobError {
  override name = 'JobsNotDrainedError';
  readonly code = 'JOBS_NOT_DRAINED';
  constructor(readonly timeoutMs: number) {
    super(`Jobs were still waiting, running or delayed after ${timeoutMs} ms`);
  }
}

export class JobAlreadyRegisteredError extends JobError {
  override name = 'JobAlreadyRegisteredError';
  readonly code = 'JOB_ALREADY_REGISTERED';
  constructor(readonly jobName: string) {
    super(`A job named "${jobName}" is already registered`);
  }
}
