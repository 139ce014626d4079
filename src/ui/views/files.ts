// The files of a version: file-size and rows-per-file histograms, a hint when OPTIMIZE would help,
// and the partitions with their files, rows and bytes.
// The hint follows the rule optimize() applies: in each partition, files smaller than the target
// size (`delta.targetFileSize`, default 128 MiB) are compacted when there are two or more of them.
import type { AddFile } from '../../index.js'
import { binValues, histogram } from '../charts.js'
import { facts, fileRows, fmtBytes, fmtInt, h, htmlTable } from '../dom.js'
import type { TableCtx } from '../main.js'

export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024
const MAX_PARTITIONS_SHOWN = 500

export interface Partition { values: Record<string, string | null>; files: number; bytes: number; rows: number; small: number; smallBytes: number }

export function partitionsOf(files: AddFile[], target: number): Partition[] {
  const parts = new Map<string, Partition>()
  for (const f of files) {
    const k = JSON.stringify(Object.entries(f.partitionValues ?? {}).sort())
    let p = parts.get(k)
    if (!p) parts.set(k, p = { values: f.partitionValues ?? {}, files: 0, bytes: 0, rows: 0, small: 0, smallBytes: 0 })
    p.files++
    p.bytes += f.size
    p.rows += (fileRows(f) ?? 0) - (f.deletionVector?.cardinality ?? 0)
    if (f.size < target) { p.small++; p.smallBytes += f.size }
  }
  return [...parts.values()].sort((x, y) => y.bytes - x.bytes)
}

export async function filesView(root: HTMLElement, ctx: TableCtx): Promise<void> {
  const v = ctx.params.get('version')
  const t = await ctx.at(v === null ? undefined : Number(v))
  const files = await t.files()
  if (!ctx.current()) return
  const configured = Number.parseInt(t.properties['delta.targetFileSize'] ?? '', 10)
  const target = Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_TARGET_FILE_SIZE
  const parts = partitionsOf(files, target)
  const compactable = parts.filter((p) => p.small >= 2)
  const smallFiles = compactable.reduce((n, p) => n + p.small, 0)
  const after = compactable.reduce((n, p) => n + Math.ceil(p.smallBytes / target), 0)
  const sizes = files.map((f) => f.size)
  const rows = files.map((f) => fileRows(f) ?? 0)
  root.append(
    h('h2', {}, `Files of version ${t.version}`),
    facts([
      ['files-count', 'data files', fmtInt(files.length)],
      ['files-bytes', 'total size', fmtBytes(sizes.reduce((a, b) => a + b, 0))],
      ['files-median', 'median file size', files.length ? fmtBytes(median(sizes)) : '—'],
      ['files-target', 'target file size', `${fmtBytes(target)}${Number.isFinite(configured) && configured > 0 ? ' (delta.targetFileSize)' : ' (default)'}`],
    ]),
    compactable.length
      ? h('p', { class: 'hint optimize', 'data-k': 'optimize-hint', 'data-small-files': smallFiles },
        `OPTIMIZE would help: ${fmtInt(smallFiles)} files under the ${fmtBytes(target)} target in ${fmtInt(compactable.length)} partition${compactable.length === 1 ? '' : 's'} `
        + `would be compacted into about ${fmtInt(after)} (rule: two or more files under the target size in one partition, as optimize() plans).`)
      : h('p', { class: 'muted', 'data-k': 'optimize-hint', 'data-small-files': 0 }, 'No OPTIMIZE needed: no partition holds two or more files under the target size.'),
    h('div', { class: 'charts' },
      histogram(binValues(sizes), fmtBytes, 'file size', { at: target, text: 'target' }),
      histogram(binValues(rows), (n) => fmtInt(Math.round(n)), 'rows per file')),
    h('h2', {}, t.partitionColumns.length ? `Partitions (${fmtInt(parts.length)})` : 'Partitions'),
    t.partitionColumns.length === 0
      ? h('p', { class: 'muted' }, 'The table is not partitioned.')
      : htmlTable([...t.partitionColumns, 'files', 'rows', 'size', 'small files'],
        parts.slice(0, MAX_PARTITIONS_SHOWN).map((p) => [...t.partitionColumns.map((c) => p.values[c] ?? 'null'), fmtInt(p.files), fmtInt(p.rows), fmtBytes(p.bytes), fmtInt(p.small)]),
        { id: 'partitions' }),
    parts.length > MAX_PARTITIONS_SHOWN ? h('p', { class: 'muted' }, `(largest ${MAX_PARTITIONS_SHOWN} shown)`) : '',
  )
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
