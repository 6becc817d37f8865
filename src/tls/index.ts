export type * from './types.js';
export { decodeClientHello, type ClientHelloContext } from './client-hello.js';
export { decodeSslv2ClientHello, sslv2HelloLength, SSLV2_RECORD_VERSION } from './sslv2.js';
export { decodeServerHello, HELLO_RETRY_REQUEST_RANDOM } from './server-hello.js';
export { decodeAlert, decodeAlertRecord } from './alert.js';
export {
  createTlsStreamReader,
  DEFAULT_MAX_HANDSHAKE_BYTES,
  DEFAULT_MAX_PREFIX_SCAN_BYTES,
  DEFAULT_MAX_HELD_BYTES,
  HELD_LIMIT_CUT,
  type HeldBytes,
  type TlsStreamReaderLimits,
} from './stream-reader.js';
export { ja4, ja4Raw, type Ja4Transport } from './ja4.js';
