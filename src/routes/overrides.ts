import { parseDocument } from 'yaml';
import { yamlErrors } from './load.js';

/** One entry of `virtualhosts:` in the hybrid overrides file (an environment group's ingress settings). */
export interface Virtualhost {
  name: string;
  additionalGateways: string[];
  /** The Kubernetes secret with the certificate and key, when given by name. */
  sslSecret: string | null;
}

export interface OverridesFile {
  file: string;
  /** Top-level `namespace` (default apigee). */
  namespace: string | null;
  virtualhosts: Virtualhost[];
  errors: string[];
}

export function parseOverrides(text: string, file: string): OverridesFile {
  const out: OverridesFile = { file, namespace: null, virtualhosts: [], errors: [] };
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    out.errors.push(yamlErrors(doc.errors)[0]);
    return out;
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    out.errors.push((err as Error).message);
    return out;
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    out.errors.push('not a YAML mapping');
    return out;
  }
  const o = root as Record<string, unknown>;
  if (typeof o.namespace === 'string') out.namespace = o.namespace;
  const vhs = Array.isArray(o.virtualhosts) ? o.virtualhosts : [];
  for (const v of vhs) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    const vh = v as Record<string, unknown>;
    const gateways = Array.isArray(vh.additionalGateways) ? vh.additionalGateways.filter((g): g is string => typeof g === 'string') : typeof vh.additionalGateways === 'string' ? [vh.additionalGateways] : [];
    out.virtualhosts.push({
      name: typeof vh.name === 'string' ? vh.name : '',
      additionalGateways: gateways,
      sslSecret: typeof vh.sslSecret === 'string' ? vh.sslSecret : null,
    });
  }
  return out;
}
