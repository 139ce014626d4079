// Every change feed shape against a model written here: a random history over a few keys (inserts,
// updates, deletes, re-creates after a delete, several events per key) is rendered as the feed
// (plain op column, Debezium flattened, Debezium envelope, AWS DMS, Delta CDF with pre-images),
// cut into one or several batches in history order, each batch shuffled (pre-images may land after
// their post-images), and merged. After each batch the table must equal the model's replay of the
// history up to that batch's end. The model is a Map of live rows: nothing from src/ computes it.
import * as arrow from 'apache-arrow'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeltaTable, MemoryStore } from '../../src/index.js'
import type { StructField } from '../../src/index.js'

const f = (name: string, type: StructField['type'], nullable = true): StructField => ({ name, type, nullable, metadata: {} })

type Image = { id: number; v: string; n: number | null }
type Event = { kind: 'insert' | 'update' | 'delete'; seq: number; before: Image | null; after: Image | null }

/** A history in truth order: inserts of absent keys (creates and re-creates), updates and deletes of live ones. */
const historyArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.nat(9), fc.string({ maxLength: 2 }), fc.option(fc.integer({ min: -5, max: 5 }), { nil: null })), { minLength: 1, maxLength: 28 })
  .map((steps) => {
    const live = new Map<number, Image>()
    return steps.map(([id, roll, v, n], i): Event => {
      const before = live.get(id) ?? null
      const seq = i + 1
      if (!before) { const after = { id, v, n }; live.set(id, after); return { kind: 'insert', seq, before, after } }
      if (roll < 3) { live.delete(id); return { kind: 'delete', seq, before, after: null } }
      const after = { id, v, n }
      live.set(id, after)
      return { kind: 'update', seq, before, after }
    })
  })

/** The model: replay events in truth order over a Map of live rows. */
function replay(events: Event[]): string[] {
  const live = new Map<number, Image>()
  for (const e of events) {
    if (e.kind === 'delete') live.delete(e.before!.id)
    else live.set(e.after!.id, e.after!)
  }
  return [...live.values()].sort((a, b) => a.id - b.id).map((r) => `${r.id}|${r.v}|${r.n}`)
}

/** A feed: how an event becomes rows, the merge options it needs, and whether batch order may be shuffled. */
interface Feed {
  /** `style`: one per run, for choices a real feed makes once (a column's type). */
  rows(e: Event, pick: number, style: number): unknown[]
  options: Record<string, unknown>
  format: string
}

const pickOf = <T>(xs: T[], k: number): T => xs[k % xs.length]
const img = (i: Image) => ({ id: BigInt(i.id), v: i.v, n: i.n === null ? null : BigInt(i.n) })

const FEEDS: Record<string, Feed> = {
  plain: {
    format: 'plain',
    options: { sequence: 'seq' },
    rows: (e, k) => [e.kind === 'delete'
      ? { op: pickOf(['D', 'delete', 'd', 'DELETE'], k), id: BigInt(e.before!.id), seq: BigInt(e.seq) }
      : { op: pickOf(e.kind === 'insert' ? ['I', 'insert', 'c', 'r', 'U', 'upsert'] : ['U', 'update', 'u', 'Update', 'upsert'], k), ...img(e.after!), seq: BigInt(e.seq) }],
  },
  debezium: {
    format: 'debezium',
    options: { sequence: '__lsn' },
    rows: (e, k, style) => {
      const op = e.kind === 'delete' ? 'd' : e.kind === 'insert' ? pickOf(['c', 'r'], k) : 'u'
      // `__deleted` as text, as a boolean, or not configured
      const deleted = pickOf<unknown>([String(e.kind === 'delete'), e.kind === 'delete', undefined], style)
      const row: Record<string, unknown> = { ...img(e.after ?? e.before!), __op: op, __lsn: BigInt(e.seq), __source_ts_ms: BigInt(1_700_000_000_000 + e.seq), __table: 'items' }
      if (deleted !== undefined) row.__deleted = deleted
      return [row]
    },
  },
  envelope: {
    format: 'debezium-envelope',
    options: { sequence: 'source.lsn' },
    rows: (e, k) => {
      const env = { before: e.before, after: e.after, op: e.kind === 'delete' ? 'd' : e.kind === 'insert' ? pickOf(['c', 'r'], k) : 'u', source: { connector: 'postgresql', lsn: e.seq, table: 'items' }, ts_ms: 1_700_000_000_000 + e.seq }
      const rec = k % 2 ? { schema: {}, payload: env } : env
      // a Kafka tombstone follows some deletes
      return e.kind === 'delete' && k % 3 === 0 ? [rec, null] : [rec]
    },
  },
  dms: {
    format: 'dms',
    options: { sequence: 'ts' },
    rows: (e) => [{ Op: e.kind === 'delete' ? 'D' : e.kind === 'insert' ? 'I' : 'U', ...img(e.after ?? e.before!), ts: BigInt(e.seq) }],
  },
  cdf: {
    format: 'delta-cdf',
    options: {},
    rows: (e) => {
      const meta = { _commit_version: BigInt(e.seq), _commit_timestamp: new Date(1_700_000_000_000 + e.seq) }
      if (e.kind === 'update') return [{ ...img(e.before!), _change_type: 'update_preimage', ...meta }, { ...img(e.after!), _change_type: 'update_postimage', ...meta }]
      return [{ ...img(e.after ?? e.before!), _change_type: e.kind === 'delete' ? 'delete' : 'insert', ...meta }]
    },
  },
}

/** Plain-object rows as an Arrow table (the feeds whose rows are flat), typed by the first non-null value. */
function toArrow(rows: Record<string, unknown>[]): arrow.Table {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))]
  const cols: Record<string, arrow.Vector> = {}
  for (const name of names) {
    const values = rows.map((r) => r[name] ?? null)
    const v = values.find((x) => x !== null)
    const type = typeof v === 'bigint' ? new arrow.Int64() : typeof v === 'boolean' ? new arrow.Bool() : v instanceof Date ? new arrow.TimestampMillisecond() : new arrow.Utf8()
    cols[name] = arrow.vectorFromArray(values, type as arrow.DataType)
  }
  return new arrow.Table(cols)
}

const deliveryArb = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
  shuffleSeed: fc.nat(),
  picks: fc.array(fc.nat(11), { minLength: 1, maxLength: 40 }),
  arrow: fc.boolean(),
  dv: fc.boolean(),
})

/** Deterministic shuffle (Fisher–Yates on a small LCG). */
function shuffle<T>(xs: T[], seed: number): T[] {
  const out = xs.slice()
  let s = seed >>> 0
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

describe('every change feed shape equals a replay of its history', () => {
  for (const [name, feed] of Object.entries(FEEDS)) {
    it(name, async () => {
      await fc.assert(fc.asyncProperty(historyArb, deliveryArb, async (history, d) => {
        const t = await DeltaTable.create(new MemoryStore(), {
          schema: { type: 'struct', fields: [f('id', 'long', false), f('v', 'string'), f('n', 'long')] },
          primaryKey: 'id', properties: { 'delta.enableDeletionVectors': String(d.dv) },
        })
        let start = 0
        for (let b = 0; start < history.length; b++) {
          const events = history.slice(start, start + d.sizes[b % d.sizes.length])
          start += events.length
          const rows = shuffle(events.flatMap((e, i) => feed.rows(e, d.picks[(start + i) % d.picks.length], d.shuffleSeed % 3)), d.shuffleSeed + b)
          const flat = name !== 'envelope' && d.arrow
          const r = await t.merge((flat ? toArrow(rows as Record<string, unknown>[]) : rows) as never, feed.options)
          expect(r.cdc.format).toBe(feed.format)
          const got = (await t.toRows()).sort((x, y) => Number(x.id) - Number(y.id)).map((x) => `${x.id}|${x.v}|${x.n}`)
          expect(got).toEqual(replay(history.slice(0, start)))
        }
      }), { numRuns: Number(process.env.CDC_RUNS ?? 20) })
    }, 120_000)
  }

  it('without a sequence, batch order decides (plain and DMS feeds delivered unshuffled)', async () => {
    await fc.assert(fc.asyncProperty(historyArb, fc.integer({ min: 1, max: 30 }), fc.constantFrom('plain', 'dms'), async (history, size, name) => {
      const t = await DeltaTable.create(new MemoryStore(), { schema: { type: 'struct', fields: [f('id', 'long', false), f('v', 'string'), f('n', 'long')] }, primaryKey: 'id' })
      const feed = FEEDS[name]
      const seqCol = feed.options.sequence as string
      for (let start = 0; start < history.length; start += size) {
        const rows = history.slice(start, start + size).flatMap((e) => feed.rows(e, e.seq, 0)) as Record<string, unknown>[]
        const r = await t.merge(rows, { ignoreColumns: [seqCol] })
        expect(r.cdc.sequence).toBeNull()
      }
      const got = (await t.toRows()).sort((x, y) => Number(x.id) - Number(y.id)).map((x) => `${x.id}|${x.v}|${x.n}`)
      expect(got).toEqual(replay(history))
    }), { numRuns: 15 })
  }, 60_000)
})
