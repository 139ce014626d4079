// Recipe: hand a table to Arrow and to DuckDB. `toArrow()` returns an apache-arrow Table (`scan()`
// yields RecordBatches in bounded memory) for any Arrow tool; DuckDB reads the table's Parquet data
// files directly. Reading the files alone is right only for what this table is: no deletion vectors
// (append-only here: DELETE/UPDATE/MERGE write them by default), no partition columns (their values
// live in the log, not in the files) and no column mapping; the script checks the first, a table with
// them needs a Delta reader (lagomago's, or DuckDB's delta extension, which is not run here).
// Run from the repository root: npx tsx examples/duckdb-arrow.ts [table-folder]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { DeltaTable } from 'lagomago'

const dir = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), 'lagomago-duck-')), 'sales')
const sales = await DeltaTable.create(dir, { schema: { type: 'struct', fields: [
  { name: 'uf', type: 'string', nullable: false, metadata: {} },
  { name: 'amount', type: 'decimal(10,2)', nullable: false, metadata: {} },
] } })
await sales.append([{ uf: 'SP', amount: '10.50' }, { uf: 'RJ', amount: '7.25' }, { uf: 'SP', amount: '4.50' }])
await sales.append([{ uf: 'MG', amount: '100.00' }, { uf: 'RJ', amount: '0.75' }])

// Arrow: one Table (decimal columns are Arrow Decimal128; read them through toRows for exact text)
const arrow = await sales.toArrow({ columns: ['uf'] })
const counts: Record<string, number> = {}
for (const uf of arrow.getChild('uf')!) counts[String(uf)] = (counts[String(uf)] ?? 0) + 1
console.log(`Arrow: ${arrow.numRows} rows, per uf`, counts)

// DuckDB: the live data files of the current version
const files = await sales.files()
if (files.some((f) => f.deletionVector)) throw new Error('this table has deletion vectors: read it with lagomago')
const paths = files.map((f) => `'${join(dir, decodeURIComponent(f.path))}'`).join(', ')
const duck = await (await DuckDBInstance.create(':memory:')).connect()
const result = await duck.runAndReadAll(`SELECT uf, CAST(sum(amount) AS VARCHAR) AS total FROM read_parquet([${paths}]) GROUP BY uf ORDER BY uf`)
console.log('DuckDB:', result.getRowObjectsJson())
