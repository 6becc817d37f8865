/** What `kubectl logs --prefix` and `--timestamps` put before a container's own line. */
export interface LinePrefix {
  /** The line without the prefixes. */
  rest: string;
  /** `pod/NAME/CONTAINER` from `--prefix`, or null. */
  source: string | null;
  /** The RFC 3339 time from `--timestamps`, or null. */
  timestamp: string | null;
}

// `[pod/apigee-ingressgateway-7d9/istio-proxy] ` — a kind, a name and a container, no spaces.
const SOURCE = /^\[([a-z][a-z0-9.-]*\/[^\]\s]+)\] /;
// `2026-11-27T14:46:03.265718293Z ` (kubelet's RFC 3339 with nanoseconds) or with an offset.
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) /;

/** Strips the `kubectl logs --prefix` source and the `--timestamps` time, in either order. */
export function stripKubectlPrefix(line: string): LinePrefix {
  let rest = line;
  let source: string | null = null;
  let timestamp: string | null = null;
  for (let i = 0; i < 2; i++) {
    const c = rest.charCodeAt(0);
    if (c === 0x5b /* [ */ && source === null) {
      const m = SOURCE.exec(rest);
      if (m === null) break;
      source = m[1];
      rest = rest.slice(m[0].length);
    } else if (c >= 0x30 && c <= 0x39 && timestamp === null) {
      const m = TIMESTAMP.exec(rest);
      if (m === null) break;
      timestamp = m[1];
      rest = rest.slice(m[0].length);
    } else break;
  }
  return { rest, source, timestamp };
}
