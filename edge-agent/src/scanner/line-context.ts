/**
 * Dispatch context per line: a scanned order barcode (or the gateway's set_order command) opens an order; a pallet
 * SSCC read on a context scanner opens a pallet inside it; following case reads on that line carry both, until a
 * close code (or close_order) closes the innermost one. Kept in memory: after a restart the line starts without
 * context, and the gateway re-sends set_order if it wants one (each scan says which context it was read under).
 */
import type { ScanContext } from '../contract';

export class LineContexts {
  private readonly lines = new Map<string, ScanContext>();

  get(line: string): ScanContext | undefined {
    const c = this.lines.get(line);
    return c && (c.orderId || c.sscc) ? { ...c } : undefined;
  }

  openOrder(line: string, orderId: string): void {
    this.lines.set(line, { orderId });
  }

  openPallet(line: string, sscc: string): void {
    this.lines.set(line, { ...this.lines.get(line), sscc });
  }

  /** Closes the pallet if one is open, else the order; returns what was closed. */
  closeInnermost(line: string): 'pallet' | 'order' | undefined {
    const c = this.lines.get(line);
    if (c?.sscc) {
      this.lines.set(line, { orderId: c.orderId });
      return 'pallet';
    }
    if (c?.orderId) {
      this.lines.delete(line);
      return 'order';
    }
    return undefined;
  }

  closeOrder(line: string): void {
    this.lines.delete(line);
  }
}
