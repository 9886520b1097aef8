import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; secrets never reach them (redacted paths). */
export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'cradle-gateway', ...base },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'password', '*.password'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
