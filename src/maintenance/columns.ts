// Schema changes as commits (PROTOCOL.md "Column Mapping"): add columns (top level or inside a
// struct), rename and drop columns — only under column mapping, which keeps physical names so no
// data file is rewritten; columns that CHECK constraints or generated columns use are protected.
import { InvalidArgumentError, SchemaMismatchError, UnsupportedFeatureError } from '../errors.js'
import { bindExpr, bindPredicate, referencedColumns } from '../expr/bind.js'
import type { Snapshot } from '../log/snapshot.js'
import { checkUserType, isStruct, typeToString, type DataType, type StructField, type StructType } from '../schema/types.js'
import { assignColumnMapping, maxColumnIdOf } from '../write/features.js'
import { keyPath, pathKey, splitPathList } from '../schema/column-path.js'
import { commitChange, CONSTRAINT_PREFIX, MAPPING_MODE, MAX_COLUMN_ID, type AlterOptions, type AlterResult } from './metadata-commit.js'
import { optionKeys } from '../options.js'

/** A column `addColumns` adds: name, type, and where (top level or inside a struct column). */
export interface NewColumn {
  name: string
  type: DataType
  nullable?: boolean
  metadata?: Record<string, unknown>
  /** Dotted path of the struct column to add the field to (default: top level). */
  parent?: string
}
export const NEW_COLUMN_KEYS = optionKeys<NewColumn>()(['name', 'type', 'nullable', 'metadata', 'parent'])

function checkNewName(siblings: StructField[], name: string, table: string): void {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`column names must be non-empty strings (table ${table})`, { table })
  if (/[\n\r]/.test(name)) throw new InvalidArgumentError(`column name ${JSON.stringify(name)} holds a line break (table ${table})`, { table })
  if (siblings.some((f) => f.name.toLowerCase() === name.toLowerCase())) {
    throw new SchemaMismatchError(`column ${name} already exists in table ${table} (names are case-insensitive)`, { table, column: name })
  }
}

/**
 * Add nullable columns at the end of the schema, or of the struct column named by `parent` (a dotted
 * path); one commit, existing rows read them as null.
 */
export async function addColumns(snapshot: Snapshot, columns: NewColumn[], opts: AlterOptions = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  if (!Array.isArray(columns) || columns.length === 0) throw new InvalidArgumentError(`addColumns needs at least one column (table ${table})`, { table })
  let schema: StructType = snapshot.schema
  const paths: string[] = []
  for (const c of columns) {
    if (c.nullable === false) {
      throw new SchemaMismatchError(`cannot add NOT NULL column ${c.name} to table ${table}: existing rows would hold null`, { table, column: c.name })
    }
    const metadata = { ...(c.metadata ?? {}) }
    if ('delta.generationExpression' in metadata) throw new UnsupportedFeatureError(`cannot add generated column ${c.name} to an existing table ${table}`, { table, column: c.name })
    const field: StructField = { name: c.name, type: checkUserType(c.type, c.parent ? `${c.parent}.${c.name}` : c.name, table), nullable: true, metadata }
    if (c.parent === undefined || c.parent === '') {
      checkNewName(schema.fields, c.name, table)
      schema = { type: 'struct', fields: [...schema.fields, field] }
      paths.push(pathKey([c.name]))
      continue
    }
    const { chain, names } = locate(schema, c.parent, table)
    const last = chain[chain.length - 1]
    const parentField = last.fields[last.index]
    if (!isStruct(parentField.type)) throw new SchemaMismatchError(`column ${pathKey(names)} of table ${table} is not a struct: cannot add ${c.name} to it`, { table, column: c.parent })
    checkNewName(parentField.type.fields, c.name, table)
    schema = rebuild(chain, { ...parentField, type: { type: 'struct', fields: [...parentField.type.fields, field] } })
    paths.push(pathKey([...names, c.name]))
  }
  const configuration = { ...snapshot.properties }
  if (snapshot.columnMappingMode !== 'none') {
    const mapped = assignColumnMapping(schema, Number(configuration[MAX_COLUMN_ID] ?? maxColumnIdOf(snapshot.schema)))
    schema = mapped.schema
    configuration[MAX_COLUMN_ID] = String(mapped.maxColumnId)
  }
  return commitChange(snapshot, {
    operation: 'ADD COLUMNS',
    params: { columns: columns.map((c, i) => ({ column: { name: paths[i], type: typeToString(c.type), nullable: true, metadata: c.metadata ?? {} } })) },
    schema, configuration,
  }, opts)
}

type Located = { chain: { fields: StructField[]; index: number }[]; names: string[] }

/**
 * Resolve a path to the parent struct's fields and the field index (case-insensitive): a dotted path
 * whose names may be backticked (`` s.`a.b` ``), as SQL reads it; failing that, a top-level name as
 * written (`id.num`).
 */
function locate(schema: StructType, path: string, table: string): Located {
  let parsed: string[] | undefined
  try { parsed = keyPath(path) } catch { parsed = undefined }
  const asPath = parsed && walkPath(schema, parsed)
  if (asPath && !('notStruct' in asPath)) return asPath
  const asName = walkPath(schema, [path])
  if (asName && !('notStruct' in asName)) return asName
  const found = asPath ?? asName
  if (found) throw new SchemaMismatchError(`column ${pathKey(found.notStruct)} of table ${table} is not a struct, so ${path} does not exist`, { table, column: path })
  throw new SchemaMismatchError(`column ${path} does not exist in table ${table}`, { table, column: path })
}

function walkPath(schema: StructType, parts: string[]): Located | { notStruct: string[] } | undefined {
  const chain: Located['chain'] = []
  const names: string[] = []
  let fields = schema.fields
  for (let i = 0; i < parts.length; i++) {
    let index = fields.findIndex((f) => f.name === parts[i])
    if (index < 0) index = fields.findIndex((f) => f.name.toLowerCase() === parts[i]!.toLowerCase())
    if (index < 0) return undefined
    chain.push({ fields, index })
    names.push(fields[index]!.name)
    const t = fields[index]!.type
    if (i < parts.length - 1) {
      if (!isStruct(t)) return { notStruct: names }
      fields = t.fields
    }
  }
  return { chain, names }
}

/** Rebuild the schema with the field at the end of `chain` replaced (or removed when `replacement` is undefined). */
function rebuild(chain: { fields: StructField[]; index: number }[], replacement: StructField | undefined): StructType {
  let level = chain.length - 1
  let fields = [...chain[level].fields]
  if (replacement) fields[chain[level].index] = replacement
  else fields.splice(chain[level].index, 1)
  while (level > 0) {
    level--
    const parent = chain[level]
    const updated = [...parent.fields]
    updated[parent.index] = { ...parent.fields[parent.index], type: { type: 'struct', fields } }
    fields = updated
  }
  return { type: 'struct', fields }
}

/** Columns (path keys, column-path.ts) that CHECK constraints and generated columns read, by rule. */
function dependents(snapshot: Snapshot): { rule: string; columns: string[] }[] {
  const out: { rule: string; columns: string[] }[] = []
  for (const [k, sql] of Object.entries(snapshot.properties)) {
    if (!k.startsWith(CONSTRAINT_PREFIX)) continue
    try {
      out.push({ rule: `CHECK constraint ${k.slice(CONSTRAINT_PREFIX.length)} (${sql})`, columns: referencedColumns(bindPredicate(sql, snapshot.schema)) })
    } catch { /* an unbindable rule references nothing we can name */ }
  }
  for (const f of snapshot.schema.fields) {
    const sql = f.metadata['delta.generationExpression']
    if (typeof sql !== 'string') continue
    try {
      out.push({ rule: `generated column ${f.name} (${sql})`, columns: referencedColumns(bindExpr(sql, snapshot.schema)) })
    } catch { /* idem */ }
  }
  return out
}

function checkNoDependents(snapshot: Snapshot, path: string, what: string): void {
  const lower = path.toLowerCase()
  for (const d of dependents(snapshot)) {
    const hit = d.columns.find((c) => {
      const k = c.toLowerCase()
      return k === lower || k.startsWith(`${lower}.`) || lower.startsWith(`${k}.`)
    })
    if (hit !== undefined) {
      throw new SchemaMismatchError(`cannot ${what} column ${path} of table ${snapshot.tableUrl}: ${d.rule} uses it; drop that first`, { table: snapshot.tableUrl, column: path })
    }
  }
}

/**
 * `delta.dataSkippingStatsColumns` after a rename (`to` given) or drop of `path`: entries naming the
 * column or a field inside it follow the rename or go away, so stats keep covering the same columns.
 */
function statsColumnsAfter(configuration: Record<string, string>, path: string, to?: string): Record<string, string> {
  const key = 'delta.dataSkippingStatsColumns'
  const raw = configuration[key]
  if (raw === undefined || raw.trim() === '') return configuration
  const lower = path.toLowerCase()
  const out: string[] = []
  for (const entry of splitPathList(raw)) {
    const name = pathKey(entry)
    const l = name.toLowerCase()
    if (l === lower || l.startsWith(`${lower}.`)) {
      if (to !== undefined) out.push(to + name.slice(path.length))
    } else out.push(name)
  }
  const next = { ...configuration }
  if (out.length) next[key] = out.join(',')
  else delete next[key]
  return next
}

function requireMapping(snapshot: Snapshot, what: string): void {
  if (snapshot.columnMappingMode === 'none') {
    throw new UnsupportedFeatureError(
      `cannot ${what} on table ${snapshot.tableUrl} without column mapping; enable it first with setProperties({ '${MAPPING_MODE}': 'name' })`,
      { table: snapshot.tableUrl, version: snapshot.version },
    )
  }
}

/** Rename a (possibly nested, dotted) column; needs column mapping (physical names stay). */
export async function renameColumn(snapshot: Snapshot, from: string, to: string, opts: AlterOptions = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  requireMapping(snapshot, `rename column ${from}`)
  const { chain, names } = locate(snapshot.schema, from, table)
  const last = chain[chain.length - 1]
  const field = last.fields[last.index]
  if (to !== field.name && to.toLowerCase() !== field.name.toLowerCase()) checkNewName(last.fields, to, table)
  if (typeof to !== 'string' || to === '' || to.includes('.')) throw new InvalidArgumentError(`new column name must be a non-empty name without dots, got ${JSON.stringify(to)} (table ${table})`, { table })
  checkNoDependents(snapshot, pathKey(names), 'rename')
  const schema = rebuild(chain, { ...field, name: to })
  const partitionColumns = chain.length === 1 ? snapshot.partitionColumns.map((c) => (c.toLowerCase() === field.name.toLowerCase() ? to : c)) : snapshot.partitionColumns
  const newPath = pathKey([...names.slice(0, -1), to])
  return commitChange(snapshot, {
    operation: 'RENAME COLUMN', params: { oldColumnPath: pathKey(names), newColumnPath: newPath },
    schema, configuration: statsColumnsAfter(snapshot.properties, pathKey(names), newPath), partitionColumns,
  }, opts)
}

/** Drop (possibly nested, dotted) columns; needs column mapping (the data stays in the files, unread). */
export async function dropColumns(snapshot: Snapshot, list: string[], opts: AlterOptions = {}): Promise<AlterResult> {
  const table = snapshot.tableUrl
  if (list.length === 0) throw new InvalidArgumentError(`dropColumns needs at least one column (table ${table})`, { table })
  requireMapping(snapshot, `drop column ${list.join(', ')}`)
  let schema = snapshot.schema
  let configuration = { ...snapshot.properties }
  const dropped: string[] = []
  for (const c of list) {
    const { chain, names } = locate(schema, c, table)
    const path = pathKey(names)
    if (chain.length === 1 && snapshot.partitionColumns.some((p) => p.toLowerCase() === names[0].toLowerCase())) {
      throw new SchemaMismatchError(`cannot drop partition column ${path} of table ${table}`, { table, column: path })
    }
    if (chain[chain.length - 1].fields.length === 1) {
      throw new SchemaMismatchError(`cannot drop column ${path} of table ${table}: it is the only field of its ${chain.length === 1 ? 'table' : 'struct'}`, { table, column: path })
    }
    checkNoDependents(snapshot, path, 'drop')
    schema = rebuild(chain, undefined)
    configuration = statsColumnsAfter(configuration, path)
    dropped.push(path)
  }
  return commitChange(snapshot, { operation: 'DROP COLUMNS', params: { columns: dropped }, schema, configuration }, opts)
}
