import net from 'node:net';
import tls from 'node:tls';
import { makeSelfSignedCert, peekClientHello } from '../ingress/test-ingress.mjs';

export interface LocalServer {
  port: number;
  close(): Promise<void>;
}

async function listen(server: net.Server, sockets: Set<net.Socket>): Promise<LocalServer> {
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections on loopback and never answers (a hung ingress). */
export function silentServer(): Promise<LocalServer> {
  const sockets = new Set<net.Socket>();
  return listen(net.createServer(() => {}), sockets);
}

/** A closed port on loopback: listened on, then closed, so a connection is refused. */
export async function closedPort(): Promise<number> {
  const s = await silentServer();
  await s.close();
  return s.port;
}

/**
 * A TLS server that completes the handshake for clients with SNI and answers clients without
 * SNI with a fatal TLS alert (unrecognized_name, 112) instead of a reset.
 */
export function alertServer(hosts: string[] = ['api.example.com']): Promise<LocalServer> {
  const { cert, key } = makeSelfSignedCert(hosts);
  const context = tls.createSecureContext({ cert, key });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const r = peekClientHello(buffered);
      if (r.status === 'incomplete') return;
      socket.off('data', onData);
      if (r.status === 'complete' && r.serverName !== null) {
        socket.pause();
        socket.unshift(buffered);
        const t = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
        t.on('error', () => {});
        t.on('secure', () => t.end());
        return;
      }
      socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112]));
    };
    socket.on('data', onData);
  });
  return listen(server, sockets);
}
