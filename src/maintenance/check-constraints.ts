// CHECK constraints as commits (PROTOCOL.md "CHECK Constraints"): a new constraint is validated
// against every existing row (deletion vectors applied) before the commit, which also conflicts with
// any concurrent data change; names are stored lower-cased as Spark does.
import { ConstraintViolationError, ExpressionError, InvalidArgumentError } from '../errors.js'
import { bindPredicate, referencedColumns } from '../expr/bind.js'
import { evalPredicateRows } from '../expr/eval.js'
import type { Snapshot } from '../log/snapshot.js'
import { scanValues } from '../scan/scan.js'
import type { DeltaValue } from '../schema/values.js'
import { keyHead } from '../schema/column-path.js'
import { valuesBatch } from '../write/constraints.js'
import { commitChange, CONSTRAINT_PREFIX, type AlterOptions, type AlterResult } from './metadata-commit.js'

function constraintKey(name: string, table: string): string {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new InvalidArgumentError(`constraint name must be an identifier (letters, digits, _), got ${JSON.stringify(name)} (table ${table})`, { table })
  }
  // Spark stores constraint names lower-cased; lookups are case-insensitive.
  return CONSTRAINT_PREFIX + name.toLowerCase()
}

/** Count the rows that do not satisfy `sql` (false or null); the first one for the message. */
async function findViolations(snapshot: Snapshot, sql: string, name: string): Promise<{ count: number; first?: Record<string, unknown> }> {
  const table = snapshot.tableUrl
  const bound = bindPredicate(sql, snapshot.schema, { what: `CHECK constraint ${name}`, table })
  const top = [...new Set(referencedColumns(bound).map(keyHead))]
  const columns = top.length ? top : [snapshot.schema.fields.find((f) => f.type !== 'void')?.name ?? snapshot.schema.fields[0].name]
  let count = 0
  let first: Record<string, unknown> | undefined
  for await (const b of scanValues(snapshot, { columns })) {
    const cols = new Map<string, DeltaValue[]>(b.fields.map((f, j) => [f.name, b.columns[j]]))
    const ok = evalPredicateRows(bound, valuesBatch(cols, b.length))
    for (let i = 0; i < b.length; i++) {
      if (ok[i] === 1) continue
      count++
      if (!first) first = Object.fromEntries(b.fields.map((f, j) => [f.name, b.columns[j][i]]))
    }
  }
  return { count, first }
}

function showRow(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? `${v}` : v instanceof Uint8Array ? `<${v.length} bytes>` : v))
}

/** Add CHECK constraint `name`; every existing row must satisfy it (PROTOCOL.md "CHECK Constraints"). */
export async function addConstraint(snapshot: Snapshot, name: string, expression: string, opts: AlterOptions = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  const key = constraintKey(name, table)
  if (key in snapshot.properties) {
    throw new InvalidArgumentError(`table ${table} already has a CHECK constraint ${name} (${snapshot.properties[key]}); drop it first`, { table })
  }
  if (typeof expression !== 'string' || expression.trim() === '') throw new ExpressionError(`CHECK constraint ${name} needs a SQL expression (table ${table})`, { table })
  const { count, first } = await findViolations(snapshot, expression, name)
  if (count > 0) {
    throw new ConstraintViolationError(
      `cannot add CHECK constraint ${name} (${expression}) to table ${table}: ${count} existing row${count === 1 ? '' : 's'} violate it, e.g. ${showRow(first!)}`,
      { table, version: snapshot.version },
    )
  }
  return commitChange(snapshot, {
    operation: 'ADD CONSTRAINT', params: { name, expr: expression },
    schema: snapshot.schema, configuration: { ...snapshot.properties, [key]: expression }, readsAllRows: true,
  }, opts)
}

/** Drop CHECK constraint `name`; a missing one is an error unless `ifExists`. */
export async function dropConstraint(snapshot: Snapshot, name: string, opts: AlterOptions & { ifExists?: boolean } = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  const key = constraintKey(name, table)
  const found = Object.keys(snapshot.properties).find((k) => k.toLowerCase() === key)
  if (found === undefined) {
    if (opts.ifExists) return { version: snapshot.version, metrics: {} }
    throw new InvalidArgumentError(`table ${table} has no CHECK constraint ${name} (pass ifExists: true to ignore)`, { table })
  }
  const configuration = { ...snapshot.properties }
  const expr = configuration[found]
  delete configuration[found]
  return commitChange(snapshot, { operation: 'DROP CONSTRAINT', params: { name, expr }, schema: snapshot.schema, configuration }, opts)
}
