// History as a timeline: one column per version (rows inserted and updated above the axis, deleted
// below, coloured by operation), and a table of each commit's operation, parameters and metrics.
// Files added and removed are counted from the commit's own add/remove actions (the log, whatever
// wrote it; a file removed and re-added with a new deletion vector counts apart); rows come from the writer's operationMetrics under Spark's metric names.
import type { HistoryEntry } from '../../index.js'
import { fmtInt, fmtTime, h, htmlTable } from '../dom.js'
import { timelineChart } from '../charts.js'
import type { TableCtx } from '../main.js'

/** At most this many versions are drawn (the newest). */
const MAX_VERSIONS = 100

export interface VersionSummary {
  version: number
  operation: string
  filesAdded: number
  filesRemoved: number
  dvChanged: number
  inserted?: number
  updated?: number
  deleted?: number
}

/** Rows a commit inserted, updated and deleted, by the metric names Spark and delta-rs write. */
export function rowMetrics(e: HistoryEntry): Pick<VersionSummary, 'inserted' | 'updated' | 'deleted'> {
  const m = e.operationMetrics ?? {}
  const pick = (...names: string[]) => {
    const found = names.filter((n) => m[n] !== undefined && m[n] !== null && m[n] !== '')
    return found.length ? found.reduce((s, n) => s + Number(m[n]), 0) : undefined
  }
  const op = e.operation ?? ''
  if (/OPTIMIZE|VACUUM|RESTORE|SET TBLPROPERTIES|ADD COLUMNS|CHANGE COLUMN|ADD CONSTRAINT|DROP CONSTRAINT/.test(op)) return {}
  if (op === 'MERGE') return { inserted: pick('numTargetRowsInserted'), updated: pick('numTargetRowsUpdated'), deleted: pick('numTargetRowsDeleted') }
  return { inserted: pick('numOutputRows', 'numInsertedRows'), updated: pick('numUpdatedRows'), deleted: pick('numDeletedRows') }
}

const pad = (v: number) => String(v).padStart(20, '0')

/**
 * Files added and removed by one commit, from its actions. A file removed and added again in the same
 * commit is the same data with a new deletion vector: counted as `dvChanged`, not as a new file.
 */
async function commitFiles(ctx: TableCtx, version: number): Promise<{ added: number; removed: number; dvChanged: number } | undefined> {
  try {
    const text = new TextDecoder().decode(await ctx.latest.store.get(`_delta_log/${pad(version)}.json`))
    const added = new Set<string>()
    const removed = new Set<string>()
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      const action = JSON.parse(line) as { add?: { path: string }; remove?: { path: string } }
      if (action.add) added.add(action.add.path)
      else if (action.remove) removed.add(action.remove.path)
    }
    const both = [...added].filter((p) => removed.has(p)).length
    return { added: added.size - both, removed: removed.size - both, dvChanged: both }
  } catch {
    return undefined // cleaned up (only a checkpoint covers it)
  }
}

export async function historyView(root: HTMLElement, ctx: TableCtx): Promise<void> {
  const entries = await ctx.latest.history({ limit: MAX_VERSIONS })
  const counts = await Promise.all(entries.map((e) => commitFiles(ctx, e.version)))
  if (!ctx.current()) return
  const summaries: VersionSummary[] = entries.map((e, i) => ({
    version: e.version, operation: e.operation ?? '?', filesAdded: counts[i]?.added ?? NaN, filesRemoved: counts[i]?.removed ?? NaN, dvChanged: counts[i]?.dvChanged ?? NaN, ...rowMetrics(e),
  }))
  root.append(
    h('h2', {}, 'History ', h('span', { class: 'muted' }, entries.length === MAX_VERSIONS ? `(newest ${MAX_VERSIONS} versions)` : `(${entries.length} versions)`)),
    timelineChart([...summaries].reverse()),
    htmlTable(['version', 'time', 'operation', 'files +', 'files −', 'new DVs', 'rows inserted', 'rows updated', 'rows deleted', 'parameters', 'metrics'],
      entries.map((e, i) => {
        const s = summaries[i]
        const n = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '' : fmtInt(v))
        return [
          h('a', { href: '#', onclick: (ev) => { ev.preventDefault(); ctx.go({ view: 'data', version: e.version }) }, title: 'see the rows of this version' }, e.version),
          fmtTime(e.timestamp), s.operation, n(s.filesAdded), n(s.filesRemoved), n(s.dvChanged), n(s.inserted), n(s.updated), n(s.deleted),
          h('code', {}, e.operationParameters ? JSON.stringify(e.operationParameters) : ''),
          h('code', {}, e.operationMetrics ? Object.entries(e.operationMetrics).map(([k, v]) => `${k}=${v}`).join(' ') : ''),
        ]
      }), { id: 'history' }),
  )
  const trs = root.querySelectorAll<HTMLTableRowElement>('#history tbody tr')
  entries.forEach((e, i) => { trs[i].dataset.version = String(e.version) })
}
