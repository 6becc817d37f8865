#!/usr/bin/env python3
"""Writes the small capture fixtures in this folder (run with a Python that has scapy 2.5).

Every packet is built from fixed values and fixed timestamps, so running it again gives the same
files. See README.md for what each file holds.
"""
from scapy.all import Ether, Dot1Q, IP, IPv6, TCP, UDP, Raw, GRE, GRE_PPTP, PPP, wrpcap, fragment, fragment6
from scapy.layers.inet6 import IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting
from scapy.layers.vxlan import VXLAN
from scapy.contrib.geneve import GENEVE
from scapy.contrib.gtp import GTP_U_Header, GTPPDUSessionContainer
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III

OUTER_MAC = dict(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')
INNER_MAC = dict(src='02:00:00:00:01:01', dst='02:00:00:00:01:02')


def inner_tcp4(sport=40000):
    return IP(src='10.1.1.1', dst='10.2.2.2', ttl=63, id=1) / TCP(sport=sport, dport=443, flags='S', seq=1000)


def inner_tcp6(sport=40000):
    return IPv6(src='2001:db8:1::1', dst='2001:db8:2::2', hlim=62) / TCP(sport=sport, dport=443, flags='S', seq=1000)


def stamp(packets, start=1700000000.0):
    for i, p in enumerate(packets):
        p.time = start + i
    return packets


def outer4():
    return Ether(**OUTER_MAC) / IP(src='192.0.2.1', dst='192.0.2.2', ttl=64, id=7)


def outer6():
    return Ether(**OUTER_MAC) / IPv6(src='2001:db8:ffff::1', dst='2001:db8:ffff::2', hlim=64)


def vxlan():
    return stamp([
        outer4() / UDP(sport=50000, dport=4789) / VXLAN(vni=42) / Ether(**INNER_MAC) / inner_tcp4(),
        outer4() / UDP(sport=50001, dport=8472) / VXLAN(vni=43) / Ether(**INNER_MAC) / Dot1Q(vlan=100) / inner_tcp6(),
        # VXLAN port but the I flag is clear: not decoded as a tunnel.
        outer4() / UDP(sport=50002, dport=4789) / Raw(b'\x00' * 8 + b'not a frame'),
    ])


def gre():
    return stamp([
        outer4() / GRE(proto=0x0800) / inner_tcp4(),
        outer4() / GRE(chksum_present=1, key_present=1, seqnum_present=1, key=0x01020304, sequence_number=9, proto=0x86dd) / inner_tcp6(),
        outer4() / GRE(key_present=1, key=5, proto=0x6558) / Ether(**INNER_MAC) / inner_tcp4(40001),
        outer6() / GRE(proto=0x0800) / inner_tcp4(40002),
        outer4() / GRE(seqnum_present=1, sequence_number=1, proto=0x88be) / ERSPAN_II(ver=1, session_id=3) / Ether(**INNER_MAC) / inner_tcp4(40003),
        outer4() / GRE(proto=0x22eb) / ERSPAN_III(ver=2, session_id=4) / Ether(**INNER_MAC) / inner_tcp6(40004),
        outer4() / GRE_PPTP(seqnum_present=1, seqence_number=1, call_id=7) / PPP(proto=0x0021) / inner_tcp4(40005),
    ])


def ipip():
    deep = inner_tcp4(40010)
    for i in range(5):
        deep = IP(src=f'198.51.100.{i + 1}', dst=f'198.51.100.{i + 101}') / deep
    return stamp([
        outer4() / inner_tcp4(),
        outer6() / inner_tcp4(40001),
        outer6() / IPv6(src='2001:db8:aaaa::1', dst='2001:db8:bbbb::1') / inner_tcp6(40002),
        outer4() / IPv6(src='2001:db8:aaaa::1', dst='2001:db8:bbbb::1') / inner_tcp6(40003),
        Ether(**OUTER_MAC) / deep,
    ])


def gtp():
    ext = GTPPDUSessionContainer(type=1, QFI=9)
    return stamp([
        outer4() / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=0x11223344, E=1, next_ex=0x85) / ext / inner_tcp6(),
        outer4() / UDP(sport=2152, dport=2152) / GTP_U_Header(teid=0x11223345) / inner_tcp4(),
        # Echo request (message type 1): not a G-PDU, so not a tunnel.
        outer4() / UDP(sport=2152, dport=2152) / GTP_U_Header(gtp_type=1, S=1, seq=1, teid=0),
    ])


def geneve():
    return stamp([
        outer4() / UDP(sport=50000, dport=6081) / GENEVE(vni=7, proto=0x0800, optionlen=2, options=b'\x01\x02\x03\x01\xaa\xbb\xcc\xdd') / inner_tcp4(),
        outer6() / UDP(sport=50000, dport=6081) / GENEVE(vni=7, proto=0x6558) / Ether(**INNER_MAC) / inner_tcp6(),
    ])


PATTERN = bytes((i * 7 + 3) & 0xff for i in range(2400))


def frag4():
    datagram = IP(src='203.0.113.1', dst='203.0.113.2', id=0x1234, ttl=60) / TCP(sport=40000, dport=443, flags='PA', seq=1, ack=1) / Raw(PATTERN)
    f1, f2, f3 = fragment(datagram, fragsize=1000)
    # Same offset range as part of f2, different bytes: f2 arrived first, so f2's bytes win.
    clash = IP(src='203.0.113.1', dst='203.0.113.2', id=0x1234, ttl=60, proto=6, flags='MF', frag=1000 // 8) / Raw(b'\xee' * 400)
    # A UDP datagram to the VXLAN port, fragmented: the tunnel is decoded after reassembly.
    vx = IP(src='192.0.2.1', dst='192.0.2.2', id=0x4321) / UDP(sport=50000, dport=4789) / VXLAN(vni=42) / Ether(**INNER_MAC) / IP(src='10.1.1.1', dst='10.2.2.2') / TCP(sport=40000, dport=443, flags='PA') / Raw(PATTERN[:1200])
    v1, v2 = fragment(vx, fragsize=800)
    frames = [f2, f2.copy(), clash, f3, f1, v2, v1]
    return stamp([Ether(**OUTER_MAC) / f for f in frames])


def frag6():
    datagram = IPv6(src='2001:db8::1', dst='2001:db8::2', hlim=55) / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(id=0xabcdef) / TCP(sport=40000, dport=443, flags='PA', seq=1, ack=1) / Raw(PATTERN)
    pieces = fragment6(datagram, 1200)
    pieces.reverse()
    return stamp([Ether(**OUTER_MAC) / p for p in pieces])


def ipv6ext():
    return stamp([
        Ether(**OUTER_MAC) / IPv6(src='2001:db8::1', dst='2001:db8::2', hlim=9) / IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting(addresses=['2001:db8::9']) / IPv6ExtHdrDestOpt() / TCP(sport=1, dport=443, flags='S'),
        # Atomic fragment (offset 0, M clear): decoded in place, no reassembly.
        Ether(**OUTER_MAC) / IPv6(src='2001:db8::1', dst='2001:db8::2', hlim=9) / IPv6ExtHdrFragment(id=5, offset=0, m=0) / TCP(sport=2, dport=443, flags='S'),
    ])


if __name__ == '__main__':
    wrpcap('vxlan.pcap', vxlan())
    wrpcap('gre.pcap', gre())
    wrpcap('ipip.pcap', ipip())
    wrpcap('gtpu-ext.pcap', gtp())
    wrpcap('geneve-options.pcap', geneve())
    wrpcap('ipv4-fragments.pcap', frag4())
    wrpcap('ipv6-fragments.pcap', frag6())
    wrpcap('ipv6-extension-headers.pcap', ipv6ext())
