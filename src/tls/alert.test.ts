import { describe, expect, it } from 'vitest';
import { decodeAlert, decodeAlertRecord } from './alert.js';

describe('alerts', () => {
  it('decodes a plaintext alert', () => {
    expect(decodeAlert(Buffer.from([2, 112]), 0, 2)).toEqual({ level: 2, description: 112 });
    expect(decodeAlertRecord(Buffer.from([1, 0]), 0, 2)).toEqual([{ level: 1, description: 0 }]);
    expect(decodeAlertRecord(Buffer.from([9, 2, 40, 1, 0, 9]), 1, 5)).toEqual([
      { level: 2, description: 40 },
      { level: 1, description: 0 },
    ]);
  });

  it('does not report what looks encrypted or broken', () => {
    expect(decodeAlert(Buffer.from([3, 0]), 0, 2)).toBeNull();
    expect(decodeAlert(Buffer.from([2]), 0, 1)).toBeNull();
    expect(decodeAlertRecord(Buffer.from([2, 40, 1]), 0, 3)).toBeNull();
    expect(decodeAlertRecord(Buffer.alloc(0), 0, 0)).toBeNull();
    // An encrypted alert as seen in pcpp sll2.pcap (26 bytes of ciphertext).
    const encrypted = Buffer.from('91c1b9659e9ff9c3c493ae82573966caff40dba0f6b6304c5c72', 'hex');
    expect(decodeAlertRecord(encrypted, 0, encrypted.length)).toBeNull();
  });
});
