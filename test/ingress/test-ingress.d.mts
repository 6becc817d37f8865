// Types for test-ingress.mjs (plain JavaScript, used by the TypeScript tests).

export declare const DEFAULT_HOSTS: string[];
export declare const DEFAULT_LISTEN: string[];
export declare const DEFAULT_MAX_HELLO_BYTES: number;
export declare const DEFAULT_PEEK_TIMEOUT_MS: number;

export type PeekResult =
  | { status: 'incomplete' }
  | { status: 'not-tls' }
  | { status: 'malformed'; reason: string }
  | { status: 'complete'; serverName: string | null; length: number; consumed: number };

export declare function peekClientHello(buffer: Buffer, options?: { maxBytes?: number }): PeekResult;

export declare function matchesHost(serverName: string | null | undefined, hosts: readonly string[]): boolean;

export declare function parseListen(spec: string | { host?: string; port?: number | string }): {
  host: string;
  port: number;
};

export declare function makeSelfSignedCert(names: readonly string[]): { cert: Buffer; key: Buffer };

/** One access-log line, shaped like the ingress gateway's Envoy access log. */
export interface AccessLogEntry {
  start_time: string;
  /** "ip:port", IPv6 as "[addr]:port". */
  remote_address: string | null;
  local_address: string | null;
  sni_host: string | null;
  /** 'filter_chain_not_found' when reset; 'direct_response' when answered; otherwise why it ended. */
  status_details: string | null;
  /** 'NR' when reset, '-' otherwise. */
  upstream_response_flags: string;
  /** HTTP status, 0 when no response was sent. */
  status: number;
  /** The HTTP request line, null when there was none. */
  request: string | null;
  bytes_received: number;
  bytes_sent: number;
  x_forwarded_for: string | null;
  /** Milliseconds from accept to the end of the connection. */
  duration: number;
}

export interface IngressOptions {
  listen?: Array<string | { host?: string; port?: number }>;
  hosts?: string[];
  wildcard?: boolean;
  cert?: string | Buffer;
  key?: string | Buffer;
  log?: boolean | NodeJS.WritableStream;
  onLog?: (entry: AccessLogEntry) => void;
  peekTimeoutMs?: number;
  maxHelloBytes?: number;
}

export interface IngressAddress {
  address: string;
  family: string;
  port: number;
}

export interface Ingress {
  addresses: IngressAddress[];
  hosts: string[];
  wildcard: boolean;
  close(): Promise<void>;
}

export declare function startIngress(options?: IngressOptions): Promise<Ingress>;

export declare function main(argv?: string[]): Promise<number>;
