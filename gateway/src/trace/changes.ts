/**
 * In-process notice that what the trace core shows about some codes changed (events stored, lifecycle applied,
 * batch status moved), sent by the writers after their transaction commits. Readers that cache per code (the
 * consumer lookup) drop those codes at once; other replicas do not hear it and rely on their caches' short TTL.
 * `null` means "anything may have changed" (e.g. a batch's status, which every can of the batch shows).
 */
export type TraceChangeListener = (epcs: readonly string[] | null) => void;

const listeners = new Set<TraceChangeListener>();

export function onTraceChange(listener: TraceChangeListener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

export function traceChanged(epcs: readonly string[] | null): void {
  if (epcs !== null && epcs.length === 0) return;
  for (const l of listeners) {
    try {
      l(epcs);
    } catch {
      /* a cache listener must not break a writer */
    }
  }
}
