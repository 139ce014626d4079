// The data preview: a version slider (time travel), a filter box (the SQL subset of `filter`) and
// pages of rows pulled from scan() one batch at a time, so the first page of a large table shows
// after reading one row group rather than the whole table.
import type { DataType, DeltaTable } from '../../index.js'
import { cellText, facts, fmtInt, fmtTime, h, htmlTable, statsRows } from '../dom.js'
import { errorBox } from '../error-box.js'
import type { TableCtx } from '../main.js'

export const PAGE_ROWS = 50

type Row = Record<string, unknown>

/** Pages of a scan, pulled on demand and kept, so paging back and forth reads each batch once. */
class Pager {
  readonly pages: Row[][] = []
  done = false
  columns: string[] = []
  private buffer: Row[] = []
  private readonly batches: AsyncGenerator<import('apache-arrow').RecordBatch>

  constructor(readonly key: string, table: DeltaTable, filter: string | undefined) {
    this.batches = table.scan({ filter, batchRows: PAGE_ROWS })
  }

  async page(n: number): Promise<Row[] | undefined> {
    while (this.pages.length <= n && !this.done) {
      const next = await this.batches.next()
      if (next.done) {
        this.done = true
        if (this.buffer.length) this.pages.push(this.buffer.splice(0))
        break
      }
      const b = next.value
      if (this.columns.length === 0) this.columns = b.schema.fields.map((f) => f.name)
      for (let i = 0; i < b.numRows; i++) {
        const r = b.get(i)
        const row: Row = {}
        for (const c of this.columns) row[c] = r?.[c]
        this.buffer.push(row)
        if (this.buffer.length === PAGE_ROWS) this.pages.push(this.buffer.splice(0))
      }
    }
    return this.pages[n]
  }

  get seen(): number { return this.pages.reduce((s, p) => s + p.length, 0) + this.buffer.length }
}

let pager: Pager | undefined

export async function dataView(root: HTMLElement, ctx: TableCtx): Promise<void> {
  const versionParam = ctx.params.get('version')
  const version = versionParam === null ? undefined : Number(versionParam)
  const filter = ctx.params.get('filter') ?? undefined
  const pageNo = Math.max(0, Number(ctx.params.get('page') ?? 0) || 0)
  const latest = ctx.latest.version

  const slider = h('input', { type: 'range', min: 0, max: latest, value: version ?? latest, id: 'version-slider', 'aria-label': 'version' })
  const sliderLabel = h('output', { for: 'version-slider' }, `version ${version ?? latest}`)
  slider.addEventListener('input', () => { sliderLabel.textContent = `version ${slider.value}` })
  slider.addEventListener('change', () => ctx.go({ version: Number(slider.value) === latest ? undefined : slider.value, page: undefined }))
  const filterInput = h('input', { type: 'text', id: 'filter', value: filter ?? '', size: 50, placeholder: "e.g. uf = 'SP' AND amount > 5" })
  root.append(
    h('div', { class: 'controls' },
      h('label', {}, 'Time travel ', slider, ' ', sliderLabel),
      h('form', { class: 'filter', onsubmit: (e) => { e.preventDefault(); ctx.go({ filter: filterInput.value.trim(), page: undefined }) } },
        h('label', {}, 'Filter ', filterInput), ' ', h('button', { type: 'submit' }, 'Apply'))))

  const table = await ctx.at(version)
  if (!ctx.current()) return
  // the first page is read beside the file list and the commit, not after them
  const key = `${ctx.url}@${table.version}|${filter ?? ''}`
  if (pager?.key !== key) pager = new Pager(key, table, filter)
  const reading = pager.page(pageNo).then((rows) => ({ rows }), (error: unknown) => ({ error }))
  const [files, [commit]] = await Promise.all([table.files(), table.history({ limit: 1 })])
  const total = statsRows(files)
  root.append(facts([
    ['data-version', 'version', table.version],
    ['data-timestamp', 'committed', `${fmtTime(table.timestamp)} (${commit?.operation ?? '?'})`],
    ['data-total', 'rows in this version (file stats)', total === undefined ? 'unknown' : fmtInt(total)],
  ]))
  const read = await reading
  if ('error' in read) {
    pager = undefined
    root.append(errorBox(read.error, filter ? `Filter ${JSON.stringify(filter)}` : 'Scan'))
    return
  }
  const rows = read.rows
  if (!ctx.current()) return
  const p = pager
  const types = new Map<string, DataType>(table.schema.fields.map((f) => [f.name, f.type]))
  const first = pageNo * PAGE_ROWS
  const known = p.done ? fmtInt(p.seen) : filter ? `≥ ${fmtInt(p.seen)}` : total === undefined ? `≥ ${fmtInt(p.seen)}` : fmtInt(total)
  root.append(
    h('p', { class: 'pager' },
      h('button', { disabled: pageNo === 0, onclick: () => ctx.go({ page: pageNo - 1 || undefined }) }, '← previous'), ' ',
      h('span', { 'data-k': 'page-range' }, rows?.length ? `rows ${fmtInt(first + 1)}–${fmtInt(first + rows.length)} of ${known}` : `no rows (of ${known})`), ' ',
      h('button', { disabled: !rows || (p.done && p.pages.length <= pageNo + 1), id: 'next-page', onclick: () => ctx.go({ page: pageNo + 1 }) }, 'next →')),
    htmlTable(p.columns, (rows ?? []).map((r) => p.columns.map((c) => cellText(r[c], types.get(c)))), { id: 'rows', 'data-version': table.version }),
  )
}
