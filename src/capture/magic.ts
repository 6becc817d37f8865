/** Starts with the gzip magic (1f 8b): a gzip-compressed capture or log, whatever its name. */
export function isGzip(head: ArrayLike<number>): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}
