/**
 * The one JSON form that is signed: object keys sorted at every level (by
 * UTF-16 code units, as Array.prototype.sort does), no whitespace, and only
 * safe integers (a larger one is refused rather than rounded).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError('only safe integers are signed');
  return JSON.stringify(value);
}
