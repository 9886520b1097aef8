import type { Transaction } from 'kysely';
import type { Database } from '../platform/db';
import { type EventToStore, type StoreResult, storeEvents } from '../epcis/repository';
import { applyLifecycle, type LifecycleResult } from './lifecycle';

export interface RecordOptions {
  /** Called between storing the events and locking their codes (the ingest waits there for the batch before it). */
  beforeLifecycle?: () => Promise<void>;
}

/** Stores events once (by eventID and event hash) and applies the new ones to the code lifecycle, in one transaction. */
export async function recordEvents(trx: Transaction<Database>, items: readonly EventToStore[], opts: RecordOptions = {}): Promise<StoreResult & { lifecycle: LifecycleResult }> {
  const result = await storeEvents(trx, items);
  await opts.beforeLifecycle?.();
  const lifecycle = await applyLifecycle(trx, result.stored);
  return { ...result, lifecycle };
}
