import type { Category, ClientHelloSeen, ConnectionOutcome, CountedConnection, FrameRef } from './types.js';

/** A ServerHello as the category reads it: only the frame it came in. */
type ServerHelloAt = { at: { frame: number } } | null;

/** True when the server reset the connection after the ClientHello began and before any ServerHello. */
export function resetBeforeServerHello(o: ConnectionOutcome): boolean {
  return resetBefore(o.clientHello, o.serverReset, o.serverHello);
}

/** resetBeforeServerHello, from the three facts it reads. */
function resetBefore(clientHello: ClientHelloSeen | null, serverReset: FrameRef | null, serverHello: ServerHelloAt): boolean {
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
function categoryOf(clientHello: ClientHelloSeen | null, serverReset: FrameRef | null, serverHello: ServerHelloAt): Category {
  if (clientHello === null) return 'no-tls';
  const status = clientHello.hello.serverName.status;
  if (status === 'unknown') return 'unknown';
  const reset = resetBefore(clientHello, serverReset, serverHello);
  if (status === 'present') return reset ? 'sni-reset' : 'sni-ok';
  return reset ? 'non-sni-reset' : 'non-sni-ok';
}

/**
 * Fills in `into` what a connection is counted by that comes from the same three facts as its
 * category: the category, the ClientHello's SNI status, whether the server reset it before any
 * ServerHello, and whether a ServerHello came. The caller sets the capture and the addresses.
 */
export function countedFacts(into: CountedConnection, clientHello: ClientHelloSeen | null, serverReset: FrameRef | null, serverHello: ServerHelloAt): void {
  into.category = categoryOf(clientHello, serverReset, serverHello);
  into.sniStatus = clientHello === null ? null : clientHello.hello.serverName.status;
  into.resetByIngress = resetBefore(clientHello, serverReset, serverHello);
  into.completed = serverHello !== null;
}
