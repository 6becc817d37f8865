import { describe, expect, it } from 'vitest';
import { stripKubectlPrefix } from './prefix.js';

describe('stripKubectlPrefix', () => {
  it('strips --prefix and --timestamps, in either order', () => {
    const json = '{"a":1}';
    expect(stripKubectlPrefix(`[pod/apigee-ingressgateway-abc/istio-proxy] 2026-11-27T14:46:03.265718293Z ${json}`)).toEqual({
      rest: json,
      source: 'pod/apigee-ingressgateway-abc/istio-proxy',
      timestamp: '2026-11-27T14:46:03.265718293Z',
    });
    expect(stripKubectlPrefix(`2026-11-27T14:46:03Z [pod/x/c] ${json}`)).toEqual({ rest: json, source: 'pod/x/c', timestamp: '2026-11-27T14:46:03Z' });
    expect(stripKubectlPrefix(`2026-11-27T14:46:03.1+02:00 ${json}`).timestamp).toBe('2026-11-27T14:46:03.1+02:00');
  });

  it('leaves Envoy log lines and plain JSON alone', () => {
    const envoy = '[2026-11-27 14:46:01.000][1][info][main] starting';
    expect(stripKubectlPrefix(envoy)).toEqual({ rest: envoy, source: null, timestamp: null });
    expect(stripKubectlPrefix('{"x":1}')).toEqual({ rest: '{"x":1}', source: null, timestamp: null });
    expect(stripKubectlPrefix('2026-11-27 not a timestamp').timestamp).toBeNull();
  });
});
