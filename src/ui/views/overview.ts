// The overview of a table at its latest version: identity, size, partitioning, schema, properties,
// and the protocol with its table features (each marked when this reader supports it).
import { SUPPORTED_READER_FEATURES, SUPPORTED_WRITER_FEATURES, type StructField } from '../../index.js'
import { facts, fmtBytes, fmtInt, fmtTime, h, htmlTable, statsRows, typeText } from '../dom.js'
import type { TableCtx } from '../main.js'

export async function overviewView(root: HTMLElement, ctx: TableCtx): Promise<void> {
  const t = ctx.latest
  const files = await t.files()
  const rows = statsRows(files)
  const dvRows = files.reduce((n, f) => n + (f.deletionVector?.cardinality ?? 0), 0)
  const p = t.protocol
  root.append(
    h('h2', {}, 'Table'),
    facts([
      ['version', 'version', t.version],
      ['timestamp', 'committed', fmtTime(t.timestamp)],
      ['id', 'id', t.metadata.id],
      ['description', 'description', t.metadata.description ?? '—'],
      ['rows', 'rows (from file stats)', rows === undefined ? 'unknown (files without stats)' : fmtInt(rows)],
      ['dv-rows', 'rows deleted by deletion vectors', fmtInt(dvRows)],
      ['files', 'data files', fmtInt(files.length)],
      ['bytes', 'size', `${fmtBytes(files.reduce((n, f) => n + f.size, 0))}`],
      ['partitions', 'partition columns', t.partitionColumns.length ? t.partitionColumns.join(', ') : '(none)'],
      ['created', 'created', t.metadata.createdTime ? fmtTime(t.metadata.createdTime) : '—'],
    ]),
    h('h2', {}, 'Schema'),
    schemaTable(t.schema.fields, t.partitionColumns),
    h('h2', {}, 'Properties'),
    Object.keys(t.properties).length
      ? htmlTable(['property', 'value'], Object.entries(t.properties).sort().map(([k, v]) => [k, v]), { id: 'properties' })
      : h('p', { class: 'muted' }, '(none)'),
    h('h2', {}, 'Protocol'),
    facts([
      ['min-reader', 'minReaderVersion', p.minReaderVersion],
      ['min-writer', 'minWriterVersion', p.minWriterVersion],
    ]),
    featureTable(p.readerFeatures ?? [], p.writerFeatures ?? []),
  )
}

function schemaTable(fields: StructField[], partitionColumns: string[]): HTMLElement {
  const rows = fields.map((f) => [
    f.name, typeText(f.type), f.nullable ? 'yes' : 'no',
    partitionColumns.includes(f.name) ? 'partition' : '',
    typeof f.metadata?.comment === 'string' ? f.metadata.comment : '',
  ])
  return htmlTable(['column', 'type', 'nullable', '', 'comment'], rows, { id: 'schema' })
}

function featureTable(reader: string[], writer: string[]): HTMLElement {
  const names = [...new Set([...reader, ...writer])].sort()
  if (names.length === 0) return h('p', { class: 'muted', id: 'features' }, 'No table features (legacy protocol versions).')
  const readable = new Set<string>(SUPPORTED_READER_FEATURES)
  const writable = new Set<string>(SUPPORTED_WRITER_FEATURES)
  return htmlTable(['feature', 'reader', 'writer', 'supported here'], names.map((n) => [
    n, reader.includes(n) ? 'yes' : '', writer.includes(n) ? 'yes' : '',
    reader.includes(n) ? (readable.has(n) ? 'read' : 'NO') : writable.has(n) ? 'read, write' : 'read',
  ]), { id: 'features' })
}
