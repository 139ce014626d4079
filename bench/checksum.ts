// Answers checked by value: an order-independent checksum of a table's rows over (id, qty, price,
// category), the same function for every contender, against the expected value a model computes from
// the generator (base table + the CDC batches applied in order). A count or `bytes > 0` proves little.
import { DeltaTable } from '../src/table/delta-table.js'
import { benchColumns } from './data.js'

/** 32-bit mix of one row (murmur3-style finaliser steps; exact for the generator's 2-decimal prices). */
export function rowHash(id: bigint, qty: number | null, price: number | null, category: string | null): number {
  let h = Math.imul(Number(id) ^ 0x9e3779b9, 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13) ^ (qty ?? -1), 0xc2b2ae35)
  h = Math.imul(h ^ (h >>> 16) ^ (price === null ? -7 : Math.round(price * 100)), 0x27d4eb2f)
  for (const c of category ?? '\u0000') h = Math.imul(h ^ c.charCodeAt(0), 16_777_619)
  h ^= h >>> 15
  return h >>> 0
}

/** Row count and the sum of row hashes (exact: < 2^53 for up to 2^21 rows). */
export interface Checksum { rows: number; sum: number }

export const sameChecksum = (a: Checksum, b: Checksum) => a.rows === b.rows && a.sum === b.sum
export const showChecksum = (c: Checksum) => `${c.rows} rows, hash sum ${c.sum}`

/** Checksum of parallel columns (any array-likes; ids as bigint or number). */
export function checksumColumns(n: number, id: ArrayLike<bigint | number>, qty: ArrayLike<number | null>, price: ArrayLike<number | null>, category: ArrayLike<string | null>): Checksum {
  let sum = 0
  for (let i = 0; i < n; i++) sum += rowHash(BigInt(id[i]), qty[i], price[i], category[i])
  return { rows: n, sum }
}

/** Adds checksums of several parts (batches, files). */
export function addChecksums(parts: Checksum[]): Checksum {
  return parts.reduce((a, b) => ({ rows: a.rows + b.rows, sum: a.sum + b.sum }), { rows: 0, sum: 0 })
}

/** Throws unless `got` equals `want`, naming who answered. */
export function expectChecksum(who: string, got: Checksum, want: Checksum): void {
  if (!sameChecksum(got, want)) throw new Error(`${who}: ${showChecksum(got)}, expected ${showChecksum(want)}`)
}

/** The model of a table: id → row hash; `standard` starts from the generator's rows in `parts` appends. */
export class TableModel {
  private constructor(private readonly hashes: Map<bigint, number>) {}

  static standard(rows: number, parts = 4): TableModel {
    const hashes = new Map<bigint, number>()
    const per = rows / parts
    for (let p = 0; p < parts; p++) {
      const c = benchColumns(per, 42, p * per)
      for (let i = 0; i < per; i++) hashes.set(c.id[i], rowHash(c.id[i], c.qty[i], c.price[i], c.category[i]))
    }
    return new TableModel(hashes)
  }

  clone(): TableModel {
    return new TableModel(new Map(this.hashes))
  }

  /** Apply a CDC batch (op I/U/D, key id; no op: upsert) as MERGE does. */
  apply(batch: ReadonlyArray<Record<string, unknown>>): void {
    for (const r of batch) {
      const id = r.id as bigint
      if (r.op === 'D') this.hashes.delete(id)
      else this.hashes.set(id, rowHash(id, r.qty as number, r.price as number, r.category as string))
    }
  }

  checksum(): Checksum {
    let sum = 0
    for (const h of this.hashes.values()) sum += h
    return { rows: this.hashes.size, sum }
  }
}

/** Arrow-like batches (lagomago's apache-arrow or a peer's) → checksum of id, qty, price, category. */
export function checksumArrow(batches: Iterable<{ numRows: number; getChild(name: string): { get(i: number): unknown } | null }>): Checksum {
  const parts: Checksum[] = []
  for (const b of batches) {
    const n = b.numRows
    const [id, qty, price, cat] = ['id', 'qty', 'price', 'category'].map((name) => {
      const v = b.getChild(name)
      if (!v) throw new Error(`no column ${name} in the answer`)
      return Array.from({ length: n }, (_, i) => v.get(i) ?? null)
    })
    parts.push(checksumColumns(n, id as bigint[], qty as number[], price as number[], cat as string[]))
  }
  return addChecksums(parts)
}

/**
 * Checksum of a lagomago table's latest version, read by a fresh handle one batch at a time (the
 * check runs in the measuring process between samples: a whole-table toArrow left ~100 MB of
 * garbage for V8 to collect inside the next samples).
 */
export async function lagomagoChecksum(dir: string): Promise<Checksum> {
  const t = await DeltaTable.open(dir)
  const parts: Checksum[] = []
  for await (const b of t.scan({ columns: ['id', 'qty', 'price', 'category'] })) parts.push(checksumArrow([b]))
  return addChecksums(parts)
}

/** Checksum of a DuckDB table (or `read_parquet(…)`) through a connection (@duckdb/node-api). */
export async function duckdbChecksum(conn: { runAndReadAll(sql: string): Promise<{ getColumnsJS(): unknown[][] }> }, from = 't'): Promise<Checksum> {
  const r = await conn.runAndReadAll(`SELECT id, qty, price, category FROM ${from}`)
  const [id, qty, price, cat] = r.getColumnsJS() as [bigint[], number[], number[], string[]]
  return checksumColumns(id.length, id, qty, price, cat)
}

/** Checksum of a LanceDB table (its own apache-arrow's batches). */
export async function lanceChecksum(table: { query(): { select(c: string[]): { toArrow(): Promise<{ batches: Parameters<typeof checksumArrow>[0] }> } } }): Promise<Checksum> {
  return checksumArrow((await table.query().select(['id', 'qty', 'price', 'category']).toArrow()).batches)
}
