import { parseAllDocuments } from 'yaml';

/** One port of an ApigeeRoute (spec.ports[]). */
export interface RoutePort {
  number: number | null;
  protocol: string | null;
  /** Null when the port has no tls block. */
  tls: { credentialName: string | null; mode: string | null; minProtocolVersion: string | null } | null;
}

/** The fields of an ApigeeRoute the checks read; `enableNonSniClient` is kept as written (a string "true" is not the boolean). */
export interface ApigeeRoute {
  name: string;
  namespace: string | null;
  hostnames: string[];
  enableNonSniClient: unknown;
  /** status.state, e.g. "running"; null when the object has no status. */
  state: string | null;
  additionalGateways: string[];
  ports: RoutePort[];
  selector: Record<string, string> | null;
}

export interface RoutesFile {
  file: string;
  /** YAML documents in the file (a JSON file is one). */
  documents: number;
  routes: ApigeeRoute[];
  /** Objects of other kinds, by kind. */
  otherKinds: Record<string, number>;
  /** Documents that did not parse, with their position. */
  errors: string[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return [];
  return v.map(str).filter((s): s is string => s !== null);
}

/** The yaml errors of a document, with their line, in one line each. */
export function yamlErrors(errors: readonly { message: string; linePos?: [{ line: number; col: number }, ...unknown[]] }[]): string[] {
  return errors.map((e) => {
    const first = e.message.split('\n')[0];
    return e.linePos !== undefined && !/ at line \d+/.test(first) ? `line ${e.linePos[0].line}: ${first}` : first;
  });
}

function routeOf(o: Obj): ApigeeRoute {
  const metadata = isObj(o.metadata) ? o.metadata : {};
  const spec = isObj(o.spec) ? o.spec : {};
  const status = isObj(o.status) ? o.status : {};
  const ports = Array.isArray(spec.ports) ? spec.ports.filter(isObj) : [];
  const selector = isObj(spec.selector) ? Object.fromEntries(Object.entries(spec.selector).map(([k, v]) => [k, str(v) ?? ''])) : null;
  return {
    name: str(metadata.name) ?? '',
    namespace: str(metadata.namespace),
    hostnames: strings(spec.hostnames),
    enableNonSniClient: spec.enableNonSniClient,
    state: str(status.state),
    additionalGateways: strings(spec.additionalGateways),
    ports: ports.map((p) => {
      const tls = isObj(p.tls) ? p.tls : null;
      const n = typeof p.number === 'number' ? p.number : typeof p.number === 'string' && /^\d+$/.test(p.number) ? Number(p.number) : null;
      return {
        number: n,
        protocol: str(p.protocol),
        tls: tls === null ? null : { credentialName: str(tls.credentialName), mode: str(tls.mode), minProtocolVersion: str(tls.minProtocolVersion) },
      };
    }),
    selector,
  };
}

/**
 * Reads `kubectl get apigeeroutes -o yaml` or `-o json` output: a List with items, one object,
 * or several `---` documents (JSON is YAML too). Objects of other kinds are counted and left.
 */
export function parseRoutes(text: string, file: string): RoutesFile {
  const out: RoutesFile = { file, documents: 0, routes: [], otherKinds: {}, errors: [] };
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [];
  const visit = (v: unknown, depth: number): void => {
    if (Array.isArray(v)) {
      if (depth < 4) for (const x of v) visit(x, depth + 1);
      return;
    }
    if (!isObj(v)) return;
    const kind = str(v.kind);
    if (kind !== null && kind.toLowerCase() === 'apigeeroute') {
      out.routes.push(routeOf(v));
      return;
    }
    if (Array.isArray(v.items) && (kind === null || kind.endsWith('List'))) {
      if (depth < 4) for (const x of v.items) visit(x, depth + 1);
      return;
    }
    const k = kind ?? '(no kind)';
    out.otherKinds[k] = (out.otherKinds[k] ?? 0) + 1;
  };
  for (const [i, doc] of list.entries()) {
    if (doc.contents === null && doc.errors.length === 0) continue;
    out.documents++;
    if (doc.errors.length > 0) {
      out.errors.push(`document ${i + 1}: ${yamlErrors(doc.errors)[0]}`);
      continue;
    }
    try {
      visit(doc.toJS({ maxAliasCount: 1000 }), 0);
    } catch (err) {
      out.errors.push(`document ${i + 1}: ${(err as Error).message}`);
    }
  }
  return out;
}
