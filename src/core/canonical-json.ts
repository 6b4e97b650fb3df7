/** One JSON text per value, for content hashes (config hashes, scenario hashes). */

/** JSON with object keys sorted at every level (NaN/±Infinity as null): equal values, equal text. */
export function canonicalJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return v;
  });
}
