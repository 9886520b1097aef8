import { ConfigError, loadConfig } from './config';

describe('configuration from the environment', () => {
  it('runs embedded when no URL is set', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(8080);
    expect(c.mqtt).toMatchObject({ url: undefined, port: 1883 });
    expect(c.database.url).toBeUndefined();
    expect(c.redis.url).toBeUndefined();
    expect(c.demo.enabled).toBe(true);
    expect(c.role).toBe('all');
  });

  it('does not seed demo data into a server database unless asked', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://x@h/db' }).demo.enabled).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://x@h/db', DEMO: 'true' }).demo.enabled).toBe(true);
  });

  it.each([
    ['PORT', 'eighty', /PORT: .*"eighty"/],
    ['PORT', '70000', /PORT/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL: must be a postgres:\/\/ URL/],
    ['MQTT_URL', 'http://x', /MQTT_URL/],
    ['JWT_SECRET', 'short', /JWT_SECRET: must be at least 32 characters/],
    ['DEMO', 'perhaps', /DEMO/],
    ['CRADLE_ROLE', 'worker', /CRADLE_ROLE: .*REDIS_URL/],
  ])('names %s when its value (%s) is wrong', (name, value, message) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(message);
  });
});
