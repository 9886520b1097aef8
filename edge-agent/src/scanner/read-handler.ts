/**
 * Turns one scanner read into what is published: a scan (with the line's context), or a rejected read with its
 * reason. Nothing read is dropped silently: order/close barcodes are published as scans too, so the gateway sees
 * the context open and close in the same stream, in seq order.
 */
import { parseScan, type RejectBody, type ScanBody } from '../contract';
import type { ContextConfig, ScannerConfig } from '../config/schema';
import type { FilteredRead } from './read-filter';
import type { LineContexts } from './line-context';

export type ReadOutcome =
  | { channel: 'scan'; body: ScanBody }
  | { channel: 'reject'; body: RejectBody }
  | { channel: 'none'; why: 'repeat' | 'empty' };

export class ReadHandler {
  private readonly orderRe: RegExp;
  private readonly closeCodes: Set<string>;

  constructor(
    context: ContextConfig,
    private readonly contexts: LineContexts,
  ) {
    this.orderRe = new RegExp(context.orderPattern);
    this.closeCodes = new Set(context.closeCodes);
  }

  handle(scanner: Pick<ScannerConfig, 'id' | 'line' | 'role'>, read: FilteredRead): ReadOutcome {
    const scannerId = scanner.id;
    const { raw } = read;
    if (read.kind === 'repeat' || read.kind === 'empty') return { channel: 'none', why: read.kind };
    if (read.kind === 'no_read') {
      // protocol/ words the reason; the filter already knows this scanner's own no-read strings.
      const r = parseScan(raw, [raw]);
      const error = r.ok ? { code: 'NO_READ', message: 'The scanner reported no read.' } : r.error;
      return { channel: 'reject', body: { scannerId, raw, code: error.code, message: error.message } };
    }
    if (this.closeCodes.has(raw)) {
      // Published with what is still open after the close, so the gateway can follow the context by seq alone.
      this.contexts.closeInnermost(scanner.line);
      return { channel: 'scan', body: { scannerId, raw, parsed: { elements: {} }, context: this.contexts.get(scanner.line) } };
    }
    if (this.orderRe.test(raw)) {
      this.contexts.openOrder(scanner.line, raw);
      return { channel: 'scan', body: { scannerId, raw, parsed: { elements: {} }, context: { orderId: raw } } };
    }
    const r = parseScan(raw);
    if (!r.ok) return { channel: 'reject', body: { scannerId, raw, code: r.error.code, message: r.error.message } };
    const v = r.value;
    if (scanner.role === 'context' && v.sscc && !v.gtin) this.contexts.openPallet(scanner.line, v.sscc);
    return {
      channel: 'scan',
      body: {
        scannerId,
        raw,
        symbology: v.symbology,
        parsed: v.parsed,
        digitalLink: v.digitalLink,
        context: this.contexts.get(scanner.line),
      },
    };
  }
}
