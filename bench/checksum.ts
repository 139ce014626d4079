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

/**
 * The model of a table: id → row hash, with the row count and hash sum kept as rows change (exact:
 * integers below 2^53). `standard` starts from the generator's rows in `parts` appends. Ids are the
 * generator's, dense from 0, so the hashes live in a Float64Array by id (NaN: no row): the model sits
 * in the measuring process, and as a Map of a million bigints it made every major GC there mark
 * millions of objects, pauses billed to whichever timed sample they fell in.
 */
export class TableModel {
  private constructor(private hashes: Float64Array, private rows: number, private sum: number) {}

  static standard(rows: number, parts = 4): TableModel {
    const hashes = new Float64Array(rows).fill(NaN)
    let sum = 0
    const per = rows / parts
    for (let p = 0; p < parts; p++) {
      const c = benchColumns(per, 42, p * per)
      for (let i = 0; i < per; i++) {
        const h = rowHash(c.id[i], c.qty[i], c.price[i], c.category[i])
        hashes[Number(c.id[i])] = h
        sum += h
      }
    }
    return new TableModel(hashes, rows, sum)
  }

  clone(): TableModel {
    return new TableModel(this.hashes.slice(), this.rows, this.sum)
  }

  /** Apply a CDC batch (op I/U/D, key id; no op: upsert) as MERGE does. */
  apply(batch: ReadonlyArray<Record<string, unknown>>): void {
    for (const r of batch) {
      const id = Number(r.id as bigint)
      if (!Number.isSafeInteger(id) || id < 0) throw new Error(`model: id ${r.id} is not one the generator makes`)
      if (id >= this.hashes.length) {
        const grown = new Float64Array(Math.max(id + 1, this.hashes.length * 2)).fill(NaN)
        grown.set(this.hashes)
        this.hashes = grown
      }
      const old = this.hashes[id]
      if (!Number.isNaN(old)) { this.sum -= old; this.rows-- }
      if (r.op === 'D') {
        this.hashes[id] = NaN
      } else {
        const h = rowHash(r.id as bigint, r.qty as number, r.price as number, r.category as string)
        this.hashes[id] = h
        this.sum += h
        this.rows++
      }
    }
  }

  checksum(): Checksum {
    return { rows: this.rows, sum: this.sum }
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
