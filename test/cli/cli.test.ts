// The `lagomago` CLI over a small demo lake: every command, human and --json output, catalog names
// resolved under --lake, exit codes for usage and table errors, and the executable entry itself.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/main.js'
import { Lake } from '../../src/medallion/catalog.js'
import { runDemo } from '../../src/medallion/demo/main.js'

let root: string
let lake: Lake
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lagomago-cli-'))
  lake = new Lake(join(root, 'lake'))
  const r = await runDemo(lake.root, { clients: 12, cdcFiles: 3, insertsPerFile: 10, quiet: true, out: () => {} })
  expect(r.status).toBe('SUCCESS')
}, 30_000)
afterAll(async () => { await rm(root, { recursive: true, force: true }) })

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli([...argv, '--lake', lake.root], { out: (s) => out.push(s), err: (s) => err.push(s) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe('lagomago CLI', () => {
  it('describe: readable and --json, by catalog name or path', async () => {
    const human = await cli('describe', 'lake.bronze.transacao')
    expect(human.code).toBe(0)
    expect(human.out).toMatch(/version {5}\d+/)
    expect(human.out).toMatch(/│ id_transacao +│ long +│ false +│/)
    expect(human.out).toContain('lagomago.primaryKey = ["id_transacao"]')
    const json = JSON.parse((await cli('describe', lake.path('lake.bronze.transacao'), '--json')).out)
    const t = await lake.table('lake.bronze.transacao')
    expect(json).toMatchObject({ version: t.version, name: 'lake.bronze.transacao', numFiles: (await t.files()).length })
    expect(json.schema.map((f: { name: string }) => f.name)).toEqual(t.schema.fields.map((f) => f.name))
  })

  it('describe counts live records: rows deleted by deletion vectors are not records', async () => {
    const { DeltaTable } = await import('../../src/index.js')
    const path = join(root, 'dv-table')
    const t = await DeltaTable.create(path, {
      schema: { type: 'struct', fields: [{ name: 'id', type: 'long', nullable: false, metadata: {} }] },
      properties: { 'delta.enableDeletionVectors': 'true' },
    })
    await t.append(Array.from({ length: 100 }, (_, i) => ({ id: BigInt(i) })))
    await t.delete('id % 7 = 0') // 15 rows (0, 7, …, 98) marked in a deletion vector
    expect((await t.files()).some((f) => f.deletionVector)).toBe(true)
    const json = JSON.parse((await cli('describe', path, '--json')).out)
    expect(json.numRecords).toBe(85)
    expect(json.numDeletedByDeletionVectors).toBe(15)
    expect((await cli('describe', path)).out).toContain('85 records; 15 more deleted by deletion vectors')
  })

  it('scan prints a timestamp at midnight as a timestamp and a date as a day', async () => {
    const { DeltaTable } = await import('../../src/index.js')
    const path = join(root, 'ts-table')
    const t = await DeltaTable.create(path, {
      schema: { type: 'struct', fields: [{ name: 'at', type: 'timestamp', nullable: true, metadata: {} }, { name: 'day', type: 'date', nullable: true, metadata: {} }] },
    })
    await t.append([{ at: new Date('2024-03-01T00:00:00Z'), day: new Date('2024-03-01T00:00:00Z') }])
    const out = (await cli('scan', path)).out
    expect(out).toMatch(/│ 2024-03-01 00:00:00Z │ 2024-03-01 +│/)
  })

  it('history, scan (columns, filter, limit, time travel) and changes', async () => {
    const t = await lake.table('lake.bronze.clientes')
    const h = JSON.parse((await cli('history', 'bronze.clientes', '--limit', '2', '--json')).out)
    expect(h.map((e: { version: number }) => e.version)).toEqual([t.version, t.version - 1])
    expect((await cli('history', 'bronze.clientes')).out).toMatch(/│ +0 │ .* │ CREATE TABLE +│/)

    const rows = JSON.parse((await cli('scan', 'lake.silver.clientes', '--columns', 'cliente_id,uf', '--filter', "uf = 'SP'", '--json')).out)
    const want = await (await lake.table('lake.silver.clientes')).toRows({ columns: ['cliente_id', 'uf'], filter: "uf = 'SP'" })
    expect(rows).toEqual(want.map((r) => ({ cliente_id: Number(r.cliente_id), uf: 'SP' })))
    expect(JSON.parse((await cli('scan', 'lake.bronze.clientes', '--version', '1', '--limit', '3', '--json')).out)).toHaveLength(3)
    const v1 = (await (await lake.table('lake.bronze.clientes')).history()).find((e) => e.version === 1)!
    expect(v1.operationMetrics?.numOutputRows).toBeDefined()

    const ch = JSON.parse((await cli('changes', 'lake.bronze.clientes', '--from', '2', '--to', '2', '--json')).out)
    expect(new Set(ch.map((r: { _change_type: string }) => r._change_type))).toEqual(new Set(['insert', 'delete']))
    expect(ch.every((r: { _commit_version: number }) => r._commit_version === 2)).toBe(true)
  })

  it('optimize and vacuum (dry run), tables', async () => {
    const before = await (await lake.table('lake.bronze.transacao')).toRows()
    const o = await cli('optimize', 'lake.bronze.transacao', '--json')
    expect(o.code).toBe(0)
    const after = await lake.table('lake.bronze.transacao')
    expect(JSON.parse(o.out).version).toBe(after.version)
    expect((await after.toRows()).length).toBe(before.length)
    const v = JSON.parse((await cli('vacuum', 'lake.bronze.transacao', '--dry-run', '--json')).out)
    expect(v).toMatchObject({ dryRun: true, filesDeleted: [] }) // within the 7-day retention nothing goes
    const tables = JSON.parse((await cli('tables', '--json')).out)
    expect(tables.map((x: { table: string }) => x.table)).toEqual(['lake._system.job_runs', 'lake.bronze.clientes', 'lake.bronze.transacao',
      'lake.gold.resumo_diario', 'lake.gold.saldo_clientes', 'lake.silver.clientes', 'lake.silver.transacoes'])
  })

  it('usage errors exit 2, table errors exit 1 naming the table', async () => {
    expect((await cli()).code).toBe(2)
    expect((await cli('describe')).err).toMatch(/describe needs a table/)
    expect((await cli('frobnicate', 'x')).code).toBe(2)
    const missing = await cli('describe', 'lake.bronze.nope')
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/TableNotFoundError: .*bronze\/nope/)
    expect(JSON.parse((await cli('history', 'lake.bronze.nope', '--json')).err)).toMatchObject({ code: 'TABLE_NOT_FOUND' })
  })

  it('runs as an executable', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join('src', 'cli', 'main.ts'), 'history', 'lake.gold.resumo_diario', '--lake', lake.root, '--json'], { cwd: join(import.meta.dirname, '..', '..') })
    expect(JSON.parse(stdout)[0].operation).toBe('WRITE')
  })
})
