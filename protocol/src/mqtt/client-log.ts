/**
 * MQTT.js logs through `debug` at every packet (about ten calls per QoS 1 message each way), and even with logging
 * off each call gathers its arguments: on an ingest or publishing hot path that showed as garbage per message.
 * Spread into MQTT.js client options: a no-op logger unless DEBUG is set (then MQTT.js's own, so `DEBUG=mqttjs*`
 * still works).
 */
export function quietMqttLog(env: Readonly<Record<string, string | undefined>> = process.env): { log?: () => void } {
  return env.DEBUG ? {} : { log: noop };
}

function noop(): void {}
