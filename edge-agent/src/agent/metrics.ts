/** The agent's Prometheus metrics, on a registry of its own so several agents can share a process (tests). */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Outbox } from '../outbox/outbox';

export function createMetrics(outbox: Outbox, clock: () => number) {
  const registry = new Registry();
  const reads = new Counter({ name: 'edge_scanner_reads_total', help: 'Reads framed per scanner, before filtering', labelNames: ['scanner'], registers: [registry] });
  const scans = new Counter({ name: 'edge_scans_total', help: 'Scans recorded per scanner', labelNames: ['scanner'], registers: [registry] });
  const rejects = new Counter({ name: 'edge_rejects_total', help: 'Rejected reads per scanner and reason', labelNames: ['scanner', 'code'], registers: [registry] });
  const suppressed = new Counter({ name: 'edge_scans_suppressed_total', help: 'Same-code repeats within the window, not recorded', labelNames: ['scanner'], registers: [registry] });
  const readings = new Counter({ name: 'edge_readings_total', help: 'OPC-UA readings recorded', labelNames: ['source', 'name'], registers: [registry] });
  const outOfLimits = new Counter({ name: 'edge_readings_out_of_limits_total', help: 'Readings outside configured limits', labelNames: ['source', 'name'], registers: [registry] });
  const dropped = new Counter({ name: 'edge_outbox_dropped_total', help: 'Records lost to the overflow policy', labelNames: ['reason'], registers: [registry] });
  const scannerUp = new Gauge({ name: 'edge_scanner_connected', help: '1 while the scanner port is open', labelNames: ['scanner'], registers: [registry] });
  const opcuaUp = new Gauge({ name: 'edge_opcua_connected', help: '1 while the OPC-UA subscription is live', labelNames: ['source'], registers: [registry] });
  const brokerUp = new Gauge({ name: 'edge_broker_connected', help: '1 while connected to the MQTT broker', registers: [registry] });
  new Gauge({ name: 'edge_outbox_depth', help: 'Records on disk not yet acknowledged by the broker', registers: [registry], collect() { this.set(outbox.depth); } });
  new Gauge({ name: 'edge_outbox_bytes', help: 'Bytes of outbox segment files', registers: [registry], collect() { this.set(outbox.bytesOnDisk); } });
  new Gauge({ name: 'edge_outbox_last_seq', help: 'Last seq allocated', registers: [registry], collect() { this.set(outbox.lastSequence); } });
  new Gauge({
    name: 'edge_outbox_oldest_unsent_age_seconds',
    help: 'Age of the oldest record not yet acknowledged (0 when empty)',
    registers: [registry],
    collect() {
      const at = outbox.oldestUnsentAt();
      this.set(at === undefined ? 0 : Math.max(0, (clock() - at) / 1000));
    },
  });
  outbox.on('dropped', (reason, n) => dropped.inc({ reason }, n));
  return { registry, reads, scans, rejects, suppressed, readings, outOfLimits, dropped, scannerUp, opcuaUp, brokerUp };
}

export type AgentMetrics = ReturnType<typeof createMetrics>;
