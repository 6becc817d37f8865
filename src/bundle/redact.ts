import { isMap, isPair, isScalar, isSeq, type Node, parseDocument, type Scalar, visit } from 'yaml';

export const REDACTED = '<redacted>';

/** Keys whose values are secret material (passwords, tokens, keys, certificates), matched on the end of the key name. */
const SECRET_KEY = /(password|passwd|passphrase|secret|token|credentials?|privatekey|private_key|apikey|api_key|encryptionkey|encryption_key|key|cert|certificate|crt)s?$/i;
/** Keys that name a Kubernetes object (a secret's name is no secret). */
const REFERENCE_KEY = /(secret|secretname|secretref|name)$/i;
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const FILE_PATH = /[/\\]|\.(pem|crt|cer|key|json|p12|pfx|jks)$/i;

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
/** A long run of base64 / base64url: a key, a token or a certificate body. */
const LONG_BASE64 = /[A-Za-z0-9+/_-]{40,}={0,2}|[A-Za-z0-9+/_-]{20,}={1,2}/g;

/** True for a string that is secret material whatever its key: PEM, a service-account key, a long base64 blob. */
export function looksSecret(value: string): boolean {
  if (value.includes('-----BEGIN ') || value.includes('"private_key"')) return true;
  const t = value.trim();
  return /^[A-Za-z0-9+/_-]{40,}={0,2}$/.test(t) || /^[A-Za-z0-9+/_-]{20,}={1,2}$/.test(t);
}

function redactComment(text: string | null | undefined): { text: string | null | undefined; n: number } {
  if (typeof text !== 'string' || text === '') return { text, n: 0 };
  let n = 0;
  const out = text
    .replace(PEM_BLOCK, () => {
      n++;
      return REDACTED;
    })
    .replace(LONG_BASE64, (m) => {
      // Paths and ordinary words are not this long without a separator; hex digests are kept.
      if (/^[0-9a-f]+$/i.test(m)) return m;
      n++;
      return REDACTED;
    });
  return { text: out, n };
}

export interface RedactResult {
  text: string;
  /** Values and comment passages replaced. */
  redacted: number;
}

export class RedactError extends Error {}

/**
 * A copy of a YAML file (overrides.yaml) with secret material replaced by `<redacted>`: the values
 * of keys named like passwords, tokens, keys and certificates (file paths and the names of
 * Kubernetes secrets are kept), any string that is PEM, a service-account key or a long base64
 * blob, and such passages in comments. Structure, other values and comments stay as they were.
 */
export function redactYaml(source: string): RedactResult {
  const doc = parseDocument(source, { keepSourceTokens: false, uniqueKeys: false });
  if (doc.errors.length > 0) throw new RedactError(doc.errors[0].message.split('\n')[0]);
  let redacted = 0;
  const blank = (s: Scalar): void => {
    if (s.value === null || s.value === undefined || s.value === '' || s.value === REDACTED) return;
    s.value = REDACTED;
    s.type = 'PLAIN';
    redacted++;
  };
  const blankAll = (n: unknown): void => {
    if (isScalar(n)) blank(n);
    else if (isMap(n) || isSeq(n)) {
      visit(n as Node, {
        Scalar(key, s) {
          if (key !== 'key') blank(s);
        },
      });
    }
  };
  const comments = (n: { commentBefore?: string | null; comment?: string | null }): void => {
    const before = redactComment(n.commentBefore);
    const after = redactComment(n.comment);
    if (before.n > 0) n.commentBefore = before.text;
    if (after.n > 0) n.comment = after.text;
    redacted += before.n + after.n;
  };

  comments(doc);
  visit(doc, {
    Pair(_, pair) {
      if (!isPair(pair)) return;
      const key = isScalar(pair.key) ? String(pair.key.value) : null;
      if (isScalar(pair.key)) comments(pair.key);
      if (key === null || !SECRET_KEY.test(key)) return;
      const v = pair.value;
      if (isScalar(v) && typeof v.value === 'string') {
        const keep = (FILE_PATH.test(v.value) && !looksSecret(v.value)) || (REFERENCE_KEY.test(key) && K8S_NAME.test(v.value));
        if (!keep) blank(v);
        return visit.SKIP;
      }
      if (isScalar(v) && (typeof v.value === 'number' || typeof v.value === 'boolean')) {
        // A boolean switch (enableSecret: true) or a number is no secret, except a numeric password.
        if (/password|passwd|passphrase|token|key$/i.test(key) && typeof v.value === 'number') blank(v);
        return visit.SKIP;
      }
      if (isMap(v) || isSeq(v)) {
        // password: { value: ... } or a list of keys: every value under it.
        if (!REFERENCE_KEY.test(key) || /password|token|privatekey|private_key/i.test(key)) blankAll(v);
      }
      return undefined;
    },
    Scalar(key, s) {
      comments(s);
      if (key !== 'key' && typeof s.value === 'string' && looksSecret(s.value)) blank(s);
    },
    Map(_, m) {
      comments(m);
    },
    Seq(_, q) {
      comments(q);
    },
  });
  const header = ` Copied by sni-pcap bundle: ${redacted} ${redacted === 1 ? 'value' : 'values'} redacted (passwords, keys, certificates, secrets).`;
  doc.commentBefore = doc.commentBefore ? `${header}\n${doc.commentBefore}` : header;
  return { text: doc.toString({ lineWidth: 0 }), redacted };
}
