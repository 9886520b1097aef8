/**
 * A small read-through cache of serialised JSON answers for reference data that changes rarely (the SKU
 * catalogue): a hot list page is served without a query or a JSON.stringify. A write on this process clears
 * it at once; other replicas see a change within `ttlMs` (1 s by default), which is fine for catalogue data.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

export interface ReadCache {
  get(key: string, load: () => Promise<unknown>): Promise<JsonText>;
  clear(): void;
}

export function createReadCache(opts: { ttlMs?: number; maxEntries?: number } = {}): ReadCache {
  const ttl = opts.ttlMs ?? 1000;
  const max = opts.maxEntries ?? 500;
  let entries = new Map<string, { at: number; value: Promise<JsonText> }>();
  let generation = 0;
  return {
    async get(key, load) {
      const now = Date.now();
      const hit = entries.get(key);
      if (hit && now - hit.at < ttl) return hit.value;
      const started = generation;
      // Concurrent misses for one key share one load.
      const value = load().then((v) => new JsonText(JSON.stringify(v)));
      entries.set(key, { at: now, value });
      value.then(
        () => {
          // A write during the load may have made this answer stale: don't keep it.
          if (generation !== started) entries.delete(key);
        },
        () => entries.delete(key),
      );
      if (entries.size > max) entries = new Map([...entries].slice(-Math.floor(max / 2)));
      return value;
    },
    clear() {
      generation++;
      entries.clear();
    },
  };
}
