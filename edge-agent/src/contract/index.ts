/**
 * The one place edge-agent touches the shared MQTT/GS1 contract (@cradle/protocol).
 *
 * While protocol/ was being written, this adapter carried a stop-gap; it now forwards to protocol/ wherever protocol
 * exports the piece. Everything else in edge-agent imports from here, so a protocol change lands in one file.
 */
export * from './types';
export { parseScan, newSourceId, upPayload, topicFor, commandTopic, validateUp } from './bindings';
