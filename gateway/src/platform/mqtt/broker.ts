import crypto from 'node:crypto';
import net from 'node:net';
import Aedes, { type Client } from 'aedes';
import type { Logger } from '../logging';

/** What the broker needs to know about a device that signs in. */
export interface DeviceIdentity {
  deviceCode: string;
  siteCode: string;
}

export interface EmbeddedBrokerOptions {
  port: number;
  host?: string;
  log: Logger;
  /** Checks a device's username/password; null refuses the connection. */
  authenticateDevice(username: string, password: string): Promise<DeviceIdentity | null>;
}

export interface EmbeddedBroker {
  port: number;
  /** Credentials for the gateway's own client, which may publish and subscribe anywhere. */
  internal: { username: string; password: string };
  close(): Promise<void>;
}

export class BrokerPortInUseError extends Error {
  override name = 'BrokerPortInUseError';
  readonly code = 'MQTT_PORT_IN_USE';
  constructor(readonly port: number) {
    super(
      `MQTT port ${port} is already in use (another broker, such as Mosquitto, is probably running).\n` +
        `  Either use that broker:      MQTT_URL=mqtt://127.0.0.1:${port} npm start\n` +
        `  or run the embedded one elsewhere: MQTT_PORT=1884 npm start`,
    );
  }
}

/**
 * Topic ACL for devices (per-device credentials): a device publishes only under its own site and device,
 * `cradle/v1/{site}/{device}/{scan|reject|reading|production|status}`, and subscribes only to its own
 * `.../command` topic.
 */
export function deviceMayPublish(d: DeviceIdentity, topic: string): boolean {
  const p = topic.split('/');
  return p.length === 5 && p[0] === 'cradle' && p[1] === 'v1' && p[2] === d.siteCode && p[3] === d.deviceCode && ['scan', 'reject', 'reading', 'production', 'status'].includes(p[4]!);
}
export function deviceMaySubscribe(d: DeviceIdentity, topic: string): boolean {
  return topic === `cradle/v1/${d.siteCode}/${d.deviceCode}/command`;
}

type CradleClient = Client & { cradleDevice?: DeviceIdentity; cradleInternal?: boolean };

/** Starts the embedded aedes broker (MQTT 3.1.1; no shared subscriptions, fine for one gateway). */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const internal = { username: `cradle-gateway-${crypto.randomBytes(4).toString('hex')}`, password: crypto.randomBytes(24).toString('base64url') };
  const aedes = new Aedes({
    authenticate: (client, username, password, done) => {
      const c = client as CradleClient;
      const pw = password?.toString() ?? '';
      if (username === internal.username && pw === internal.password) {
        c.cradleInternal = true;
        return done(null, true);
      }
      if (!username) return done(Object.assign(new Error('username required'), { returnCode: 4 }) as never, false);
      opts
        .authenticateDevice(username, pw)
        .then((device) => {
          if (!device) {
            opts.log.warn({ username, clientId: client.id }, 'mqtt: refused device credentials');
            return done(Object.assign(new Error('bad credentials'), { returnCode: 4 }) as never, false);
          }
          c.cradleDevice = device;
          done(null, true);
        })
        .catch((err: unknown) => done(err as never, false));
    },
    authorizePublish: (client, packet, done) => {
      const c = client as CradleClient | null;
      if (!c || c.cradleInternal) return done(null);
      if (c.cradleDevice && deviceMayPublish(c.cradleDevice, packet.topic)) return done(null);
      opts.log.warn({ clientId: c.id, topic: packet.topic }, 'mqtt: publish outside the device\'s topics refused');
      done(new Error('topic not allowed'));
    },
    authorizeSubscribe: (client, sub, done) => {
      const c = client as CradleClient;
      if (c.cradleInternal || (c.cradleDevice && deviceMaySubscribe(c.cradleDevice, sub.topic))) return done(null, sub);
      done(new Error('subscription not allowed'), null);
    },
  });
  const server = net.createServer(aedes.handle as unknown as (socket: net.Socket) => void);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new BrokerPortInUseError(opts.port) : err));
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  opts.log.info({ port }, 'embedded MQTT broker listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    internal,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        aedes.close(() => server.close(() => resolve()));
      })),
  };
}
