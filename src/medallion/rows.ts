// Plain rows as the medallion helpers pass them around (what `toRows`, `changes` and the sources hand
// out), and a stable text key of some of their columns for grouping, joining and deduplicating.

/** A plain row of the medallion helpers: column → value. */
export type Row = Record<string, unknown>

/**
 * A stable text key of a row's key columns (bigint, number and Date compare by value).
 * @example
 * const byId = new Map(rows.map((r) => [keyOf(r, ['id']), r]))
 */
export function keyOf(row: Row, keys: readonly string[]): string {
  return JSON.stringify(keys.map((k) => {
    const v = row[k]
    if (typeof v === 'bigint') return `n:${v}`
    if (v instanceof Date) return `d:${v.getTime()}`
    if (typeof v === 'number') return `n:${v}`
    return v ?? null
  }))
}
