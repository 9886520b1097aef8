/** Node ids the steriliser simulator exposes (kept apart so tests can name them without loading node-opcua). */
export const STERILISER_NODES = {
  temperature: 'ns=1;s=Retort1.Temperature',
  pressure: 'ns=1;s=Retort1.Pressure',
  holdTime: 'ns=1;s=Retort1.HoldTime',
  batch: 'ns=1;s=Retort1.Batch',
} as const;
