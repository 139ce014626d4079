// DOM and formatting helpers of the explorer page: an element builder, HTML tables, number and
// byte formats, and the display of a cell value from a Delta type (Arrow values from scan(), plain
// values from toRows()).
import type { DataType } from '../index.js'

type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>

/** `h('div', { class: 'x', onclick }, 'text', child…)`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c))
}

/** An HTML table; `key` (a data-k attribute per cell, `column`) lets tests read cells by name. */
export function htmlTable(columns: string[], rows: Child[][], attrs: Attrs = {}): HTMLTableElement {
  return h('table', attrs,
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((v, i) => h('td', { 'data-col': columns[i] }, v))))))
}

/** A definition list of label → value; each value carries `data-k` for tests. */
export function facts(items: Array<[string, string, Child]>): HTMLElement {
  return h('dl', { class: 'facts' }, ...items.flatMap(([k, label, v]) => [h('dt', {}, label), h('dd', { 'data-k': k }, v)]))
}

export const fmtInt = (n: number | bigint): string => n.toLocaleString('en-US')

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`
}

export const fmtTime = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$/, 'Z')

/** A Delta type as SQL-ish text: `decimal(10,2)`, `array<string>`, `struct<a: int, …>`. */
export function typeText(t: DataType): string {
  if (typeof t === 'string') return t
  switch (t.type) {
    case 'array': return `array<${typeText(t.elementType)}>`
    case 'map': return `map<${typeText(t.keyType)}, ${typeText(t.valueType)}>`
    case 'struct': return `struct<${t.fields.map((f) => `${f.name}: ${typeText(f.type)}`).join(', ')}>`
    default: return JSON.stringify(t)
  }
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? hex(x) : x))
const hex = (b: Uint8Array): string => `0x${Array.from(b.subarray(0, 32), (x) => x.toString(16).padStart(2, '0')).join('')}${b.length > 32 ? '…' : ''}`

/** A value as text: dates as days, timestamps in ISO (UTC), decimals from Arrow's unscaled integers. */
export function cellText(v: unknown, type?: DataType): string {
  if (v === null || v === undefined) return 'null'
  const t = typeof type === 'string' ? type : undefined
  if (t === 'date') return new Date(v instanceof Date ? v.getTime() : Number(v)).toISOString().slice(0, 10)
  if (t === 'timestamp' || t === 'timestamp_ntz') return new Date(v instanceof Date ? v.getTime() : Number(v)).toISOString()
  if (t?.startsWith('decimal') && typeof v === 'object' && !(v instanceof Date)) return decimalText(String(v), Number(/,\s*(\d+)\)/.exec(t)?.[1] ?? 0))
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return hex(v)
  if (typeof v === 'object') {
    const plain = typeof (v as { toJSON?: () => unknown }).toJSON === 'function' ? (v as { toJSON: () => unknown }).toJSON() : v
    return json(plain instanceof Map ? Object.fromEntries(plain) : plain)
  }
  return String(v)
}

function decimalText(unscaled: string, scale: number): string {
  if (scale === 0) return unscaled
  const neg = unscaled.startsWith('-')
  const digits = (neg ? unscaled.slice(1) : unscaled).padStart(scale + 1, '0')
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`
}

/** Live rows of files from their stats (numRecords less deletion-vector cardinality); undefined when a file lacks stats. */
export function statsRows(files: Array<{ stats?: string | null; deletionVector?: { cardinality: number } | null }>): number | undefined {
  let n = 0
  for (const f of files) {
    const r = fileRows(f)
    if (r === undefined) return undefined
    n += r - (f.deletionVector?.cardinality ?? 0)
  }
  return n
}

export function fileRows(f: { stats?: string | null }): number | undefined {
  if (!f.stats) return undefined
  try {
    const n = (JSON.parse(f.stats) as { numRecords?: number | string }).numRecords
    return n === undefined ? undefined : Number(n)
  } catch {
    return undefined
  }
}
