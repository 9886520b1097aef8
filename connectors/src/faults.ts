/**
 * Fault injection for the simulators. A test or the demo arms faults; each request the simulator answers
 * consults the plan first. `times` counts how many requests a fault affects (Infinity: until cleared).
 */
export type FaultKind =
  /** Never answer (the client's timeout fires). */
  | 'timeout'
  /** Answer HTTP 500. */
  | 'http500'
  /** Answer a SOAP fault (ERP only; elsewhere a 500 with a JSON error). */
  | 'soapFault'
  /** Answer a body that is not well-formed XML/JSON. */
  | 'malformed'
  /** Answer after `delayMs`. */
  | 'slow';

export interface ArmedFault {
  kind: FaultKind;
  times: number;
  delayMs?: number;
  /** Only requests whose operation (SOAP operation or REST path) matches. */
  operation?: string;
  /** Let this many matching requests through first (e.g. fail mid-sync, after some pages). */
  after?: number;
}

export class FaultPlan {
  private faults: ArmedFault[] = [];
  /** Requests seen, by operation: tests read how the client behaved. */
  readonly requests: Array<{ operation: string; at: number; params: Record<string, unknown> }> = [];

  arm(kind: FaultKind, opts: { times?: number; delayMs?: number; operation?: string; after?: number } = {}): this {
    this.faults.push({ kind, times: opts.times ?? 1, delayMs: opts.delayMs, operation: opts.operation, after: opts.after ?? 0 });
    return this;
  }
  clear(): void {
    this.faults = [];
  }
  /** The fault to apply to this request, if any (consumes one of its `times`). */
  take(operation: string, params: Record<string, unknown> = {}): ArmedFault | undefined {
    this.requests.push({ operation, at: Date.now(), params });
    const f = this.faults.find((x) => x.times > 0 && (!x.operation || x.operation === operation));
    if (!f) return undefined;
    if ((f.after ?? 0) > 0) {
      f.after!--;
      return undefined;
    }
    f.times--;
    return f;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
