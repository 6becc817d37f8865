import { decodeEthernet } from '../link/ethernet.js';
import { decodeLink, isSupportedLinkType, LINKTYPE_ETHERNET } from '../link/index.js';
import { decodeMpls } from '../link/mpls.js';
import type { LinkError } from '../link/types.js';
import {
  DEFAULT_FRAGMENT_LIMITS,
  FragmentReassembler,
  emptyFragmentStats,
  type FragmentLimits,
  type FragmentOutcome,
  type FragmentStats,
} from './fragments.js';
import { decodeGeneve, GENEVE_PORT } from './geneve.js';
import { decodeGre } from './gre.js';
import { decodeGtpU, GTP_U_PORT } from './gtp.js';
import { emptyIpv4Header, readIpv4 } from './ipv4.js';
import { emptyIpv6Header, readIpv6 } from './ipv6.js';
import type { TunnelResult } from './tunnel.js';
import type { IpPacket, NetworkResult, NetworkSkip } from './types.js';
import { decodeVxlan, VXLAN_LINUX_PORT, VXLAN_PORT } from './vxlan.js';

export interface NetworkLimits extends FragmentLimits {
  /** Tunnel headers (IP-in-IP, GRE, VXLAN, Geneve, GTP-U) passed through in one frame. */
  maxTunnelDepth: number;
}

export const DEFAULT_NETWORK_LIMITS: Readonly<NetworkLimits> = Object.freeze({
  ...DEFAULT_FRAGMENT_LIMITS,
  maxTunnelDepth: 4,
});

export type SkipReason = NetworkSkip['reason'];

export interface NetworkStats {
  /** Frames given to decode(). */
  frames: number;
  /** Frames that gave an IpPacket (reassembled datagrams count once, on their last fragment). */
  packets: number;
  /** Frames that gave no packet, by reason. */
  skipped: Record<SkipReason, number>;
  /** Frames skipped as 'unsupported-link', by link type. */
  unsupportedLinkTypes: Map<number, number>;
  /** Tunnel headers passed through, by name (a frame inside two tunnels counts for both). */
  tunnels: Map<string, number>;
  fragments: FragmentStats;
}

export interface NetworkDecoder {
  /**
   * Decodes one captured frame of link type `linkType` down to its innermost IP packet.
   * `time` is the capture time in seconds (it drives the fragment timeout). Never throws.
   * The packet's `data` is `data` itself unless it was reassembled from fragments.
   *
   * `originalLength`, the frame's length on the wire, is optional. When given and not more than
   * `data.length`, the frame is known to be whole, so an IP length reaching past its end is a
   * lying header rather than a snaplen cut: the packet is then cut back to the frame.
   */
  decode(linkType: number, data: Buffer, time: number, originalLength?: number): NetworkResult;
  /**
   * decode() for the frame `buf[offset, end)`, without a packet object per frame: the IpPacket
   * returned is the decoder's own, overwritten by the next call, so it is valid only until then.
   * The time is read from `at` (the capture record): passed as a number, it would cost a heap
   * number per frame.
   */
  decodeAt(linkType: number, buf: Buffer, offset: number, end: number, at: { readonly time: number }, originalLength?: number): NetworkResult;
  readonly stats: NetworkStats;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_TEB = 0x6558;
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;

const PROTO_IPV4 = 4;
const PROTO_UDP = 17;
const PROTO_IPV6 = 41;
const PROTO_GRE = 47;

function emptySkipCounts(): Record<SkipReason, number> {
  return {
    'non-ip': 0,
    'unsupported-link': 0,
    truncated: 0,
    malformed: 0,
    'fragment-held': 0,
    'fragment-dropped': 0,
  };
}

function skip(reason: SkipReason, detail: string): NetworkSkip {
  return { kind: 'skip', reason, detail };
}

const TOO_DEEP = 'tunnels nested too deep';

class Decoder implements NetworkDecoder {
  readonly stats: NetworkStats;
  private readonly limits: Readonly<NetworkLimits>;
  private readonly fragments: FragmentReassembler;
  private time = 0;
  private readonly linkTypeDetails = new Map<number, string>();
  /** The link type of the previous frame and whether it is supported (captures rarely mix them). */
  private lastLinkType = -1;
  private lastSupported = false;
  private readonly etherTypeDetails = new Map<number, string>();
  /** IP headers as decoded, overwritten by every packet (see ipv4() and ipv6()). */
  private readonly ipv4Header = emptyIpv4Header();
  private readonly ipv6Header = emptyIpv6Header();
  /** The packet decodeAt() returns, overwritten by every call. */
  private readonly packet: IpPacket = {
    version: 4,
    data: Buffer.alloc(0),
    srcOffset: 0,
    dstOffset: 0,
    protocol: 0,
    payloadOffset: 0,
    payloadEnd: 0,
    payloadLength: 0,
    hopLimit: 0,
    tunnel: null,
  };

  constructor(limits: Partial<NetworkLimits>) {
    this.limits = { ...DEFAULT_NETWORK_LIMITS, ...limits };
    const fragmentStats = emptyFragmentStats();
    this.stats = {
      frames: 0,
      packets: 0,
      skipped: emptySkipCounts(),
      unsupportedLinkTypes: new Map(),
      tunnels: new Map(),
      fragments: fragmentStats,
    };
    this.fragments = new FragmentReassembler(this.limits, fragmentStats);
  }

  decode(linkType: number, data: Buffer, time: number, originalLength?: number): NetworkResult {
    const result = this.decodeAt(linkType, data, 0, data.length, { time }, originalLength);
    return result === this.packet ? { ...result } : result;
  }

  decodeAt(linkType: number, buf: Buffer, offset: number, end: number, at: { readonly time: number }, originalLength?: number): NetworkResult {
    const stats = this.stats;
    stats.frames++;
    this.time = at.time;
    let result: NetworkResult;
    if (linkType !== this.lastLinkType) {
      this.lastLinkType = linkType;
      this.lastSupported = isSupportedLinkType(linkType);
    }
    if (!this.lastSupported) {
      stats.unsupportedLinkTypes.set(linkType, (stats.unsupportedLinkTypes.get(linkType) ?? 0) + 1);
      let detail = this.linkTypeDetails.get(linkType);
      if (detail === undefined) {
        detail = `link type ${linkType}`;
        if (this.linkTypeDetails.size < 256) this.linkTypeDetails.set(linkType, detail);
      }
      result = skip('unsupported-link', detail);
    } else {
      const etherType = linkType === LINKTYPE_ETHERNET && end - offset >= 14 ? (buf[offset + 12] << 8) | buf[offset + 13] : 0;
      const link = etherType === ETHERTYPE_IPV4 || etherType === ETHERTYPE_IPV6 ? null : decodeLink(linkType, buf, offset, end);
      // Untagged Ethernet II carrying IP (link null), most frames of most captures: the header is
      // read here rather than through decodeLink, whose result would be one more object per frame.
      if (link === null) result = this.ip(etherType, buf, offset + 14, end, 0, null, originalLength !== undefined && originalLength <= end - offset);
      else if (link.kind !== 'network') result = linkSkip(link);
      else if (link.end !== undefined) result = this.ip(link.etherType, buf, link.offset, link.end, 0, null, true);
      else result = this.ip(link.etherType, buf, link.offset, end, 0, null, originalLength !== undefined && originalLength <= end - offset);
    }
    if ('kind' in result) stats.skipped[result.reason]++;
    else stats.packets++;
    return result;
  }

  /**
   * An IPv4 or IPv6 packet named by EtherType; anything else is not IP. `bounded` says the
   * packet cannot reach past `end` (a length in the link header says so, or the frame is known
   * to be whole), so an IP length reaching past it is cut back instead of read as a snaplen cut.
   */
  private ip(etherType: number, buf: Buffer, offset: number, end: number, depth: number, tunnel: string | null, bounded = false): NetworkResult {
    if (etherType === ETHERTYPE_IPV4) return this.ipv4(buf, offset, end, depth, tunnel, bounded);
    if (etherType === ETHERTYPE_IPV6) return this.ipv6(buf, offset, end, depth, tunnel, bounded);
    let detail = this.etherTypeDetails.get(etherType);
    if (detail === undefined) {
      detail = `ethertype 0x${etherType.toString(16).padStart(4, '0')}`;
      this.etherTypeDetails.set(etherType, detail);
    }
    return skip('non-ip', detail);
  }

  private ipv4(buf: Buffer, offset: number, end: number, depth: number, tunnel: string | null, bounded = false): NetworkResult {
    // The decoder's own header object: every field is read before a tunnel or fragment reuses it.
    const h = this.ipv4Header;
    const error = readIpv4(buf, offset, end, h);
    if (error !== null) return skip(error.kind, error.detail);
    const payloadOffset = offset + h.headerLength;
    const totalLength = bounded && h.totalLength > end - offset ? end - offset : h.totalLength;
    if (h.moreFragments || h.fragmentOffset !== 0) {
      if (h.end - offset < totalLength) return this.fragmentCut();
      // Source, destination, identification, protocol (RFC 791 section 3.2).
      const key =
        buf.toString('latin1', offset + 12, offset + 20) +
        buf.toString('latin1', offset + 4, offset + 6) +
        String.fromCharCode(h.protocol, 4);
      const outcome = this.fragments.add(
        {
          key,
          version: 4,
          buf,
          ipOffset: offset,
          headerEnd: payloadOffset,
          linkOffset: -1,
          nextHeader: h.protocol,
          dataOffset: payloadOffset,
          dataEnd: h.end,
          fragmentOffset: h.fragmentOffset,
          moreFragments: h.moreFragments,
        },
        this.time,
      );
      if (outcome.kind === 'complete') return this.ipv4(outcome.datagram, 0, outcome.datagram.length, depth, tunnel);
      return fragmentSkip(outcome);
    }
    return this.upper(4, buf, offset, h.protocol, payloadOffset, h.end, totalLength - h.headerLength, h.ttl, depth, tunnel);
  }

  private ipv6(buf: Buffer, offset: number, end: number, depth: number, tunnel: string | null, bounded = false): NetworkResult {
    // The decoder's own header object: every field is read before a tunnel or fragment reuses it.
    const h = this.ipv6Header;
    const error = readIpv6(buf, offset, end, h);
    if (error !== null) return skip(error.kind, error.detail);
    const declaredEnd = bounded && h.declaredEnd > end ? end : h.declaredEnd;
    if (h.fragmentHeaderOffset >= 0) {
      if (h.end < declaredEnd) return this.fragmentCut();
      const key =
        buf.toString('latin1', offset + 8, offset + 40) +
        buf.toString('latin1', h.fragmentHeaderOffset + 4, h.fragmentHeaderOffset + 8) +
        String.fromCharCode(h.protocol, 6);
      const outcome = this.fragments.add(
        {
          key,
          version: 6,
          buf,
          ipOffset: offset,
          headerEnd: h.fragmentHeaderOffset,
          linkOffset: h.fragmentLinkOffset,
          nextHeader: h.protocol,
          dataOffset: h.payloadOffset,
          dataEnd: h.end,
          fragmentOffset: h.fragmentOffset,
          moreFragments: h.moreFragments,
        },
        this.time,
      );
      if (outcome.kind === 'complete') return this.ipv6(outcome.datagram, 0, outcome.datagram.length, depth, tunnel);
      return fragmentSkip(outcome);
    }
    return this.upper(6, buf, offset, h.protocol, h.payloadOffset, h.end, declaredEnd - h.payloadOffset, h.hopLimit, depth, tunnel);
  }

  private fragmentCut(): NetworkSkip {
    this.stats.fragments.fragments++;
    this.stats.fragments.droppedFragments++;
    return skip('fragment-dropped', 'fragment cut short by the snaplen');
  }

  /** The payload of an IP packet: a tunnel to step into, or the packet to return. */
  private upper(
    version: 4 | 6,
    buf: Buffer,
    ipOffset: number,
    protocol: number,
    payloadOffset: number,
    payloadEnd: number,
    payloadLength: number,
    hopLimit: number,
    depth: number,
    tunnel: string | null,
  ): NetworkResult {
    // Whether the snaplen left the payload whole: a tunnel header that does not fit in a whole
    // payload is not a tunnel header, one that does not fit in a cut payload is truncated.
    const complete = payloadEnd - payloadOffset >= payloadLength;
    switch (protocol) {
      case PROTO_IPV4: {
        const name = version === 4 ? 'ipip' : '4in6';
        if (depth >= this.limits.maxTunnelDepth) return skip('malformed', TOO_DEEP);
        this.countTunnel(name);
        return this.ipv4(buf, payloadOffset, payloadEnd, depth + 1, tunnel ?? name);
      }
      case PROTO_IPV6: {
        const name = version === 4 ? '6in4' : '6in6';
        if (depth >= this.limits.maxTunnelDepth) return skip('malformed', TOO_DEEP);
        this.countTunnel(name);
        return this.ipv6(buf, payloadOffset, payloadEnd, depth + 1, tunnel ?? name);
      }
      case PROTO_GRE: {
        const inner = this.tunnel('gre', decodeGre(buf, payloadOffset, payloadEnd), buf, depth, tunnel, complete);
        if (inner !== null) return inner;
        break;
      }
      case PROTO_UDP: {
        if (payloadEnd - payloadOffset < 8) break;
        const srcPort = (buf[payloadOffset] << 8) | buf[payloadOffset + 1];
        const dstPort = (buf[payloadOffset + 2] << 8) | buf[payloadOffset + 3];
        let inner: NetworkResult | null = null;
        if (dstPort === VXLAN_PORT || dstPort === VXLAN_LINUX_PORT || dstPort === GENEVE_PORT || dstPort === GTP_U_PORT || srcPort === GTP_U_PORT) {
          const udpLength = (buf[payloadOffset + 4] << 8) | buf[payloadOffset + 5];
          const udpEnd = udpLength >= 8 && payloadOffset + udpLength < payloadEnd ? payloadOffset + udpLength : payloadEnd;
          const start = payloadOffset + 8;
          if (dstPort === VXLAN_PORT || dstPort === VXLAN_LINUX_PORT) inner = this.tunnel('vxlan', decodeVxlan(buf, start, udpEnd), buf, depth, tunnel, complete);
          else if (dstPort === GENEVE_PORT) inner = this.tunnel('geneve', decodeGeneve(buf, start, udpEnd), buf, depth, tunnel, complete);
          else inner = this.tunnel('gtp-u', decodeGtpU(buf, start, udpEnd), buf, depth, tunnel, complete);
        }
        if (inner !== null) return inner;
        break;
      }
    }
    const packet = this.packet;
    packet.version = version;
    packet.data = buf;
    packet.srcOffset = ipOffset + (version === 4 ? 12 : 8);
    packet.dstOffset = ipOffset + (version === 4 ? 16 : 24);
    packet.protocol = protocol;
    packet.payloadOffset = payloadOffset;
    packet.payloadEnd = payloadEnd;
    packet.payloadLength = payloadLength;
    packet.hopLimit = hopLimit;
    packet.tunnel = tunnel;
    return packet;
  }

  /**
   * Steps into a tunnel whose header decoded as `result`. Returns null when the header is not a
   * tunnel header after all (the outer packet is then returned as it is); a header cut by the
   * snaplen (`complete` false) gives a 'truncated' skip.
   */
  private tunnel(name: string, result: TunnelResult, buf: Buffer, depth: number, tunnel: string | null, complete: boolean): NetworkResult | null {
    if (result.kind !== 'payload') return result.kind === 'truncated' && !complete ? skip('truncated', result.detail) : null;
    if (depth >= this.limits.maxTunnelDepth) return skip('malformed', TOO_DEEP);
    this.countTunnel(name);
    const outer = tunnel ?? name;
    const next = depth + 1;
    let etherType = result.etherType;
    let offset = result.offset;
    if (etherType === ETHERTYPE_TEB) {
      const frame = decodeEthernet(buf, offset, result.end);
      if (frame.kind !== 'network') return linkSkip(frame);
      etherType = frame.etherType;
      offset = frame.offset;
    } else if (etherType === ETHERTYPE_MPLS || etherType === ETHERTYPE_MPLS_MULTICAST) {
      const frame = decodeMpls(buf, offset, result.end, 0);
      if (frame.kind !== 'network') return linkSkip(frame);
      etherType = frame.etherType;
      offset = frame.offset;
    }
    return this.ip(etherType, buf, offset, result.end, next, outer);
  }

  private countTunnel(name: string): void {
    this.stats.tunnels.set(name, (this.stats.tunnels.get(name) ?? 0) + 1);
  }
}

function linkSkip(link: LinkError): NetworkSkip {
  return skip(link.kind === 'unsupported' ? 'non-ip' : link.kind, link.detail);
}

function fragmentSkip(outcome: Exclude<FragmentOutcome, { kind: 'complete' }>): NetworkSkip {
  return outcome.kind === 'held' ? skip('fragment-held', 'fragment held for reassembly') : skip('fragment-dropped', outcome.detail);
}

/**
 * Makes a decoder from link-layer frames to IP packets, with its own fragment reassembly
 * state and statistics. `limits` overrides DEFAULT_NETWORK_LIMITS.
 */
export function createNetworkDecoder(limits: Partial<NetworkLimits> = {}): NetworkDecoder {
  return new Decoder(limits);
}
