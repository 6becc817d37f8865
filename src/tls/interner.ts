/**
 * One shared, frozen copy per distinct value: the hellos of a large capture repeat the same few
 * cipher suite lists, version lists, ALPN lists and host names thousands of times. Past `max`
 * values the table starts over, so a capture full of distinct values costs no more than one
 * without sharing. Used as `find(key) ?? keep(key, value)`, so that the value is made only when
 * it is new (and no function is made per call to make it). A null key (see rawKey) keeps
 * nothing: the value is only frozen.
 */
export class Interner<T, K = string> {
  private readonly values = new Map<K, T>();

  constructor(private readonly max: number) {}

  find(key: K | null): T | undefined {
    return key === null ? undefined : this.values.get(key);
  }

  keep(key: K | null, value: T): T {
    const frozen = Object.freeze(value);
    if (key === null) return frozen;
    if (this.values.size >= this.max) this.values.clear();
    this.values.set(key, frozen);
    return frozen;
  }
}
