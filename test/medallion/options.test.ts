// Every public medallion call checks its options at run time: a misspelled or foreign key is an
// UnknownOptionError naming it (and the call), never silently ignored.
import { describe, expect, it } from 'vitest'
import { DeltaTable, InvalidArgumentError, MemoryStore, UnknownOptionError, type StructType } from '../../src/index.js'
import {
  applyCdc, bronzeSchema, castToSchema, castRows, castValue, changesToEvents, cleanText, DeltaSource, FileSource, formatTable, fullLoad,
  ingestFiles, Job, Lake, rebuild, StreamingQuery, withIngestionMetadata,
} from '../../src/medallion/index.js'
import { generateData } from '../../src/medallion/demo/generator.js'
import { seedPipeline } from '../../src/medallion/demo/pipeline.js'
import { runDemo } from '../../src/medallion/demo/main.js'

const SCHEMA: StructType = { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] }
const bad = <T>(o: T, key = 'colums'): T => ({ ...o, [key]: 1 }) as T
const noop = async (): Promise<void> => {}
const source = { describe: () => 's', recover: () => {}, latest: async () => 0, planNext: async () => undefined, read: async () => [], inputCount: () => 0 }

describe('options are checked', () => {
  it('each call names the unknown key', async () => {
    const t = await DeltaTable.create(new MemoryStore(), { schema: bronzeSchema(SCHEMA), primaryKey: 'id' })
    const calls: Array<[string, () => unknown]> = [
      ['Lake', () => new Lake('/tmp/x', bad({}))],
      ['Job', () => new Job('j', [], bad({}))],
      ['Job task', () => new Job('j', [bad({ name: 'a', run: noop }, 'dependOn')])],
      ['Job.run', () => new Job('j', []).run(new Lake('/tmp/x'), bad({}))],
      ['DeltaSource', () => new DeltaSource(bad({ table: t }))],
      ['StreamingQuery', () => new StreamingQuery(bad({ source, checkpointLocation: '/tmp/x', foreachBatch: noop }))],
      ['StreamingQuery trigger', () => new StreamingQuery({ source, checkpointLocation: '/tmp/x', foreachBatch: noop, trigger: bad({ availableNow: true }, 'procesingTime') })],
      ['FileSource', () => new FileSource(bad({ path: '/tmp/x', schema: SCHEMA }))],
      ['cleanText', () => cleanText(bad({}))],
      ['rebuild', () => rebuild(t, {}, () => [], bad({}))],
      ['formatTable', () => formatTable([], bad({}))],
      ['generateData', () => generateData(bad({}))],
      ['runDemo', () => runDemo('/tmp/x', bad({}))],
      ['seedPipeline', () => seedPipeline(bad({}))],
      ['castValue', () => castValue('1', 'long', bad({}))],
      ['castRows', () => castRows([], SCHEMA, bad({}))],
      ['castToSchema', () => castToSchema(SCHEMA, bad({}, 'mode'))],
      ['fullLoad', () => fullLoad(t, '/tmp/x.jsonl', bad({ schema: SCHEMA }, 'rescuedDataColum'))],
      ['ingestFiles', () => ingestFiles(t, bad({ landing: '/tmp/x', schema: SCHEMA, checkpointLocation: '/tmp/x' }))],
      ['ingestFiles cdc', () => ingestFiles(t, { landing: '/tmp/x', schema: SCHEMA, checkpointLocation: '/tmp/x', cdc: { op: 'op' } as never })],
      ['applyCdc', () => applyCdc(t, [{ id: 1n }], bad({}, 'sequense'))],
      ['changesToEvents', () => changesToEvents([], bad({}, 'keys'))],
      ['bronzeSchema', () => bronzeSchema(SCHEMA, [], bad({}))],
      ['withIngestionMetadata', () => withIngestionMetadata([], bad({ sourceFile: 'f' }))],
    ]
    for (const [name, call] of calls) {
      const e = await (async () => { try { await call() } catch (x) { return x } })()
      expect([name, e]).toEqual([name, expect.any(UnknownOptionError)])
      expect([name, (e as Error).message]).toEqual([name, expect.stringMatching(/unknown option "(colums|dependOn|procesingTime|mode|rescuedDataColum|op|sequense|keys)"/)])
    }
    expect(t.version).toBe(0)
  })

  it('a trigger must be exactly one of availableNow: true or processingTime', () => {
    for (const trigger of [{}, { availableNow: false }, { availableNow: true, processingTime: 5 }]) {
      expect(() => new StreamingQuery({ source, checkpointLocation: '/tmp/x', foreachBatch: noop, trigger: trigger as never })).toThrow(InvalidArgumentError)
    }
  })
})
