// Job-mode worker for DuckDB: open a database file, load the batch through an appender, MERGE INTO,
// exit. `node duckdb-merge.mjs <db file> <batch.json>`.
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api'
import { phaseClock, readBatch } from './batch.mjs'

const clock = phaseClock()
const [file, batchFile] = process.argv.slice(2)
const rows = readBatch(batchFile)
clock.mark('input')
const db = await DuckDBInstance.create(file)
const conn = await db.connect()
clock.mark('open')
await conn.run('CREATE TEMP TABLE src (op VARCHAR, id BIGINT, qty INTEGER, price DOUBLE, category VARCHAR, ts TIMESTAMP, note VARCHAR)')
const app = await conn.createAppender('src', 'main', 'temp')
for (const r of rows) {
  app.appendVarchar(r.op)
  app.appendBigInt(r.id)
  if (r.op === 'D') { for (let i = 0; i < 5; i++) app.appendNull() } else {
    app.appendInteger(r.qty); app.appendDouble(r.price); app.appendVarchar(r.category)
    app.appendTimestamp(new DuckDBTimestampValue(BigInt(r.ts.getTime()) * 1000n)); app.appendVarchar(r.note)
  }
  app.endRow()
}
app.closeSync()
const cols = ['id', 'qty', 'price', 'category', 'ts', 'note']
await conn.run(`MERGE INTO t USING src ON t.id = src.id
  WHEN MATCHED AND src.op = 'D' THEN DELETE
  WHEN MATCHED THEN UPDATE SET ${cols.slice(1).map((c) => `${c} = src.${c}`).join(', ')}
  WHEN NOT MATCHED AND src.op <> 'D' THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `src.${c}`).join(', ')})`)
clock.mark('merge')
conn.closeSync()
clock.report()
