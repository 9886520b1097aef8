/** Up channels of `cradle/v1/{siteId}/{deviceId}/{channel}`; `command` is the one down channel. */
export type UpChannel = 'scan' | 'reject' | 'reading' | 'production' | 'status';

/** Fields every up payload carries; id and seq are made at the source so the gateway can deduplicate and see gaps. */
export interface Envelope {
  v: 1;
  id: string;
  deviceId: string;
  siteId: string;
  seq: number;
  ts: string;
}

export interface ParsedScan {
  gtin?: string | undefined;
  serial?: string | undefined;
  batch?: string | undefined;
  expiry?: string | undefined;
  sscc?: string | undefined;
  gln?: string | undefined;
  /** Every AI read → value. */
  elements: Record<string, string>;
}

export interface ScanContext {
  orderId?: string | undefined;
  sscc?: string | undefined;
}

export interface ScanBody {
  scannerId: string;
  raw: string;
  symbology?: string | undefined;
  parsed: ParsedScan;
  digitalLink?: string | undefined;
  context?: ScanContext | undefined;
}

export interface RejectBody {
  scannerId: string;
  raw: string;
  code: string;
  message: string;
}

export type Quality = 'good' | 'uncertain' | 'bad';

export interface ReadingBody {
  source: string;
  name: string;
  value: number;
  unit: string;
  quality: Quality;
  sourceTime?: string | undefined;
  batch?: string | undefined;
  outOfLimits?: boolean | undefined;
  limits?: { min?: number | undefined; max?: number | undefined } | undefined;
}

export interface ProductionBody {
  kind: 'batch_started' | 'batch_completed';
  batch: string;
  gtin: string;
  line?: string | undefined;
}

export interface StatusBody {
  state: 'online' | 'offline' | 'degraded';
  detail?: Record<string, unknown> | undefined;
}

export type UpBody =
  | { channel: 'scan'; body: ScanBody }
  | { channel: 'reject'; body: RejectBody }
  | { channel: 'reading'; body: ReadingBody }
  | { channel: 'production'; body: ProductionBody };

/** Result of reading one barcode with protocol/'s GS1 parser. */
export type ScanParse =
  | {
      ok: true;
      value: {
        symbology: string;
        parsed: ParsedScan;
        gtin?: string | undefined;
        sscc?: string | undefined;
        digitalLink?: string | undefined;
      };
    }
  | { ok: false; error: { code: string; message: string } };
