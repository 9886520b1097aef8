import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BatchOutcome } from './batch';

/** Prometheus metrics of the MQTT ingest: what each replica takes in, refuses and commits, and how its batches go. */
export interface IngestMetrics {
  /** A committed batch's outcome, its size and how long its transaction took (from its start to its commit). */
  committed(outcome: BatchOutcome, seconds: number): void;
  /** A batch attempt that failed and will be retried (not acknowledged). */
  failed(): void;
}

/**
 * Registers the ingest's metrics in `registry` (none: nothing is recorded). `waiting` reads the messages received and
 * not yet in a batch, when Prometheus scrapes.
 */
export function createIngestMetrics(registry: Registry | undefined, waiting: () => number): IngestMetrics {
  if (!registry) return { committed: () => undefined, failed: () => undefined };
  const registers = [registry];
  const messages = new Counter({
    name: 'cradle_ingest_messages_total',
    help: 'MQTT messages committed by this replica, by outcome: applied (new), duplicate (source id or event hash seen before), refused (recorded as a device problem)',
    labelNames: ['outcome'],
    registers,
  });
  const events = new Counter({ name: 'cradle_ingest_events_total', help: 'EPCIS events stored from ingested scans', registers });
  const anomalies = new Counter({ name: 'cradle_ingest_anomalies_total', help: 'Invalid code transitions recorded as anomalies', registers });
  const failures = new Counter({ name: 'cradle_ingest_batch_failures_total', help: 'Batch transactions that failed and are retried (their messages stay unacknowledged)', registers });
  const duration = new Histogram({
    name: 'cradle_ingest_batch_duration_seconds',
    help: 'A batch transaction, from its start to its commit',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers,
  });
  const size = new Histogram({ name: 'cradle_ingest_batch_messages', help: 'Messages per committed batch', buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000], registers });
  new Gauge({
    name: 'cradle_ingest_waiting_messages',
    help: 'Messages received from the broker and not yet in a batch',
    registers,
    collect() {
      this.set(waiting());
    },
  });
  return {
    committed(o, seconds) {
      // Duplicates include messages repeated inside the batch; the three outcomes add up to what was received.
      messages.inc({ outcome: 'applied' }, o.applied);
      messages.inc({ outcome: 'duplicate' }, o.duplicates);
      messages.inc({ outcome: 'refused' }, o.refused);
      events.inc(o.events);
      anomalies.inc(o.anomalies);
      duration.observe(seconds);
      size.observe(o.received);
    },
    failed: () => failures.inc(),
  };
}
