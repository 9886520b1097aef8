/**
 * Test gateways on the machine's Mosquitto keep MQTT 5 sessions (a fresh schema, hence a fresh client id and share
 * group, each time). With the production expiry of 7 days every run left one behind, queueing a copy of every later
 * test's scans: a broker that slowed with each run. Tests that restart a gateway do so within seconds.
 */
process.env.INGEST_SESSION_EXPIRY_SECONDS ??= '120';
