import { err, ok, type Result } from '../result';

/**
 * MQTT topic layout shared by edge agents and gateways (see docs/protocol.md):
 * cradle/v1/{siteId}/{deviceId}/{channel}; all channels go up from a device except `command`, which goes down.
 */
export const TOPIC_PREFIX = 'cradle/v1';

export const UP_CHANNELS = ['scan', 'reject', 'reading', 'production', 'status'] as const;
export const CHANNELS = [...UP_CHANNELS, 'command'] as const;
export type UpChannel = (typeof UP_CHANNELS)[number];
export type Channel = (typeof CHANNELS)[number];

/** Site and device ids: safe in topics (no +, #, /) and in file names. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface TopicError {
  readonly code: 'INVALID_TOPIC' | 'INVALID_ID';
  readonly message: string;
}

export interface DeviceTopic {
  readonly siteId: string;
  readonly deviceId: string;
  readonly channel: Channel;
}

function checkId(kind: 'siteId' | 'deviceId', id: string): TopicError | null {
  return ID_PATTERN.test(id) ? null : { code: 'INVALID_ID', message: `${kind} "${id}" must be 1-64 characters of A-Z a-z 0-9 _ -.` };
}

/** The topic of one channel of one device. */
export function deviceTopic(siteId: string, deviceId: string, channel: Channel): Result<string, TopicError> {
  const bad = checkId('siteId', siteId) ?? checkId('deviceId', deviceId);
  return bad ? err(bad) : ok(`${TOPIC_PREFIX}/${siteId}/${deviceId}/${channel}`);
}

export interface FilterOptions {
  /** Limit to one site (default: every site, "+"). */
  readonly siteId?: string;
  /** Limit to one device (default: every device, "+"). */
  readonly deviceId?: string;
  /** Shared-subscription group: gateway replicas in one group split the messages ($share/{group}/...). */
  readonly shareGroup?: string;
}

/** A subscription filter for a channel (or every channel with '+'), e.g. "$share/ingest/cradle/v1/+/+/scan". */
export function topicFilter(channel: Channel | '+', opts: FilterOptions = {}): Result<string, TopicError> {
  if (opts.siteId !== undefined && checkId('siteId', opts.siteId)) return err(checkId('siteId', opts.siteId) as TopicError);
  if (opts.deviceId !== undefined && checkId('deviceId', opts.deviceId)) return err(checkId('deviceId', opts.deviceId) as TopicError);
  if (opts.shareGroup !== undefined && !ID_PATTERN.test(opts.shareGroup)) {
    return err({ code: 'INVALID_ID', message: `share group "${opts.shareGroup}" must be 1-64 characters of A-Z a-z 0-9 _ -.` });
  }
  const filter = `${TOPIC_PREFIX}/${opts.siteId ?? '+'}/${opts.deviceId ?? '+'}/${channel}`;
  return ok(opts.shareGroup === undefined ? filter : `$share/${opts.shareGroup}/${filter}`);
}

/** Topic builders, one per channel. */
export const topics = {
  scan: (siteId: string, deviceId: string) => deviceTopic(siteId, deviceId, 'scan'),
  reject: (siteId: string, deviceId: string) => deviceTopic(siteId, deviceId, 'reject'),
  reading: (siteId: string, deviceId: string) => deviceTopic(siteId, deviceId, 'reading'),
  production: (siteId: string, deviceId: string) => deviceTopic(siteId, deviceId, 'production'),
  status: (siteId: string, deviceId: string) => deviceTopic(siteId, deviceId, 'status'),
  command: (siteId: string, deviceId: string) => deviceTopic(siteId, deviceId, 'command'),
  filter: topicFilter,
} as const;

/** Parses a concrete topic (no wildcards) into site, device and channel. */
export function parseTopic(topic: string): Result<DeviceTopic, TopicError> {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX) {
    return err({ code: 'INVALID_TOPIC', message: `"${topic}" is not of the form ${TOPIC_PREFIX}/{siteId}/{deviceId}/{channel}.` });
  }
  const [, , siteId = '', deviceId = '', channel = ''] = parts;
  const bad = checkId('siteId', siteId) ?? checkId('deviceId', deviceId);
  if (bad) return err(bad);
  if (!(CHANNELS as readonly string[]).includes(channel)) {
    return err({ code: 'INVALID_TOPIC', message: `"${channel}" is not a channel (${CHANNELS.join(', ')}).` });
  }
  return ok({ siteId, deviceId, channel: channel as Channel });
}
