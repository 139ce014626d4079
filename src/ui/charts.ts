// Plain SVG charts of the explorer: a version timeline (rows in and out per commit) and a histogram.
// No charting library: two small chart shapes do not justify one, and the page must work offline.
import type { VersionSummary } from './views/history.js'

const NS = 'http://www.w3.org/2000/svg'

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: Array<SVGElement | string>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  for (const c of children) el.append(c)
  return el
}

const OP_COLORS: Record<string, string> = {
  WRITE: '#2f7ed8', 'CREATE TABLE': '#888', MERGE: '#8e44ad', UPDATE: '#e67e22', DELETE: '#c0392b',
  OPTIMIZE: '#16a085', RESTORE: '#7f8c8d', 'STREAMING UPDATE': '#2980b9',
}
const opColor = (op: string) => OP_COLORS[op] ?? '#555'

/** One column per version, oldest left: inserted (+ updated) rows up, deleted rows down. */
export function timelineChart(versions: VersionSummary[]): SVGSVGElement {
  const w = Math.max(320, Math.min(1100, versions.length * 22 + 60))
  const hgt = 180
  const mid = 95
  const step = (w - 50) / Math.max(1, versions.length)
  const bar = Math.max(2, Math.min(16, step - 4))
  const up = (v: VersionSummary) => (v.inserted ?? 0) + (v.updated ?? 0)
  const max = Math.max(1, ...versions.map((v) => Math.max(up(v), v.deleted ?? 0)))
  const scale = (n: number) => (n / max) * 70
  const out = svg('svg', { viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, class: 'timeline', role: 'img', 'aria-label': 'rows changed per version' })
  out.append(svg('line', { x1: 40, x2: w - 5, y1: mid, y2: mid, stroke: '#999' }))
  out.append(svg('text', { x: 2, y: mid - 60, 'font-size': 10 }, `+${max}`), svg('text', { x: 2, y: mid + 70, 'font-size': 10 }, `−${max}`))
  versions.forEach((v, i) => {
    const x = 45 + i * step
    const g = svg('g', { 'data-version': v.version })
    g.append(svg('title', {}, `v${v.version} ${v.operation}: +${v.inserted ?? 0} inserted, ${v.updated ?? 0} updated, −${v.deleted ?? 0} deleted rows; files +${v.filesAdded} −${v.filesRemoved}${v.dvChanged ? `, ${v.dvChanged} new deletion vectors` : ''}`))
    const ins = scale(v.inserted ?? 0)
    const upd = scale(v.updated ?? 0)
    const del = scale(v.deleted ?? 0)
    g.append(svg('rect', { x, y: mid - ins, width: bar, height: ins, fill: '#27ae60' }))
    g.append(svg('rect', { x, y: mid - ins - upd, width: bar, height: upd, fill: '#f39c12' }))
    g.append(svg('rect', { x, y: mid, width: bar, height: del, fill: '#c0392b' }))
    // the operation as a coloured tick under the axis, the version number below
    g.append(svg('rect', { x, y: hgt - 22, width: bar, height: 5, fill: opColor(v.operation) }))
    if (versions.length <= 40 || i % Math.ceil(versions.length / 40) === 0) g.append(svg('text', { x: x + bar / 2, y: hgt - 6, 'font-size': 9, 'text-anchor': 'middle' }, String(v.version)))
    out.append(g)
  })
  return out
}

export interface Bin { lo: number; hi: number; count: number }

/** `values` in `bins` equal-width bins from 0 to the maximum. */
export function binValues(values: number[], bins = 20): Bin[] {
  const max = Math.max(0, ...values)
  const width = max === 0 ? 1 : max / bins
  const out: Bin[] = Array.from({ length: bins }, (_, i) => ({ lo: i * width, hi: (i + 1) * width, count: 0 }))
  for (const v of values) out[Math.min(bins - 1, Math.floor(v / width))].count++
  return out
}

/** A histogram of `bins` with axis labels formatted by `label`; `marker` draws a vertical line at a value. */
export function histogram(bins: Bin[], label: (n: number) => string, title: string, marker?: { at: number; text: string }): SVGSVGElement {
  const w = 560
  const hgt = 200
  const left = 40
  const bottom = 170
  const max = Math.max(1, ...bins.map((b) => b.count))
  const bw = (w - left - 10) / bins.length
  const top = bins.length ? bins[bins.length - 1].hi : 1
  const out = svg('svg', { viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, class: 'histogram', role: 'img', 'aria-label': title })
  out.dataset.counts = JSON.stringify(bins.map((b) => b.count))
  out.append(svg('text', { x: left, y: 12, 'font-size': 11, 'font-weight': 'bold' }, title))
  out.append(svg('text', { x: 2, y: 30, 'font-size': 10 }, String(max)))
  out.append(svg('line', { x1: left, x2: w - 5, y1: bottom, y2: bottom, stroke: '#999' }))
  bins.forEach((b, i) => {
    const bh = (b.count / max) * (bottom - 25)
    const r = svg('rect', { x: left + i * bw + 1, y: bottom - bh, width: Math.max(1, bw - 2), height: bh, fill: '#2f7ed8' })
    r.append(svg('title', {}, `${label(b.lo)} – ${label(b.hi)}: ${b.count} files`))
    out.append(r)
  })
  out.append(svg('text', { x: left, y: bottom + 14, 'font-size': 10 }, label(0)))
  out.append(svg('text', { x: w - 5, y: bottom + 14, 'font-size': 10, 'text-anchor': 'end' }, label(top)))
  if (marker && marker.at <= top) {
    const x = left + (marker.at / top) * (w - left - 10)
    out.append(svg('line', { x1: x, x2: x, y1: 20, y2: bottom, stroke: '#c0392b', 'stroke-dasharray': '4 3' }))
    out.append(svg('text', { x: x + 3, y: 28, 'font-size': 10, fill: '#c0392b' }, marker.text))
  }
  return out
}
