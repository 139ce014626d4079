// The diff of two versions: rows inserted, updated and deleted between `from` and `to`.
// - With the change data feed on for every version in (from, to]: counted from scanChanges() by
//   `_change_type` (insert, update_postimage, delete); per commit, so a row changed twice counts twice.
// - Else from the files: the data files one version has and the other lacks (an add or remove, a
//   changed deletion vector), and, when both versions hold at most ROW_DIFF_LIMIT rows, a row-level
//   compare: by the table's primary key (`lagomago.primaryKey`) when it has one (a key in both with
//   other values is an update), else as multisets of whole rows (an update shows as a delete and an insert).
import { PRIMARY_KEY_PROPERTY, type DataType, type DeltaTable, type RowValue } from '../../index.js'
import { cellText, facts, fmtInt, h, htmlTable, statsRows } from '../dom.js'
import { errorBox } from '../error-box.js'
import type { TableCtx } from '../main.js'

export const ROW_DIFF_LIMIT = 200_000
const SAMPLE = 20

type Row = Record<string, RowValue>
interface Counts { inserted: number; updated: number | undefined; deleted: number }

export async function diffView(root: HTMLElement, ctx: TableCtx): Promise<void> {
  const latest = ctx.latest.version
  const to = clamp(Number(ctx.params.get('to') ?? latest), latest)
  const from = clamp(Number(ctx.params.get('from') ?? Math.max(0, to - 1)), latest)
  const fromInput = h('input', { type: 'number', id: 'diff-from', min: 0, max: latest, value: from })
  const toInput = h('input', { type: 'number', id: 'diff-to', min: 0, max: latest, value: to })
  root.append(h('form', { class: 'controls', onsubmit: (e) => { e.preventDefault(); ctx.go({ from: fromInput.value, to: toInput.value }) } },
    h('label', {}, 'from version ', fromInput), ' ', h('label', {}, 'to version ', toInput), ' ', h('button', { type: 'submit' }, 'Compare')))
  if (from >= to) { root.append(h('p', { 'data-k': 'diff-empty' }, 'Pick a "from" version older than "to".')); return }

  const [a, b] = await Promise.all([ctx.at(from), ctx.at(to)])
  if (!ctx.current()) return
  let note = ''
  if (b.properties['delta.enableChangeDataFeed'] === 'true') {
    try {
      const { counts, sample } = await feedDiff(b, from, to)
      show(root, b, 'change data feed', counts, sample, '_change_type')
      return
    } catch (e) {
      note = `The change data feed does not cover versions ${from + 1}–${to} (${(e as Error).message}); compared the files instead.`
    }
  }
  try {
    await fileDiff(root, a, b, note)
  } catch (e) {
    root.append(errorBox(e, 'Diff'))
  }
}

/** Counts by `_change_type` over scanChanges() batches (bounded memory), and the first changed rows. */
async function feedDiff(t: DeltaTable, from: number, to: number): Promise<{ counts: Counts; sample: Row[] }> {
  const counts: Counts = { inserted: 0, updated: 0, deleted: 0 }
  const sample: Row[] = []
  const kinds: Record<string, keyof Counts> = { insert: 'inserted', update_postimage: 'updated', delete: 'deleted' }
  for await (const batch of t.scanChanges({ startVersion: from + 1, endVersion: to })) {
    const type = batch.getChild('_change_type')
    if (!type) continue
    for (let i = 0; i < batch.numRows; i++) {
      const kind = kinds[String(type.get(i))]
      if (!kind) continue // update_preimage: the postimage counts the update
      counts[kind] = (counts[kind] ?? 0) + 1
      if (sample.length < SAMPLE) sample.push(Object.fromEntries(batch.schema.fields.map((f) => [f.name, batch.getChild(f.name)?.get(i)])) as Row)
    }
  }
  return { counts, sample }
}

const clamp = (v: number, max: number) => (Number.isInteger(v) ? Math.min(Math.max(0, v), max) : max)

function show(root: HTMLElement, t: DeltaTable, method: string, c: Counts, sample: Row[], kindColumn: string, extra: Array<[string, string, string]> = []): void {
  const types = new Map<string, DataType>(t.schema.fields.map((f) => [f.name, f.type]))
  const columns = [kindColumn, ...t.schema.fields.map((f) => f.name)]
  root.append(
    facts([
      ['diff-method', 'computed from', method],
      ['diff-inserted', 'rows inserted', fmtInt(c.inserted)],
      ['diff-updated', 'rows updated', c.updated === undefined ? '— (no key to pair rows: an update counts as a delete and an insert)' : fmtInt(c.updated)],
      ['diff-deleted', 'rows deleted', fmtInt(c.deleted)],
      ...extra,
    ]),
    h('h3', {}, `changed rows (first ${SAMPLE})`),
    htmlTable(columns, sample.slice(0, SAMPLE).map((r) => columns.map((k) => cellText(r[k], types.get(k)))), { id: 'diff-rows' }),
  )
}

const fileKey = (f: { path: string; deletionVector?: unknown }) => `${f.path}|${f.deletionVector ? JSON.stringify(f.deletionVector) : ''}`

async function fileDiff(root: HTMLElement, a: DeltaTable, b: DeltaTable, note: string): Promise<void> {
  const [fa, fb] = await Promise.all([a.files(), b.files()])
  const ka = new Set(fa.map(fileKey))
  const kb = new Set(fb.map(fileKey))
  const removed = fa.filter((f) => !kb.has(fileKey(f)))
  const added = fb.filter((f) => !ka.has(fileKey(f)))
  const extra: Array<[string, string, string]> = [
    ['diff-files-added', 'data files added (or given a new deletion vector)', fmtInt(added.length)],
    ['diff-files-removed', 'data files removed (or replaced by a new deletion vector)', fmtInt(removed.length)],
  ]
  if (note) root.append(h('p', { class: 'note', 'data-k': 'diff-note' }, note))
  const na = statsRows(fa)
  const nb = statsRows(fb)
  if (na === undefined || nb === undefined || na > ROW_DIFF_LIMIT || nb > ROW_DIFF_LIMIT) {
    root.append(facts([['diff-method', 'computed from', 'the data files only'], ...extra]),
      h('p', { class: 'muted' }, `Rows are compared only when both versions hold at most ${fmtInt(ROW_DIFF_LIMIT)} rows (file stats): enable the change data feed for row counts of large tables.`))
    return
  }
  const [ra, rb] = await Promise.all([a.toRows(), b.toRows()])
  const key = primaryKey(b)
  const counts: Counts = { inserted: 0, updated: key ? 0 : undefined, deleted: 0 }
  const sample: Row[] = []
  const mark = (r: Row, kind: string) => { if (sample.length < SAMPLE) sample.push({ _change: kind, ...r }) }
  if (key) {
    const byKey = (rows: Row[]) => new Map(rows.map((r) => [rowText(r, key), r]))
    const ma = byKey(ra)
    const mb = byKey(rb)
    for (const [k, r] of mb) {
      const old = ma.get(k)
      if (!old) { counts.inserted++; mark(r, 'insert') } else if (rowText(old) !== rowText(r)) { counts.updated!++; mark(r, 'update') }
    }
    for (const [k, r] of ma) if (!mb.has(k)) { counts.deleted++; mark(r, 'delete') }
  } else {
    const left = new Map<string, number>()
    for (const r of ra) { const k = rowText(r); left.set(k, (left.get(k) ?? 0) + 1) }
    for (const r of rb) {
      const k = rowText(r)
      const n = left.get(k) ?? 0
      if (n > 0) left.set(k, n - 1)
      else { counts.inserted++; mark(r, 'insert') }
    }
    const byText = new Map(ra.map((r) => [rowText(r), r]))
    for (const [k, n] of left) for (let i = 0; i < n; i++) { counts.deleted++; mark(byText.get(k)!, 'delete') }
  }
  show(root, b, key ? `the rows of both versions, paired by the primary key (${key.join(', ')})` : 'the rows of both versions (no primary key)', counts, sample, '_change', extra)
}

function primaryKey(t: DeltaTable): string[] | undefined {
  try {
    const k = JSON.parse(t.properties[PRIMARY_KEY_PROPERTY] ?? 'null') as unknown
    return Array.isArray(k) && k.length > 0 && k.every((c) => typeof c === 'string') ? k : undefined
  } catch {
    return undefined
  }
}

/** A row (or its `columns`) as one string, for comparing rows by value. */
function rowText(r: Row, columns = Object.keys(r).sort()): string {
  return columns.map((c) => cellText(r[c])).join('\u0001')
}
