import type { Category, ConnectionOutcome } from './types.js';

/** True when the server reset the connection after the ClientHello began and before any ServerHello. */
export function resetBeforeServerHello(o: ConnectionOutcome): boolean {
  if (o.serverReset === null || o.clientHello === null) return false;
  if (o.serverReset.frame < o.clientHello.at.firstFrame) return false;
  return o.serverHello === null || o.serverReset.frame < o.serverHello.at.frame;
}

/**
 * The connection's category. RSTs sent by the client never make a reset category; a ClientHello
 * whose server_name cannot be read (cut short before it) is 'unknown'.
 */
export function categorize(o: ConnectionOutcome): Category {
  if (o.clientHello === null) return 'no-tls';
  const status = o.clientHello.hello.serverName.status;
  if (status === 'unknown') return 'unknown';
  const reset = resetBeforeServerHello(o);
  if (status === 'present') return reset ? 'sni-reset' : 'sni-ok';
  return reset ? 'non-sni-reset' : 'non-sni-ok';
}
