import type { Category, ClientHelloSeen, ConnectionOutcome, FrameRef } from './types.js';

/** True when the server reset the connection after the ClientHello began and before any ServerHello. */
export function resetBeforeServerHello(o: ConnectionOutcome): boolean {
  return resetBefore(o.clientHello, o.serverReset, o.serverHello);
}

/** resetBeforeServerHello, from the three facts it reads. */
export function resetBefore(clientHello: ClientHelloSeen | null, serverReset: FrameRef | null, serverHello: { at: { frame: number } } | null): boolean {
  if (serverReset === null || clientHello === null) return false;
  if (serverReset.frame < clientHello.at.firstFrame) return false;
  return serverHello === null || serverReset.frame < serverHello.at.frame;
}

/**
 * The connection's category. RSTs sent by the client never make a reset category; a ClientHello
 * whose server_name cannot be read (cut short before it) is 'unknown'.
 */
export function categorize(o: ConnectionOutcome): Category {
  return categoryOf(o.clientHello, o.serverReset, o.serverHello);
}

/** categorize, from the three facts it reads. */
export function categoryOf(clientHello: ClientHelloSeen | null, serverReset: FrameRef | null, serverHello: { at: { frame: number } } | null): Category {
  if (clientHello === null) return 'no-tls';
  const status = clientHello.hello.serverName.status;
  if (status === 'unknown') return 'unknown';
  const reset = resetBefore(clientHello, serverReset, serverHello);
  if (status === 'present') return reset ? 'sni-reset' : 'sni-ok';
  return reset ? 'non-sni-reset' : 'non-sni-ok';
}
