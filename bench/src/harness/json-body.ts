/**
 * A JSON document of exactly `bytes` UTF-8 bytes shaped like a page of master data, so the baseline server
 * serialises and sends as much as the real endpoint does. Below the smallest such document, the smallest is returned.
 */
export function jsonBodyOfSize(bytes: number): unknown {
  const items: Array<{ id: number; code: string; name: string }> = [];
  const page = { items, total: 1000, limit: 50, offset: 100, pad: '' };
  const size = () => Buffer.byteLength(JSON.stringify(page));
  // Items of realistic size first, then pad the remainder with ASCII so the length is exact.
  for (let i = 0; i < 50; i++) {
    const item = { id: 100 + i, code: `SKU-${String(100 + i).padStart(6, '0')}`, name: 'Stage 1 infant formula 800 g can' };
    items.push(item);
    if (size() > bytes) {
      items.pop();
      break;
    }
  }
  const missing = bytes - size();
  if (missing > 0) page.pad = 'x'.repeat(missing);
  return page;
}
