// The lake view: the table folders the server lists (/tables.json), grouped by medallion layer, each
// opened to show its version, files, rows and size; and a box to open any table by URL.
import { DeltaTable } from '../../index.js'
import { HttpStore } from '../../cloud.js'
import { fmtBytes, fmtInt, h, htmlTable, statsRows } from '../dom.js'
import { errorBox } from '../error-box.js'

interface Listing { lake: string; tables: Array<{ path: string; name: string; layer: 'bronze' | 'silver' | 'gold' | null }> }
const LAYERS = ['bronze', 'silver', 'gold', null] as const

export async function lakeView(root: HTMLElement, nav: { go(table: string): void; current(): boolean }): Promise<void> {
  const input = h('input', { type: 'url', name: 'table', placeholder: 'https://host/path/to/table (or lake/bronze/t)', size: 60, required: true })
  root.append(h('form', { class: 'open-url', onsubmit: (e) => { e.preventDefault(); nav.go(input.value.trim()) } },
    h('label', {}, 'Open a table by URL ', input), ' ', h('button', { type: 'submit' }, 'Open')))

  const res = await fetch('tables.json', { cache: 'no-store' }).catch(() => undefined)
  if (!res?.ok) {
    root.append(h('p', { class: 'muted', 'data-k': 'no-listing' }, 'No lake listing here (tables.json): open a table by its URL above.'))
    return
  }
  const listing = (await res.json()) as Listing
  root.prepend(h('h1', {}, 'Lake ', h('span', { 'data-k': 'lake-name' }, listing.lake)))
  if (listing.tables.length === 0) { root.append(h('p', { 'data-k': 'no-tables' }, 'No Delta tables (folders with a _delta_log) in this lake.')); return }
  const cells = new Map<string, HTMLTableRowElement>()
  for (const layer of LAYERS) {
    const tables = listing.tables.filter((t) => t.layer === layer)
    if (tables.length === 0) continue
    const table = htmlTable(['table', 'version', 'files', 'rows', 'size', 'last operation'], tables.map((t) => [
      h('a', { href: `?table=${encodeURIComponent(`lake/${t.path}`)}`, onclick: (e) => { e.preventDefault(); nav.go(`lake/${t.path}`) } }, t.path || t.name),
      '…', '…', '…', '…', '…',
    ]), { class: 'tables', 'data-layer': layer ?? 'other' })
    tables.forEach((t, i) => { const tr = table.tBodies[0].rows[i]; tr.dataset.table = t.path; cells.set(t.path, tr) })
    root.append(h('section', { class: `layer layer-${layer ?? 'other'}` }, h('h2', {}, layer ?? 'other tables'), table))
  }
  // open the tables a few at a time: a lake of many tables does not flood the server
  const queue = [...listing.tables]
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      if (!nav.current()) return
      const tr = cells.get(t.path)!
      try {
        const dt = await DeltaTable.open(new HttpStore(new URL(`lake/${t.path}`, location.href).href))
        const files = await dt.files()
        const rows = statsRows(files)
        const [last] = await dt.history({ limit: 1 })
        const values = [dt.version, fmtInt(files.length), rows === undefined ? '?' : fmtInt(rows), fmtBytes(files.reduce((n, f) => n + f.size, 0)), last?.operation ?? '']
        values.forEach((v, i) => { tr.cells[i + 1].textContent = String(v) })
        tr.dataset.version = String(dt.version)
        tr.dataset.rows = String(rows ?? '')
      } catch (e) {
        tr.cells[1].colSpan = 5
        tr.cells[1].replaceChildren(errorBox(e, 'cannot open'))
        for (let i = 5; i >= 2; i--) tr.deleteCell(i)
      }
    }
  }))
}
