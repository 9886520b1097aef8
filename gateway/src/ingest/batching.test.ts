import * as mqttPacket from 'mqtt-packet';
import { batchToStart, pubacks } from './consumer';

const limits = { maxBatch: 1000, batchesInFlight: 3 };

describe('batchToStart: when the consumer starts a batch, and how big', () => {
  it('starts full batches while a slot is free, whether or not the linger is over', () => {
    expect(batchToStart(1000, 0, limits, false)).toBe(1000);
    expect(batchToStart(2500, 2, limits, false)).toBe(1000);
    expect(batchToStart(1000, 2, limits, true)).toBe(1000);
  });

  it('starts nothing while every slot is taken, however long the queue', () => {
    expect(batchToStart(4000, 3, limits, false)).toBe(0);
    expect(batchToStart(4000, 3, limits, true)).toBe(0);
  });

  it('starts a partial batch only after its linger, and only with nothing in flight', () => {
    expect(batchToStart(10, 0, limits, false)).toBe(0);
    expect(batchToStart(10, 0, limits, true)).toBe(10);
    // With batches running the partial batch waits: their completion schedules again, by when it has grown.
    expect(batchToStart(10, 1, limits, true)).toBe(0);
    expect(batchToStart(999, 2, limits, true)).toBe(0);
  });

  it('starts nothing for an empty queue', () => {
    expect(batchToStart(0, 0, limits, true)).toBe(0);
  });
});

describe('pubacks: a batch\'s acknowledgements as one buffer', () => {
  const parseAll = (buf: Buffer, protocolVersion: 4 | 5) => {
    const parser = mqttPacket.parser({ protocolVersion });
    const packets: mqttPacket.Packet[] = [];
    const errors: Error[] = [];
    parser.on('packet', (p) => packets.push(p));
    parser.on('error', (e) => errors.push(e));
    parser.parse(buf);
    return { packets, errors };
  };
  const messages = [
    { qos: 1, messageId: 1, generation: 2 },
    { qos: 0, messageId: undefined, generation: 2 }, // QoS 0: nothing to acknowledge
    { qos: 1, messageId: 65535, generation: 2 },
    { qos: 1, messageId: 300, generation: 1 }, // came on the connection before: its id may name another message now
    { qos: 1, messageId: 258, generation: 2 },
  ];

  it.each([4, 5] as const)('is read as one PUBACK per message of this connection, in order, by an MQTT %s parser', (v) => {
    const { packets, errors } = parseAll(pubacks(messages, 2), v);
    expect(errors).toEqual([]);
    expect(packets.map((p) => [p.cmd, (p as mqttPacket.IPubackPacket).messageId])).toEqual([['puback', 1], ['puback', 65535], ['puback', 258]]);
    if (v === 5) expect(packets.every((p) => ((p as mqttPacket.IPubackPacket).reasonCode ?? 0) === 0)).toBe(true);
  });

  it('is the bytes MQTT.js writes for a PUBACK in MQTT 3.1.1', () => {
    expect(pubacks([{ qos: 1, messageId: 258, generation: 0 }], 0)).toEqual(mqttPacket.generate({ cmd: 'puback', messageId: 258 } as mqttPacket.IPubackPacket));
  });

  it('is empty when nothing is to be acknowledged', () => {
    expect(pubacks(messages, 3).length).toBe(0);
  });
});
