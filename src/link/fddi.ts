import { decodeLlcSnap } from './llc.js';
import type { LinkResult } from './types.js';

/** Frame control, destination and source address. */
export const FDDI_HEADER_LENGTH = 13;

/** LINKTYPE_FDDI (10): 13-byte FDDI MAC header, then LLC/SNAP naming the EtherType. */
export function decodeFddi(buf: Buffer, offset: number, end: number): LinkResult {
  if (end - offset < FDDI_HEADER_LENGTH) return { kind: 'truncated', detail: 'fddi header cut short' };
  return decodeLlcSnap(buf, offset + FDDI_HEADER_LENGTH, end, 0);
}
