/** What the server_name extension says. A usable SNI is status 'present'. */
export type SniStatus = 'present' | 'absent' | 'empty' | 'malformed' | 'unknown';

export interface ServerName {
  status: SniStatus;
  /** The host name as text: UTF-8, with bytes that are not valid UTF-8 read as Latin-1. null unless present. */
  name: string | null;
  /** The host name's raw bytes in hex, null unless present. */
  hex: string | null;
}

/** A decoded ClientHello (TLS or SSLv2-compatible). */
export interface ClientHello {
  format: 'tls' | 'sslv2';
  /** TLS record-layer version (0x0301 ...), or 0x0002 for an SSLv2 record. */
  recordVersion: number;
  /** legacy_version / client_version of the hello. */
  legacyVersion: number;
  /*
   * The lists below are frozen when decoded from a whole extension or field: hellos that send the
   * same bytes share one copy (see rawKey in bytes.ts).
   */
  /** supported_versions (extension 43) in the order offered, GREASE included; empty when absent. */
  supportedVersions: readonly number[];
  /** The 32-byte random (for SSLv2 the challenge, left-padded to 32 bytes); a copy. Shorter only when a prefix ends inside it. */
  random: Buffer;
  cipherSuites: readonly number[];
  /** Extension types in wire order (tls.handshake.extension.type); empty when there is no extension block. */
  extensionTypes: number[];
  /** The length of each extension's data, same order (tls.handshake.extension.len). */
  extensionLengths: number[];
  /** True when the hello has an extensions block (possibly empty). */
  hasExtensionBlock: boolean;
  serverName: ServerName;
  /** ALPN protocol names in order (decoded like the SNI), empty when absent. */
  alpn: readonly string[];
  /** The ALPN protocol names' raw bytes in hex, same order as `alpn` (JA4 needs the bytes). */
  alpnHex?: readonly string[];
  /** signature_algorithms (extension 13) in order, empty when absent. */
  signatureAlgorithms: readonly number[];
  /** encrypted_client_hello (0xfe0d) present: the SNI is then the outer, public name. */
  encryptedClientHello: boolean;
  /** The whole message was available; false when decoded from a prefix (cut by snaplen, gap or end of capture). */
  complete: boolean;
  /** Why decoding stopped early or what was inconsistent, null when the hello is well-formed. */
  malformed: string | null;
  /** Handshake message length as declared (body, without the 4-byte header); for an SSLv2-format hello, the record length. */
  length: number;
}

export interface ServerHello {
  /** True for a HelloRetryRequest (TLS 1.3 special random). */
  helloRetryRequest: boolean;
  legacyVersion: number;
  /** selected_version from supported_versions, or legacyVersion. */
  version: number;
  cipherSuite: number;
}

export interface Alert {
  level: number;
  description: number;
}

/** Where a handshake message or record was seen: Wireshark's frame numbers. */
export interface Position {
  /** Frame in which the message became complete (where Wireshark shows the reassembled message). */
  frame: number;
  /** Frame carrying the message's first byte. */
  firstFrame: number;
  time: number;
}

/** Receives what a TLS stream reader finds, in stream order. */
export interface TlsEvents {
  clientHello(hello: ClientHello, at: Position): void;
  serverHello(hello: ServerHello, at: Position): void;
  alert(alert: Alert, at: Position): void;
}

/**
 * Reads one direction of a TCP connection. Bytes are pushed in stream order; the reader finds
 * TLS records by content (not port), reassembles records across pushes and handshake messages
 * across records, and reports ClientHello, ServerHello and Alert. It buffers at most its limit.
 */
export interface TlsStreamReader {
  /** Contiguous stream bytes (the caller may reuse `bytes` after the call returns). */
  push(bytes: Buffer, frame: number, time: number): void;
  /** Bytes are missing here (a segment never captured); `snaplen` when the capture cut them. */
  gap(cause: 'lost' | 'snaplen'): void;
  /** No more data will come; a partly read ClientHello is reported with complete=false. */
  end(frame: number, time: number): void;
  /** True once nothing more can be learned from this direction (not TLS, or past the handshake): callers stop pushing. */
  readonly done: boolean;
  /** Stop reading: the caller has learned what it needs. */
  stop(): void;
  /** What this direction turned out to be so far. */
  readonly state: 'unknown' | 'tls' | 'sslv2' | 'not-tls';
}

