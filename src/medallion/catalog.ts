// A small file catalog: three-part table names (`lake.bronze.transacao`) resolved to folders under a
// lake root (`<root>/bronze/transacao`), so pipelines name tables as the seed's notebooks did, not
// paths. `Lake.table` opens a table, creating it on first use when given a schema.
import { mkdir, readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { CommitConflictError, DeltaTable, InvalidArgumentError, TableExistsError, TableNotFoundError, type CreateTableOptions } from '../index.js'
import { checkOptions } from '../options.js'

/** The parts of a table name: `catalog.schema.table` (the catalog may be left out). */
export interface TableName {
  catalog: string
  schema: string
  table: string
}

/** Options of `Lake`. */
export interface LakeOptions {
  /** The catalog name this lake answers to (default `lake`). */
  catalog?: string
}

/** What `Lake.table` needs to create a missing table; without it a missing table is an error. */
export type TableDefinition = Omit<CreateTableOptions, 'ifExists'>

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * A folder of Delta tables named `catalog.schema.table` (`lake.bronze.orders` → `<root>/bronze/orders`).
 * @example
 * const orders = await new Lake('./lake').table('bronze.orders', { schema })
 */
export class Lake {
  readonly root: string
  readonly catalog: string

  constructor(root: string, options: LakeOptions = {}) {
    checkOptions('Lake', options, ['catalog'])
    this.root = resolve(root)
    this.catalog = options.catalog ?? 'lake'
    if (!IDENT.test(this.catalog)) throw new InvalidArgumentError(`catalog name '${this.catalog}' must be an identifier`)
  }

  /** Parse `catalog.schema.table` or `schema.table`; names are case-insensitive and stored lower case. */
  parse(name: string): TableName {
    const parts = name.split('.')
    if (parts.length === 2) parts.unshift(this.catalog)
    if (parts.length !== 3 || !parts.every((p) => IDENT.test(p))) {
      throw new InvalidArgumentError(`table name '${name}' must be catalog.schema.table or schema.table, each part an identifier (letters, digits, _)`)
    }
    const [catalog, schema, table] = parts.map((p) => p.toLowerCase())
    if (catalog !== this.catalog.toLowerCase()) {
      throw new InvalidArgumentError(`table name '${name}' names catalog '${catalog}', but this lake at ${this.root} is catalog '${this.catalog}'`)
    }
    return { catalog, schema, table }
  }

  /** The full three-part name. */
  fullName(name: string): string {
    const n = this.parse(name)
    return `${n.catalog}.${n.schema}.${n.table}`
  }

  /** The folder holding the table: `<root>/<schema>/<table>`. */
  path(name: string): string {
    const n = this.parse(name)
    return join(this.root, n.schema, n.table)
  }

  /** Whether the table exists (has a `_delta_log` with a commit). */
  async exists(name: string): Promise<boolean> {
    try {
      await DeltaTable.open(this.path(name))
      return true
    } catch (e) {
      if (e instanceof TableNotFoundError) return false
      throw e
    }
  }

  /**
   * Open the table at its latest version. When it does not exist: create it with `definition`
   * (a concurrent creator winning the race is fine: its table is opened), or throw TableNotFoundError.
   */
  async table(name: string, definition?: TableDefinition): Promise<DeltaTable> {
    const path = this.path(name)
    try {
      return await DeltaTable.open(path)
    } catch (e) {
      if (!(e instanceof TableNotFoundError) || !definition) {
        if (e instanceof TableNotFoundError) throw new TableNotFoundError(`table ${this.fullName(name)} does not exist (no Delta table at ${path})`, { table: path, cause: e })
        throw e
      }
    }
    await mkdir(path, { recursive: true })
    try {
      return await DeltaTable.create(path, { name: this.fullName(name), ...definition, ifExists: 'ignore' })
    } catch (e) {
      // another creator committed version 0 between our check and our commit: use its table
      if (e instanceof CommitConflictError || e instanceof TableExistsError) return DeltaTable.open(path)
      throw e
    }
  }

  /** The lake's tables, as full names, found by walking `<root>/<schema>/<table>/_delta_log`. */
  async tables(): Promise<string[]> {
    const out: string[] = []
    for (const schema of await dirs(this.root)) {
      if (!IDENT.test(schema)) continue
      for (const table of await dirs(join(this.root, schema))) {
        if (IDENT.test(table) && await isDir(join(this.root, schema, table, '_delta_log'))) out.push(`${this.catalog}.${schema}.${table}`)
      }
    }
    return out.sort()
  }
}

async function dirs(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort()
  } catch {
    return []
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}
