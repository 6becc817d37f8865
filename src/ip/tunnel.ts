/** What a tunnel header decoder finds: the encapsulated packet, named by EtherType. */
export interface TunnelPayload {
  kind: 'payload';
  /** 0x0800 IPv4, 0x86dd IPv6, 0x6558 an Ethernet frame, 0x8847 an MPLS stack. */
  etherType: number;
  /** Where the encapsulated packet starts and where it ends (captured bytes). */
  offset: number;
  end: number;
}

export interface TunnelError {
  /** 'unsupported': a valid header that carries no IP (signalling, another payload type, ...). */
  kind: 'truncated' | 'malformed' | 'unsupported';
  detail: string;
}

export type TunnelResult = TunnelPayload | TunnelError;

/** EtherType of an IP packet from its version nibble, or -1. */
export function etherTypeFromVersion(firstByte: number): number {
  const version = firstByte >> 4;
  if (version === 4) return 0x0800;
  if (version === 6) return 0x86dd;
  return -1;
}
