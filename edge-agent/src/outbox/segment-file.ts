/**
 * On-disk record framing of the outbox segments.
 *
 * A record: u32 bodyLength, u32 crc32(body), then the body: f64 seq, f64 appendedAt (ms), u16 topicLength, topic
 * (utf8), payload (utf8). The CRC lets recovery tell a torn tail (power cut mid-write) from a whole record.
 */
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 8;
const BODY_FIXED = 8 + 8 + 2;

export interface StoredRecord {
  seq: number;
  appendedAt: number;
  topic: string;
  payload: string;
}

export function encodeRecord(r: StoredRecord): Buffer {
  const topicLen = Buffer.byteLength(r.topic);
  const payloadLen = Buffer.byteLength(r.payload);
  const bodyLen = BODY_FIXED + topicLen + payloadLen;
  const buf = Buffer.allocUnsafe(HEADER_BYTES + bodyLen);
  buf.writeUInt32LE(bodyLen, 0);
  buf.writeDoubleLE(r.seq, 8);
  buf.writeDoubleLE(r.appendedAt, 16);
  buf.writeUInt16LE(topicLen, 24);
  buf.write(r.topic, 26, 'utf8');
  buf.write(r.payload, 26 + topicLen, 'utf8');
  buf.writeUInt32LE(crc32(buf.subarray(HEADER_BYTES)), 4);
  return buf;
}

/** Decodes the record at `offset`, or returns undefined when the bytes there are not one whole, intact record. */
export function decodeRecord(buf: Buffer, offset: number): { record: StoredRecord; bytes: number } | undefined {
  if (offset + HEADER_BYTES > buf.length) return undefined;
  const bodyLen = buf.readUInt32LE(offset);
  if (bodyLen < BODY_FIXED || offset + HEADER_BYTES + bodyLen > buf.length) return undefined;
  const body = buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + bodyLen);
  if (crc32(body) !== buf.readUInt32LE(offset + 4)) return undefined;
  const topicLen = body.readUInt16LE(16);
  if (BODY_FIXED + topicLen > bodyLen) return undefined;
  return {
    record: {
      seq: body.readDoubleLE(0),
      appendedAt: body.readDoubleLE(8),
      topic: body.toString('utf8', BODY_FIXED, BODY_FIXED + topicLen),
      payload: body.toString('utf8', BODY_FIXED + topicLen),
    },
    bytes: HEADER_BYTES + bodyLen,
  };
}
