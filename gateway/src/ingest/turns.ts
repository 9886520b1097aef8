/**
 * Batches in flight one behind the other, keeping the order of the stream. Several batch transactions may run at once
 * (batch N+1 stores its events while batch N updates codes and commits), but each takes its row locks only after the
 * batch before it took the same ones, updates codes only after that batch committed (it must see the families that
 * batch changed), and commits only after that batch committed: what one device sent is applied
 * in the order it arrived (lifecycle, sequence tracking, which copy of a replayed message counts), and two batches
 * never wait on each other's locks in a circle.
 *
 * A batch's transaction goes through the stages in this order; each stage touches only its own tables.
 */
export const INGEST_STAGES = ['ledger', 'records', 'codes', 'streams'] as const;
export type IngestStage = (typeof INGEST_STAGES)[number];

/** What one attempt of a batch transaction sees of the batch before it. */
export interface BatchTurn {
  /** Marks the earlier stages of this batch passed and waits until the batch before has passed `stage`. */
  enter(stage: IngestStage): Promise<void>;
  /** Waits until the batch before has committed; throws if that attempt failed, so this one rolls back and retries behind it. */
  beforeCommit(): Promise<void>;
}

/** A turn for a batch that waits for nobody (a single batch, or one whose predecessor is done). */
export const FREE_TURN: BatchTurn = { enter: async () => undefined, beforeCommit: async () => undefined };

export class EarlierBatchFailed extends Error {
  override name = 'EarlierBatchFailed';
  readonly code = 'EARLIER_BATCH_FAILED';
  constructor() {
    super('the batch before this one failed to commit; this one rolls back and is retried after it');
  }
}

interface Signal<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  settled: boolean;
}

function signal<T>(): Signal<T> {
  let resolve!: (v: T) => void;
  const s: Signal<T> = { promise: new Promise<T>((r) => (resolve = r)), resolve: (v) => {
    if (s.settled) return;
    s.settled = true;
    resolve(v);
  }, settled: false };
  return s;
}

/** One attempt of a batch transaction: the stages it passed and whether it committed. */
export class BatchAttempt {
  private readonly passed = new Map<IngestStage, Signal<void>>(INGEST_STAGES.map((s) => [s, signal<void>()]));
  private readonly outcome = signal<boolean>();

  constructor(private readonly before: BatchAttempt | null) {}

  /** The turn this attempt's transaction follows. */
  turn(): BatchTurn {
    return {
      enter: async (stage) => {
        for (const s of INGEST_STAGES) {
          if (s === stage) break;
          this.passed.get(s)!.resolve();
        }
        // The codes stage reads what the batch before did to the codes, committed: it finds a code's family with a
        // recursive query, whose snapshot would not see a parent link the batch before set and has not committed yet
        // (a case shipped right after its cans were packed into it would leave the cans behind).
        if (stage === 'codes') await this.before?.outcome.promise;
        await this.before?.passed.get(stage)!.promise;
      },
      beforeCommit: async () => {
        if (this.before && !(await this.before.outcome.promise)) throw new EarlierBatchFailed();
      },
    };
  }

  get failed(): boolean {
    return this.outcome.settled && !this.succeeded;
  }

  private succeeded = false;

  /** The attempt committed: every stage is passed. */
  committed(): void {
    this.succeeded = true;
    for (const s of this.passed.values()) s.resolve();
    this.outcome.resolve(true);
  }

  /** The attempt rolled back: the batch behind must not wait for it, and must not commit before its retry. */
  rolledBack(): void {
    for (const s of this.passed.values()) s.resolve();
    this.outcome.resolve(false);
  }
}
