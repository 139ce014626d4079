// A plain reference for reading plain-object rows (the straightforward column-by-column algorithm:
// one pass over the rows per column), for property tests of the one-pass reader in src/write/input.ts
// and src/dml/source.ts. Same rules, same errors, no fast paths.
import { ConstraintViolationError, InvalidArgumentError, SchemaMismatchError } from '../../src/errors.js'
import { findField, type StructField, type StructType } from '../../src/schema/types.js'
import { fromRowValue, type DeltaValue } from '../../src/schema/values.js'
import { inferFromValues } from '../../src/write/input.js'

export interface RefBatch { numRows: number; columns: Map<string, DeltaValue[]>; schema: StructType; newFields: StructField[] }

export function refFromObjects(rows: ReadonlyArray<Record<string, unknown>>, schema: StructType, opts: { mergeSchema?: boolean; table?: string } = {}): RefBatch {
  const lookup = (name: string) => schema.fields.find((f) => f.name === name) ?? schema.fields.find((f) => f.name.toLowerCase() === name.toLowerCase())
  const n = rows.length
  const unknown = new Map<string, number>()
  const known = new Map<string, StructField>()
  for (let i = 0; i < n; i++) {
    const row = rows[i]
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new SchemaMismatchError(`row ${i} is not an object`, { table: opts.table })
    for (const k in row) {
      if (known.has(k) || unknown.has(k)) continue
      const f = lookup(k)
      if (f) known.set(k, f)
      else if (row[k] !== undefined) unknown.set(k, i)
    }
  }
  const newFields: StructField[] = []
  for (const [k, row] of unknown) {
    if (!opts.mergeSchema) throw new SchemaMismatchError(`column ${k} (row ${row}) is not in the table schema; pass mergeSchema: true to add it`, { column: k, table: opts.table })
    const t = inferFromValues(rows.map((r) => r[k]).filter((v) => v !== null && v !== undefined), k)
    if (!t) throw new SchemaMismatchError(`cannot infer a type for new column ${k}: it holds only nulls`, { column: k, table: opts.table })
    const f: StructField = { name: k, type: t, nullable: true, metadata: {} }
    newFields.push(f)
    known.set(k, f)
  }
  const merged: StructType = newFields.length ? { type: 'struct', fields: [...schema.fields, ...newFields] } : schema
  const keysOf = new Map<StructField, string[]>()
  for (const [key, f] of known) keysOf.set(f, [...(keysOf.get(f) ?? []), key])
  const columns = new Map<string, DeltaValue[]>()
  for (const [f, keys] of keysOf) {
    const values: DeltaValue[] = []
    for (let i = 0; i < n; i++) {
      const row = rows[i]
      let v = row[keys[0]]
      for (let k = 1; k < keys.length; k++) {
        const w = row[keys[k]]
        if (w === undefined) continue
        if (v !== undefined) throw new SchemaMismatchError(`column ${f.name} is given twice in row ${i} (${keys.filter((x) => row[x] !== undefined).join(', ')})`, { column: f.name, table: opts.table })
        v = w
      }
      const x = fromRowValue(v, f.type, { column: f.name, row: i, table: opts.table })
      // 64-bit columns hold signed 64-bit values only
      if (typeof x === 'bigint' && (f.type === 'timestamp' || f.type === 'timestamp_ntz') && (x < -(2n ** 63n) || x >= 2n ** 63n)) {
        throw new SchemaMismatchError(`cannot write ${typeof v === 'bigint' ? `bigint ${v}n` : typeof v === 'string' ? `string ${JSON.stringify(v)}` : `${typeof v} ${String(v)}`} to column ${f.name} at row ${i} of type ${f.type}: out of range`, { column: f.name, table: opts.table })
      }
      values.push(f.type === 'integer' && x === 0 ? 0 : x) // an integer has no -0
    }
    if (!f.nullable) {
      const i = values.findIndex((v) => v === null)
      if (i >= 0) throw new ConstraintViolationError(`NOT NULL column ${f.name} is null at row ${i}`, { column: f.name, table: opts.table })
    }
    columns.set(f.name, values)
  }
  if (n > 0) {
    for (const f of merged.fields) {
      if (!columns.has(f.name) && !f.nullable) throw new ConstraintViolationError(`NOT NULL column ${f.name} is missing from the data`, { column: f.name, table: opts.table })
    }
  }
  return { numRows: n, columns, schema: merged, newFields }
}

/** The schema a MERGE source of plain objects is read with (target types for shared names). */
export function refSourceSchema(rows: ReadonlyArray<Record<string, unknown>>, target: StructType, table?: string): StructType {
  if (rows.length === 0) return { type: 'struct', fields: target.fields.map((f) => ({ ...f, nullable: true })) }
  const fields: StructField[] = []
  const taken = new Set<string>()
  const keys: string[] = []
  for (const r of rows) {
    if (r === null || typeof r !== 'object') continue
    for (const k in r) if (!keys.includes(k) && Object.hasOwn(r, k)) keys.push(k)
  }
  for (const k of keys) {
    const t = findField(target, k)
    const f: StructField = t ? { ...t, nullable: true } : { name: k, type: inferFromValues(rows.map((r) => r?.[k]).filter((v) => v !== null && v !== undefined), k) ?? 'string', nullable: true, metadata: {} }
    if (taken.has(f.name.toLowerCase())) throw new InvalidArgumentError(`source column ${k} is given twice (names are case-insensitive)`, { column: k, table })
    taken.add(f.name.toLowerCase())
    fields.push(f)
  }
  return { type: 'struct', fields }
}
