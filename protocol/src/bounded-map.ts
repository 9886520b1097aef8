/**
 * Sets `key` in a map used as a memo of a pure function (or of data that may be read again), emptying the map first
 * when a new key would take it past `limit`: no bookkeeping per hit, as an LRU would need, and memory stays bounded
 * whatever the input. Emptied rather than trimmed because the keys that matter come back at once and are made again.
 */
export function setBounded<K, V>(map: Map<K, V>, limit: number, key: K, value: V): void {
  if (!map.has(key) && map.size >= limit) map.clear();
  map.set(key, value);
}
