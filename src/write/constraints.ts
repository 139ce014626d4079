// Row rules a write must enforce before any file is written (PROTOCOL.md "Column Invariants",
// "CHECK Constraints", "Generated Columns"): invariants and CHECK constraints must be TRUE for every
// new row (NULL fails), generated columns are computed when absent and verified when given.
import { ConstraintViolationError, ExpressionError } from '../errors.js'
import { bindExpr, bindPredicate, mkCast } from '../expr/bind.js'
import { evalExpression, evalPredicateRows, type ColumnBatch } from '../expr/eval.js'
import { isStruct, type StructField, type StructType } from '../schema/types.js'
import { valuesEqual, type DeltaValue } from '../schema/values.js'
import type { ColumnValues } from './parquet-write.js'
import { keyPath } from '../schema/column-path.js'

/** A batch the evaluator reads: a bound key (column-path.ts) walks structs by logical name. */
export function valuesBatch(columns: Map<string, ColumnValues>, numRows: number): ColumnBatch {
  const cache = new Map<string, ArrayLike<DeltaValue>>()
  return {
    length: numRows,
    column(key: string): ArrayLike<DeltaValue> {
      const hit = cache.get(key)
      if (hit) return hit
      const path = keyPath(key)
      let values: ArrayLike<DeltaValue> = columns.get(path[0]!) ?? new Array<DeltaValue>(numRows).fill(null)
      for (const name of path.slice(1)) {
        const parent = values
        const out = new Array<DeltaValue>(numRows)
        for (let i = 0; i < numRows; i++) {
          const p = parent[i] as Record<string, DeltaValue> | null
          out[i] = p === null || p === undefined ? null : (p[name] ?? null)
        }
        values = out
      }
      cache.set(key, values)
      return values
    },
  }
}

function firstFailure(ok: Uint8Array): number {
  for (let i = 0; i < ok.length; i++) if (ok[i] !== 1) return i
  return -1
}

/** `delta.invariants` of every (nested) field: `{"expression":{"expression":"x > 3"}}`. */
function invariants(schema: StructType): Array<{ column: string; sql: string }> {
  const out: Array<{ column: string; sql: string }> = []
  const walk = (fields: StructField[], prefix: string) => {
    for (const f of fields) {
      const path = prefix ? `${prefix}.${f.name}` : f.name
      const raw = f.metadata['delta.invariants']
      if (typeof raw === 'string') {
        let sql: unknown
        try { sql = JSON.parse(raw)?.expression?.expression } catch { sql = undefined }
        if (typeof sql !== 'string') throw new ExpressionError(`invariant of column ${path} is not {"expression":{"expression":"…"}}: ${raw}`, { column: path })
        out.push({ column: path, sql })
      }
      if (isStruct(f.type)) walk(f.type.fields, path)
    }
  }
  walk(schema.fields, '')
  return out
}

/** Throw ConstraintViolationError naming the rule and the first row that breaks it. */
export function checkRowRules(schema: StructType, configuration: Record<string, string>, batch: ColumnBatch, table?: string): void {
  if (batch.length === 0) return
  for (const { column, sql } of invariants(schema)) {
    const ok = evalPredicateRows(bindPredicate(sql, schema, { what: `invariant of ${column}`, table }), batch)
    const row = firstFailure(ok)
    if (row >= 0) throw new ConstraintViolationError(`invariant ${sql} on column ${column} is not true at row ${row}`, { column, table })
  }
  for (const [key, sql] of Object.entries(configuration)) {
    if (!key.startsWith('delta.constraints.')) continue
    const name = key.slice('delta.constraints.'.length)
    const ok = evalPredicateRows(bindPredicate(sql, schema, { what: `CHECK constraint ${name}`, table }), batch)
    const row = firstFailure(ok)
    if (row >= 0) throw new ConstraintViolationError(`CHECK constraint ${name} (${sql}) is not true at row ${row}`, { table })
  }
}

/** Top-level generated columns: `delta.generationExpression` in the field's metadata. */
export function generatedColumns(schema: StructType): Array<{ field: StructField; sql: string }> {
  return schema.fields.flatMap((f) => {
    const sql = f.metadata['delta.generationExpression']
    return typeof sql === 'string' ? [{ field: f, sql }] : []
  })
}

/**
 * Compute generated columns the input lacks (or leaves null) and verify the values it gives:
 * `(value <=> expression)` must be TRUE (PROTOCOL.md "Generated Columns"). Mutates `columns`.
 */
export function applyGeneratedColumns(schema: StructType, columns: Map<string, ColumnValues>, numRows: number, table?: string): void {
  for (const { field, sql } of generatedColumns(schema)) {
    const bound = mkCast(bindExpr(sql, schema, { what: `generation expression of ${field.name}`, table }), field.type)
    const computed = evalExpression(bound, valuesBatch(columns, numRows))
    const given = columns.get(field.name)
    if (!given) {
      if (!field.nullable) {
        const row = computed.findIndex((v) => v === null)
        if (row >= 0) throw new ConstraintViolationError(`generated NOT NULL column ${field.name} is null at row ${row}`, { column: field.name, table })
      }
      columns.set(field.name, computed)
      continue
    }
    // A null (or missing) value in a generated column means "compute it"; a given value must match.
    const filled = Array.from(given)
    for (let i = 0; i < numRows; i++) {
      const v = given[i] ?? null
      if (v === null) { filled[i] = computed[i]; continue }
      if (!valuesEqual(v, computed[i], field.type)) {
        throw new ConstraintViolationError(`column ${field.name} at row ${i} does not equal its generation expression ${sql}`, { column: field.name, table })
      }
    }
    columns.set(field.name, filled)
  }
}
