// A process that writes large files (its pages compressed on the worker thread) and then has nothing
// left to do: it must exit by itself (page-offload.test.ts). Prints one JSON line per write.
import { DeltaTable, MemoryStore } from '../../src/index.js'
import { compressionPool } from '../../src/write/compress-offload.js'

const n = 400_000
const writes = Number(process.argv[2] ?? 2)
const rows = Array.from({ length: n }, (_, i) => ({ id: BigInt(i), v: i * 0.5, s: `row-${i}` }))
const t = await DeltaTable.create(new MemoryStore(), {
  schema: { type: 'struct', fields: [
    { name: 'id', type: 'long', nullable: false, metadata: {} }, { name: 'v', type: 'double', nullable: true, metadata: {} },
    { name: 's', type: 'string', nullable: true, metadata: {} },
  ] },
})
// The first write starts the worker (its pages are compressed here until the worker has loaded) …
await t.append(rows)
const pool = (await compressionPool(Infinity, 'SNAPPY'))!
console.log(JSON.stringify({ version: t.version }))
if (writes === 1) process.exitCode = 0 // the worker may still be loading: the process must not wait for it
else {
  // … the next ones, once it has, go to it.
  while (!pool.ready) await new Promise((r) => setTimeout(r, 10))
  await t.append(rows)
  console.log(JSON.stringify({ version: t.version, workerReady: pool.ready }))
}
