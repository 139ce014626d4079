// Recipe: read a table over plain HTTP(S), as a browser page does: no listing, only GET and HEAD with
// Range, so any static file server or CDN can serve a Delta table. This script writes a table, serves
// its folder on 127.0.0.1 and opens it through HttpStore; in a page the same two lines
// (`new HttpStore(url)`, `DeltaTable.open`) run as they are (test/browser/page/main.ts is such a page,
// bundled by Vite and run in headless Chromium by test/browser/browser.test.ts).
// Run from the repository root: npx tsx examples/http-store.ts
import { createReadStream, mkdtempSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeltaTable } from 'lagomago'
import { HttpStore } from 'lagomago/cloud'

const dir = join(mkdtempSync(join(tmpdir(), 'lagomago-http-')), 'cities')
const local = await DeltaTable.create(dir, { schema: { type: 'struct', fields: [
  { name: 'city', type: 'string', nullable: false, metadata: {} },
  { name: 'population', type: 'long', nullable: true, metadata: {} },
] } })
await local.append([{ city: 'recife', population: 1_488_920n }])
await local.append([{ city: 'manaus', population: 2_063_547n }])

// A static server: GET/HEAD of files, single Range requests, 404 otherwise.
const server = createServer((req, res) => {
  const file = join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname))
  const size = file.startsWith(dir + '/') ? statSync(file, { throwIfNoEntry: false })?.size : undefined
  if (size === undefined) { res.writeHead(404).end(); return }
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
  const [start, end] = m ? [Number(m[1]), m[2] ? Number(m[2]) : size - 1] : [0, size - 1]
  res.writeHead(m ? 206 : 200, { 'content-length': end - start + 1, 'accept-ranges': 'bytes',
    ...(m ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}) })
  if (req.method === 'HEAD') res.end()
  else createReadStream(file, { start, end }).pipe(res)
})
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

const store = new HttpStore(url)
const t = await DeltaTable.open(store)
console.log(`version ${t.version}:`, await t.toRows({ filter: 'population > 2000000' }))
console.log('version 1:', await (await DeltaTable.open(store, { version: 1 })).toRows())
console.log('HTTP requests:', store.requests)
server.close()
