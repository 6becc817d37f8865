#!/usr/bin/env python3
"""Minimal TLS client for the sample captures (standard library only).

    py-tls-client.py --connect HOST:PORT [--bind ADDR] [--sni NAME]

Without --sni the ClientHello carries no server_name (server_hostname=None).
Prints "served <status line>" and exits 0 when the handshake completes and a response arrives,
prints "reset ..." and exits 1 when the server resets the connection, exits 2 on other failures.
"""

import argparse
import socket
import ssl
import sys


def split_host_port(text):
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    return host, int(port)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connect", required=True)
    parser.add_argument("--bind", default=None)
    parser.add_argument("--sni", default=None)
    args = parser.parse_args()

    host, port = split_host_port(args.connect)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(5)
    if args.bind:
        sock.bind((args.bind, 0))
    sock.connect((host, port))
    try:
        tls = context.wrap_socket(sock, server_hostname=args.sni)
    except ConnectionResetError as err:
        print(f"reset during handshake: {err}")
        return 1
    except (ssl.SSLError, OSError) as err:
        print(f"handshake failed: {err}")
        return 2
    request = f"GET / HTTP/1.1\r\nHost: {args.sni or host}\r\nConnection: close\r\n\r\n"
    tls.sendall(request.encode("ascii"))
    data = b""
    try:
        while True:
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ssl.SSLEOFError, ConnectionResetError):
        pass
    finally:
        tls.close()
    status = data.split(b"\r\n", 1)[0].decode("latin-1")
    if not status:
        print("handshake completed, no response")
        return 2
    print(f"served {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
