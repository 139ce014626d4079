// The browser page of test/browser/browser.test.ts: opens the Delta table named in `?table=` over the
// read-only HTTP store, reads the latest version and then time-travels to `?version=`, and renders
// both as HTML tables the test reads back from the DOM. Bundled by Vite with the library.
import { DeltaTable } from '../../../src/index.js'
import { HttpStore } from '../../../src/cloud.js'

function render(title: string, id: string, rows: Record<string, unknown>[]): void {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].sort()
  const table = document.createElement('table')
  table.id = id
  table.dataset.title = title
  const head = table.createTHead().insertRow()
  for (const c of columns) head.appendChild(document.createElement('th')).textContent = c
  const body = table.createTBody()
  for (const r of rows) {
    const tr = body.insertRow()
    for (const c of columns) {
      const v = r[c]
      tr.insertCell().textContent = v === null || v === undefined ? 'null' : v instanceof Date ? v.toISOString() : String(v)
    }
  }
  document.getElementById('out')!.appendChild(table)
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search)
  const store = new HttpStore(new URL(params.get('table')!, location.href).href)
  const latest = await DeltaTable.open(store)
  render(`version ${latest.version}`, 'latest', await latest.toRows())
  const version = Number(params.get('version'))
  const older = await DeltaTable.open(store, { version })
  render(`version ${older.version}`, 'older', await older.toRows())
  const status = document.getElementById('status')!
  status.textContent = `latest ${latest.version}, time travel ${older.version}, ${store.requests.get} GETs, ${store.requests.head} HEADs`
  status.dataset.done = 'true'
}

main().catch((e: unknown) => {
  const status = document.getElementById('status')!
  status.textContent = `error: ${(e as Error).stack ?? String(e)}`
  status.dataset.done = 'error'
})
