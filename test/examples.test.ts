// Every recipe of examples/ runs as a user runs it (`npx tsx examples/<name>.ts`, from the repository
// root, where tsconfig's paths resolve `lagomago` to src/), and what it wrote or printed is checked
// against values written here, by reading its tables back independently. The recipes run at once
// (separate processes) and each test awaits its own.
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { DeltaTable } from '../src/index.js'
import { Lake } from '../src/medallion/index.js'
import { BUCKET, describeWithServer, s3Server, s3StoreFor, uniquePrefix } from './cloud/servers.js'

const root = join(import.meta.dirname, '..')
const work = mkdtempSync(join(tmpdir(), 'lagomago-examples-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

interface Run { code: number | null; stdout: string; stderr: string }
const runs = new Map<string, Promise<Run>>()
/** Start `examples/<name>.ts` (once) and resolve when it exits. */
function run(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  let p = runs.get(name)
  if (!p) {
    p = new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join('examples', `${name}.ts`), ...args], { cwd: root, env: { ...process.env, ...env } })
      let stdout = '', stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.on('close', (code) => resolve({ code, stdout, stderr }))
    })
    runs.set(name, p)
  }
  return p
}
async function ok(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const r = await run(name, args, env)
  expect(r.code, r.stderr).toBe(0)
  return r.stdout
}

const cdcDir = join(work, 'customers'), ttDir = join(work, 'prices'), duckDir = join(work, 'sales'), lakeDir = join(work, 'lake')
const s3 = s3Server()
const s3Prefix = uniquePrefix('examples')
// all at once: each recipe is a process of its own
run('cdc-merge', [cdcDir]); run('time-travel', [ttDir]); run('http-store'); run('duckdb-arrow', [duckDir]); run('medallion', [lakeDir])

const byKey = (k: string) => (a: Record<string, unknown>, b: Record<string, unknown>) => String(a[k]).localeCompare(String(b[k]))

describe('examples/', () => {
  it('every recipe has a test here', () => {
    const tested = ['cdc-merge', 'time-travel', 'http-store', 'duckdb-arrow', 'medallion', 's3']
    expect(readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()).toEqual(tested.sort())
  })

  it('cdc-merge: the Debezium feed leaves the latest image per key, deletes applied', async () => {
    await ok('cdc-merge')
    const t = await DeltaTable.open(cdcDir)
    expect(t.version).toBe(2) // create, append, one merge
    // 1 deleted (lsn 12); 2's last change is lsn 11 (lsn 9 is older); 4 inserted then updated; 3 untouched
    expect((await t.toRows()).sort(byKey('id'))).toEqual([
      { id: 2n, name: 'bia', city: 'campinas' },
      { id: 3n, name: 'caio', city: 'belo horizonte' },
      { id: 4n, name: 'davi', city: 'florianopolis' },
    ])
  }, 180_000)

  it('time-travel: each version holds what its write left, and the recipe read version 2 by timestamp', async () => {
    const out = await ok('time-travel')
    const at = async (version: number) => (await (await DeltaTable.open(ttDir, { version })).toRows()).sort(byKey('sku'))
    expect(await at(0)).toEqual([])
    expect(await at(1)).toEqual([{ sku: 'a', price: '10.00' }, { sku: 'b', price: '20.00' }])
    expect(await at(2)).toEqual([{ sku: 'a', price: '20.00' }, { sku: 'b', price: '20.00' }])
    expect(await at(3)).toEqual([{ sku: 'a', price: '20.00' }])
    const h = await (await DeltaTable.open(ttDir)).history()
    expect(h.map((e) => e.operation)).toEqual(['DELETE', 'UPDATE', 'WRITE', 'CREATE TABLE'])
    expect(out).toContain(`as of ${new Date(h[1].timestamp).toISOString()} (version 2):`)
  }, 180_000)

  it('http-store: reads the latest version with a filter and version 1 over HTTP', async () => {
    const out = await ok('http-store')
    expect(out).toContain(`version 2: ${inspect([{ city: 'manaus', population: 2063547n }])}`)
    expect(out).toContain(`version 1: ${inspect([{ city: 'recife', population: 1488920n }])}`)
    expect(out).toMatch(/HTTP requests: \{ get: [1-9]\d*, head: \d+, put: 0, list: 0, delete: 0/)
  }, 180_000)

  it('duckdb-arrow: Arrow counts and DuckDB sums over our Parquet equal the rows written', async () => {
    const out = await ok('duckdb-arrow')
    const written = [['SP', '10.50'], ['RJ', '7.25'], ['SP', '4.50'], ['MG', '100.00'], ['RJ', '0.75']]
    const cents = new Map<string, number>(), counts: Record<string, number> = {}
    for (const [uf, amount] of written) {
      cents.set(uf, (cents.get(uf) ?? 0) + Math.round(Number(amount) * 100))
      counts[uf] = (counts[uf] ?? 0) + 1
    }
    const totals = [...cents].sort(([a], [b]) => a.localeCompare(b)).map(([uf, c]) => ({ uf, total: (c / 100).toFixed(2) }))
    expect(out).toContain(`Arrow: ${written.length} rows, per uf ${inspect(counts)}`)
    expect(out).toContain(`DuckDB: ${inspect(totals)}`)
    expect((await (await DeltaTable.open(duckDir)).toRows()).map((r) => [r.uf, r.amount]).sort()).toEqual([...written].sort())
  }, 180_000)

  it('medallion: bronze keeps every extract row (the bad amount rescued), silver the latest per id, gold the revenue', async () => {
    const out = await ok('medallion')
    expect(out).toContain('job SUCCESS: bronze SUCCESS, silver SUCCESS, gold SUCCESS')
    const lake = new Lake(lakeDir)
    const bronze = (await (await lake.table('bronze.orders')).toRows()).map((r) => [r.id, r.amount, r._rescued_data === null ? null : JSON.parse(String(r._rescued_data)).amount])
    expect(bronze.sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1])))).toEqual([
      [1n, '10.00', null], [1n, '12.00', null], [2n, '25.50', null], [3n, null, 'n/a'], [4n, '4.50', null],
    ])
    const silver = (await (await lake.table('silver.orders')).toRows()).map((r) => [r.id, r.customer, r.amount]).sort((a, b) => Number(a[0]) - Number(b[0]))
    expect(silver).toEqual([[1n, 'ana', '12.00'], [2n, 'bia', '25.50'], [3n, 'ana', null], [4n, 'bia', '4.50']])
    // gold from the silver rows above: ana 2 orders (12.00 + null), bia 2 (25.50 + 4.50)
    expect((await (await lake.table('gold.revenue')).toRows()).sort(byKey('customer'))).toEqual([
      { customer: 'ana', orders: 2n, revenue: '12.00' },
      { customer: 'bia', orders: 2n, revenue: '30.00' },
    ])
  }, 180_000)
})

describeWithServer('examples/s3.ts on Ceph RGW', s3, (server) => {
  it('writes, deletes and reads back a partitioned table on S3', async () => {
    const out = await ok('s3', [`s3://${BUCKET}/${s3Prefix}/trips`], {
      AWS_ENDPOINT_URL_S3: server.endpoint, AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey, AWS_REGION: server.region,
    })
    expect(out).toContain(`s3://${BUCKET}/${s3Prefix}/trips at version 2:`)
    const t = await DeltaTable.open(s3StoreFor(server, `${s3Prefix}/trips`))
    expect(t.version).toBe(2)
    expect((await t.toRows()).sort(byKey('id'))).toEqual([{ id: 1n, city: 'lisboa', km: 3.5 }, { id: 3n, city: 'lisboa', km: 7.25 }])
  }, 180_000)
})
