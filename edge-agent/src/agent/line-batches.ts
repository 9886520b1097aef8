/** The batch each line is making now, set from a PLC node or by the gateway's set_batch command. */
import type { ProductionBody } from '../contract';
import type { BatchSource } from '../opcua/collector';

export class LineBatches implements BatchSource {
  private readonly lines = new Map<string, { batch: string; gtin: string | undefined }>();

  batchOf(line: string): { batch: string; gtin: string | undefined } | undefined {
    return this.lines.get(line);
  }

  /** Sets the line's batch; returns the production events that says (completed old, started new) when a GTIN is known. */
  setBatch(line: string, batch: string, gtin: string | undefined): ProductionBody[] {
    const old = this.lines.get(line);
    if (old?.batch === batch) return [];
    const g = gtin ?? old?.gtin;
    this.lines.set(line, { batch, gtin: g });
    const out: ProductionBody[] = [];
    if (old?.gtin) out.push({ kind: 'batch_completed', batch: old.batch, gtin: old.gtin, line });
    if (g) out.push({ kind: 'batch_started', batch, gtin: g, line });
    return out;
  }
}
