// End to end: the demo job on generated data. Gold (and silver) equal an independent computation
// straight from the raw files; a rerun writes nothing; runs killed at random points and restarted
// converge to the same lake as an uninterrupted run.
import { spawn } from 'node:child_process'
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Lake } from '../../src/medallion/catalog.js'
import { runDemo, type DemoOptions } from '../../src/medallion/demo/main.js'
import { PIPELINE_TABLES } from '../../src/medallion/demo/pipeline.js'
import { JOB_RUNS_TABLE } from '../../src/medallion/job.js'
import { rng } from '../../src/medallion/demo/generator.js'

const GEN = { clients: 25, cdcFiles: 5, insertsPerFile: 24, seed: 7 }
const INGESTED_AT = '2024-03-05T00:00:00.000Z'
const OPTS: DemoOptions = { ...GEN, quiet: true, out: () => {}, ingestedAt: new Date(INGESTED_AT) }

let root: string
let lake: Lake
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lagomago-e2e-'))
  lake = new Lake(join(root, 'lake'))
})
afterAll(async () => { await rm(root, { recursive: true, force: true }) })

const cents = (x: number): bigint => BigInt(Math.round(x * 100))
const dec = (c: bigint): string => { const n = c < 0n; const t = (n ? -c : c).toString().padStart(3, '0'); return `${n ? '-' : ''}${t.slice(0, -2)}.${t.slice(-2)}` }

/** The expected silver and gold, computed from the raw files alone (no lagomago code). */
async function expected(lakeRoot: string) {
  const cdcDir = join(lakeRoot, 'raw', 'cdc', 'transacao')
  const events: Record<string, unknown>[] = []
  for (const f of (await readdir(cdcDir)).filter((x) => x.endsWith('.parquet'))) {
    const b = await readFile(join(cdcDir, f))
    events.push(...await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, compressors }))
  }
  const last = new Map<bigint, Record<string, unknown>>()
  for (const e of events) {
    const cur = last.get(e.id_transacao as bigint)
    if (!cur || (e.seq as bigint) > (cur.seq as bigint)) last.set(e.id_transacao as bigint, e)
  }
  const live = [...last.values()].filter((e) => e.op !== 'D')
  const silver = live.map((e) => ({
    transacao_id: e.id_transacao, cliente_id: e.id_cliente, tipo: e.tipo, natureza: e.natureza, valor: dec(cents(e.valor as number)),
    data_hora: (e.data_transacao as Date).toISOString(), data: (e.data_transacao as Date).toISOString().slice(0, 10), status: e.status, canal: e.canal, sequencia: e.seq,
  }))
  const fullDir = join(lakeRoot, 'raw', 'full', 'clientes')
  const latest = (await readdir(fullDir)).filter((x) => x.endsWith('.jsonl')).sort().pop()!
  const clientes = new Map((await readFile(join(fullDir, latest), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).map((c) => [BigInt(c.id_cliente), {
    nome: c.nome.trim().replace(/\s+/g, ' '), uf: c.uf.trim().toUpperCase(), segmento: c.segmento.trim().toUpperCase(),
  }]))
  const saldo = new Map<bigint, { qtd: bigint; c: bigint; d: bigint }>()
  const resumo = new Map<string, { data: string; tipo: unknown; qtd: bigint; valor: bigint; canc: bigint }>()
  for (const e of silver) {
    const r = resumo.get(`${e.data}|${e.tipo}`) ?? { data: e.data, tipo: e.tipo, qtd: 0n, valor: 0n, canc: 0n }
    resumo.set(`${e.data}|${e.tipo}`, r)
    if (e.status === 'CANCELADA') r.canc++
    if (e.status !== 'CONCLUIDA') continue
    r.qtd++
    r.valor += BigInt(e.valor.replace('.', ''))
    const s = saldo.get(e.cliente_id as bigint) ?? { qtd: 0n, c: 0n, d: 0n }
    saldo.set(e.cliente_id as bigint, s)
    s.qtd++
    if (e.natureza === 'C') s.c += BigInt(e.valor.replace('.', '')); else s.d += BigInt(e.valor.replace('.', ''))
  }
  return {
    silver,
    saldo: [...saldo].map(([id, s]) => ({
      cliente_id: id, nome: clientes.get(id)?.nome ?? null, uf: clientes.get(id)?.uf ?? null, segmento: clientes.get(id)?.segmento ?? null,
      qtd_transacoes: s.qtd, total_entradas: dec(s.c), total_saidas: dec(s.d), saldo: dec(s.c - s.d),
    })),
    resumo: [...resumo.values()].map((r) => ({ data: r.data, tipo: r.tipo, qtd: r.qtd, valor_total: dec(r.valor), qtd_canceladas: r.canc })),
    numEvents: events.length, numDeletes: [...last.values()].length - live.length,
  }
}

/** Rows as sorted JSON lines (Dates as ISO, date-only when midnight). */
function canon(rows: Record<string, unknown>[]): string[] {
  return rows.map((r) => JSON.stringify(r, (_k, v) => typeof v === 'bigint' ? `${v}` : v)).map((s) => s.replace(/T00:00:00\.000Z/g, '')).sort()
}

async function snapshotOf(l: Lake): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const name of PIPELINE_TABLES) out[name] = canon(await (await l.table(name)).toRows())
  return out
}

describe('the demo pipeline', () => {
  it('gold and silver equal an independent computation from the raw files', async () => {
    const r = await runDemo(lake.root, OPTS)
    expect(r.status).toBe('SUCCESS')
    const exp = await expected(lake.root)
    expect(exp.numDeletes).toBeGreaterThan(0) // the data does exercise deletes
    expect(canon(await (await lake.table('lake.silver.transacoes')).toRows())).toEqual(canon(exp.silver))
    expect(canon(await (await lake.table('lake.gold.saldo_clientes')).toRows())).toEqual(canon(exp.saldo))
    expect(canon(await (await lake.table('lake.gold.resumo_diario')).toRows())).toEqual(canon(exp.resumo))
  })

  it('a rerun finds no new files and writes no table version', async () => {
    const before = new Map<string, number>()
    for (const n of PIPELINE_TABLES) before.set(n, (await lake.table(n)).version)
    const r = await runDemo(lake.root, OPTS)
    expect(r.status).toBe('SUCCESS')
    for (const n of PIPELINE_TABLES) expect([n, (await lake.table(n)).version]).toEqual([n, before.get(n)])
    expect(r.tasks.every((t) => Object.keys(t.versions).length === 0)).toBe(true)
    const runs = await (await lake.table(JOB_RUNS_TABLE)).toRows({ filter: `run_id = '${r.runId}'` })
    expect(runs.map((x) => [x.task, x.status, x.versions_written]).sort()).toEqual(r.tasks.map((t) => [t.task, 'SUCCESS', null]).sort())
  })

  it('runs killed at random points and restarted converge to the uninterrupted lake', async () => {
    const crashed = join(root, 'crashed')
    const random = rng(Number(process.env.CRASH_SEED ?? 42))
    const args = [join('src', 'medallion', 'demo', 'main.ts'), crashed, '--quiet', '--ingested-at', INGESTED_AT,
      '--clients', String(GEN.clients), '--cdc-files', String(GEN.cdcFiles), '--inserts', String(GEN.insertsPerFile), '--seed', String(GEN.seed)]
    const killedAt: string[] = []
    for (let i = 0; i < 3; i++) {
      // SIGKILL (no cleanup at all) a few ms after a random progress line: line 1 is printed before
      // the raw files are generated, later ones as tasks start, commit batches and end
      const line = await runChild(args, { line: 1 + Math.floor(random() * 12), delayMs: Math.floor(random() * 15) })
      killedAt.push(line)
    }
    const final = await runChild(args, undefined)
    expect(final).toMatch(/job lakehouse_bancario SUCCESS/)
    expect(await snapshotOf(new Lake(crashed))).toEqual(await snapshotOf(lake))
    expect(killedAt.length).toBe(3)
    if (process.env.DEBUG_CRASH) console.log(killedAt)
  }, 60_000)

  it('files landing later are the only ones a new run ingests, and gold still equals the raw computation', async () => {
    const lines: string[] = []
    const r = await runDemo(lake.root, { ...OPTS, cdcFiles: GEN.cdcFiles + 2, out: (l) => lines.push(l) })
    expect(r.status).toBe('SUCCESS')
    const bronze = r.tasks.find((t) => t.task === 'bronze_transacao')!
    expect(Object.values(bronze.versions)).toEqual([[expect.any(Number)]]) // one batch: the two new files
    expect(lines.filter((l) => l.includes('bronze_transacao: batch'))).toEqual([expect.stringMatching(/transacao_0006\.parquet, transacao_0007\.parquet/)])
    expect(r.tasks.find((t) => t.task === 'bronze_clientes')!.versions).toEqual({})
    const exp = await expected(lake.root)
    expect(canon(await (await lake.table('lake.silver.transacoes')).toRows())).toEqual(canon(exp.silver))
    expect(canon(await (await lake.table('lake.gold.saldo_clientes')).toRows())).toEqual(canon(exp.saldo))
    expect(canon(await (await lake.table('lake.gold.resumo_diario')).toRows())).toEqual(canon(exp.resumo))
  })
})

/** Run the demo in a child; with `kill`, SIGKILL it `delayMs` after its `line`-th output line. Resolves with the last line seen. */
function runChild(args: string[], kill: { line: number; delayMs: number } | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: join(import.meta.dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] })
    let last = ''
    let err = ''
    let timer: NodeJS.Timeout | undefined
    let seen = 0
    child.stdout.on('data', (d: Buffer) => {
      const lines = d.toString().trim().split('\n')
      seen += lines.length
      if (!timer) last = lines[lines.length - 1] || last
      if (kill && !timer && seen >= kill.line) timer = setTimeout(() => child.kill('SIGKILL'), kill.delayMs)
    })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer)
      if (signal === 'SIGKILL' || code === 0) resolve(last)
      else reject(new Error(`child exited ${code}: ${err || last}`))
    })
  })
}
