/** Display names of values, as Wireshark shows them. */

const VERSION_NAMES: Record<number, string> = {
  0x0002: 'SSL 2.0',
  0x0300: 'SSL 3.0',
  0x0301: 'TLS 1.0',
  0x0302: 'TLS 1.1',
  0x0303: 'TLS 1.2',
  0x0304: 'TLS 1.3',
};

export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

export function versionName(v: number): string {
  if (VERSION_NAMES[v] !== undefined) return VERSION_NAMES[v];
  if (v >> 8 === 0x7f) return `TLS 1.3 draft ${v & 0xff}`;
  return '0x' + v.toString(16).padStart(4, '0');
}

const LINK_TYPE_NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  9: 'PPP',
  12: 'RAW',
  50: 'PPP_HDLC',
  101: 'RAW',
  108: 'LOOP',
  113: 'LINUX_SLL',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

export function linkTypeName(t: number): string {
  return LINK_TYPE_NAMES[t] ?? `LINKTYPE_${t}`;
}

const ALERT_NAMES: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export function alertName(description: number): string {
  return ALERT_NAMES[description] ?? `alert ${description}`;
}

const EXTENSION_NAMES: Record<number, string> = {
  0: 'server_name',
  1: 'max_fragment_length',
  5: 'status_request',
  10: 'supported_groups',
  11: 'ec_point_formats',
  13: 'signature_algorithms',
  14: 'use_srtp',
  15: 'heartbeat',
  16: 'application_layer_protocol_negotiation',
  17: 'status_request_v2',
  18: 'signed_certificate_timestamp',
  21: 'padding',
  22: 'encrypt_then_mac',
  23: 'extended_master_secret',
  27: 'compress_certificate',
  28: 'record_size_limit',
  34: 'delegated_credentials',
  35: 'session_ticket',
  41: 'pre_shared_key',
  42: 'early_data',
  43: 'supported_versions',
  44: 'cookie',
  45: 'psk_key_exchange_modes',
  47: 'certificate_authorities',
  49: 'post_handshake_auth',
  50: 'signature_algorithms_cert',
  51: 'key_share',
  57: 'quic_transport_parameters',
  17513: 'application_settings',
  17613: 'application_settings',
  65037: 'encrypted_client_hello',
  65281: 'renegotiation_info',
};

/** A TLS extension type's name, "GREASE" for the reserved GREASE values. */
export function extensionName(type: number): string {
  if (isGrease(type)) return 'GREASE';
  return EXTENSION_NAMES[type] ?? `unknown`;
}
