// A corpus table copied into memory (the corpus is read in place, never written), and rows in a
// canonical text form for comparing row sets across versions and writes.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { MemoryStore } from '../../src/storage/memory-store.js'

export function copyToMemory(dir: string): MemoryStore {
  const store = new MemoryStore()
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else void store.put(relative(dir, p).split('\\').join('/'), readFileSync(p))
    }
  }
  walk(dir)
  return store
}

/** Each row as JSON text (bigint, bytes, maps and NaN made comparable), sorted. */
export function canonRows(rows: Record<string, unknown>[]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v) => {
    if (typeof v === 'bigint') return `${v}n`
    if (v instanceof Uint8Array) return Array.from(v)
    if (v instanceof Map) return [...v.entries()]
    if (typeof v === 'number' && Number.isNaN(v)) return 'NaN'
    return v
  })).sort()
}
