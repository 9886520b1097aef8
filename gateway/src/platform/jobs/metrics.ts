import { Counter, Histogram, type Registry } from 'prom-client';

/** Prometheus metrics of the job runner, labelled by job name. */
export interface JobMetrics {
  completed: Counter<'job'>;
  /** Jobs dead-lettered: attempts exhausted, or a payload that no longer validates. */
  failed: Counter<'job'>;
  /** Failed attempts that will be retried after a backoff. */
  retried: Counter<'job'>;
  duration: Histogram<'job' | 'outcome'>;
}

/**
 * Registers the metrics in `registry`, or keeps them unregistered when none is given (the global
 * default registry is never used implicitly). Two runners on one registry share the metrics.
 */
export function createJobMetrics(registry?: Registry): JobMetrics {
  const registers = registry ? [registry] : [];
  const existing = <T>(name: string) => registry?.getSingleMetric(name) as T | undefined;
  return {
    completed:
      existing<Counter<'job'>>('cradle_jobs_completed_total') ??
      new Counter({ name: 'cradle_jobs_completed_total', help: 'Jobs that completed', labelNames: ['job'], registers }),
    failed:
      existing<Counter<'job'>>('cradle_jobs_failed_total') ??
      new Counter({ name: 'cradle_jobs_failed_total', help: 'Jobs dead-lettered after their last attempt', labelNames: ['job'], registers }),
    retried:
      existing<Counter<'job'>>('cradle_jobs_retried_total') ??
      new Counter({ name: 'cradle_jobs_retried_total', help: 'Failed attempts scheduled for a retry', labelNames: ['job'], registers }),
    duration:
      existing<Histogram<'job' | 'outcome'>>('cradle_job_duration_seconds') ??
      new Histogram({
        name: 'cradle_job_duration_seconds',
        help: 'Duration of one job attempt',
        labelNames: ['job', 'outcome'],
        buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120, 600],
        registers,
      }),
  };
}
