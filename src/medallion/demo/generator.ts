// The demo's raw data: a seeded, deterministic generator of a small Brazilian-bank landing zone like
// the seed's: daily full extracts of `clientes` (messy text as source systems send it) and CDC files
// of `transacao` (DMS-style: op I/U/D, a change sequence, full row images) with updates, deletes,
// late (out-of-order) events and stale duplicates. Files appear atomically and existing files are
// never rewritten, so a rerun (or a run after a crash) finds exactly the same files.
import { existsSync } from 'node:fs'
import { mkdir, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { checkOptions } from '../../options.js'

/** Options of the demo's data generator (seeded, so runs repeat). */
export interface GeneratorOptions {
  seed?: number
  /** Clients in the first extract (default 60). */
  clients?: number
  /** Full extracts of clientes (default 3). */
  extracts?: number
  /** CDC files of transacao (default 6). */
  cdcFiles?: number
  /** New transactions per CDC file (default 40). */
  insertsPerFile?: number
}

export interface GeneratedFiles {
  clientes: string[]
  transacao: string[]
  /** Files written by this call (the others already existed). */
  written: string[]
}

export interface ClienteRaw { id_cliente: number; nome: string; cpf: string; uf: string; segmento: string; data_cadastro: string; renda_mensal: string }
export interface TransacaoEvent {
  op: 'I' | 'U' | 'D'; seq: bigint; id_transacao: bigint; id_cliente: bigint; tipo: string; natureza: string
  valor: number; data_transacao: Date; status: string; canal: string
}

/** mulberry32: small, fast, good enough for demo data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FIRST = ['Ana', 'Bruno', 'Carla', 'Diego', 'Eduarda', 'Felipe', 'Gabriela', 'Henrique', 'Isabela', 'João', 'Larissa', 'Marcos', 'Natália', 'Otávio', 'Paula', 'Rafael', 'Sofia', 'Thiago', 'Vitória', 'Wagner']
const LAST = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Rodrigues', 'Ferreira', 'Alves', 'Pereira', 'Lima', 'Gomes', 'Costa', 'Ribeiro', 'Martins', 'Carvalho']
const UF = ['SP', 'RJ', 'MG', 'RS', 'PR', 'BA', 'PE', 'SC', 'GO', 'DF']
const SEGMENTO = ['VAREJO', 'VAREJO', 'VAREJO', 'ALTA_RENDA', 'PRIVATE', 'PJ']
const TIPO: Array<[string, string]> = [['PIX', 'D'], ['PIX', 'C'], ['TED', 'D'], ['TED', 'C'], ['BOLETO', 'D'], ['CARTAO', 'D'], ['SAQUE', 'D'], ['DEPOSITO', 'C'], ['SALARIO', 'C']]
const CANAL = ['APP', 'APP', 'APP', 'INTERNET', 'AGENCIA']

/** The whole dataset, in memory: extracts[day] and cdc[file] (events in file order). */
export const GENERATOR_OPTIONS = ['seed', 'clients', 'extracts', 'cdcFiles', 'insertsPerFile']

/** The demo's raw data in memory: client extracts and transaction CDC events. */
export function generateData(options: GeneratorOptions = {}): { extracts: ClienteRaw[][]; cdc: TransacaoEvent[][] } {
  checkOptions('generateData', options, GENERATOR_OPTIONS)
  const r = rng(options.seed ?? 20240301)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]
  const nClients = options.clients ?? 60
  const nExtracts = options.extracts ?? 3
  const nFiles = options.cdcFiles ?? 6
  const perFile = options.insertsPerFile ?? 40

  // clientes: a population evolving day by day (new clients, segment/income changes, closures)
  let nextClient = 1001
  // incomes as the source system writes them: Brazilian text ('4.512,30'), and for one client in 37
  // 'a combinar' (to be agreed), which the declared decimal type cannot hold: bronze rescues it
  const centsOf = new Map<number, number>()
  const renda = (id: number, cents: number): string => {
    centsOf.set(id, cents)
    if (id % 37 === 0) return 'a combinar'
    const int = String(Math.floor(cents / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, '.')
    return `${int},${String(cents % 100).padStart(2, '0')}`
  }
  const makeClient = (day: number): ClienteRaw => {
    const id = nextClient++
    const d = 1 + Math.floor(r() * 28), m = 1 + Math.floor(r() * 12), y = 2015 + Math.floor(r() * 9)
    const digits = String(Math.floor(r() * 1e11)).padStart(11, '0')
    void day
    return {
      id_cliente: id,
      nome: `${pick(FIRST)} ${pick(LAST)}`,
      cpf: `${digits.slice(0, 3)}.${digits.slice(3, 6)}.${digits.slice(6, 9)}-${digits.slice(9)}`,
      uf: pick(UF),
      segmento: pick(SEGMENTO),
      data_cadastro: `${String(d).padStart(2, '0')}/${String(m).padStart(2, '0')}/${y}`,
      renda_mensal: renda(id, 150000 + Math.floor(r() * 3000000)),
    }
  }
  const live = new Map<number, ClienteRaw>()
  for (let i = 0; i < nClients; i++) { const c = makeClient(0); live.set(c.id_cliente, c) }
  const extracts: ClienteRaw[][] = []
  for (let day = 0; day < nExtracts; day++) {
    if (day > 0) {
      for (let i = 0; i < Math.max(1, Math.floor(nClients / 10)); i++) { const c = makeClient(day); live.set(c.id_cliente, c) }
      const ids = [...live.keys()]
      for (let i = 0; i < Math.max(1, Math.floor(nClients / 12)); i++) {
        const c = live.get(pick(ids))!
        live.set(c.id_cliente, { ...c, segmento: pick(SEGMENTO), renda_mensal: renda(c.id_cliente, Math.round(centsOf.get(c.id_cliente)! * 1.1)) })
      }
      live.delete(pick(ids)) // an account closed: absent from later extracts
    }
    // source-system mess: padding, lower case UFs, double spaces
    extracts.push([...live.values()].map((c) => ({
      ...c,
      nome: r() < 0.2 ? `  ${c.nome.replace(' ', '  ')} ` : c.nome,
      uf: r() < 0.2 ? ` ${c.uf.toLowerCase()}` : c.uf,
    })))
  }
  const clientIds = [...new Set(extracts.flat().map((c) => c.id_cliente))]

  // transacao CDC: full row images with a global change sequence
  let seq = 1_000_000n
  let nextTx = 500_001n
  const state = new Map<bigint, TransacaoEvent>()
  const base = Date.UTC(2024, 2, 1, 8)
  const cdc: TransacaoEvent[][] = []
  let late: TransacaoEvent[] = []
  for (let f = 0; f < nFiles; f++) {
    const events: TransacaoEvent[] = [...late]
    late = []
    const emit = (e: TransacaoEvent): void => {
      // ~8% of events arrive one file late (their sequence is older than what lands before them).
      // The draw happens for the last file too, so the random stream (and every file) does not depend
      // on how many files are asked for: a later run asking for more files extends the same history
      // (the last file's late events then arrive again in the next file: an at-least-once duplicate).
      const hold = r() < 0.08
      if (hold && f < nFiles - 1) late.push(e)
      else events.push(e)
    }
    for (let i = 0; i < perFile; i++) {
      const [tipo, natureza] = pick(TIPO)
      const e: TransacaoEvent = {
        op: 'I', seq: ++seq, id_transacao: nextTx++, id_cliente: BigInt(pick(clientIds)), tipo, natureza,
        valor: Math.round((5 + r() * (tipo === 'SALARIO' ? 8000 : 1500)) * 100) / 100,
        data_transacao: new Date(base + f * 6 * 3600_000 + Math.floor(r() * 6 * 3600_000)),
        status: r() < 0.6 ? 'CONCLUIDA' : 'PENDENTE', canal: pick(CANAL),
      }
      state.set(e.id_transacao, e)
      emit(e)
    }
    const ids = [...state.keys()]
    for (let i = 0; i < Math.floor(perFile / 3); i++) {
      const prev = state.get(pick(ids))!
      if (prev.op === 'D') continue
      const status = prev.status === 'PENDENTE' ? (r() < 0.8 ? 'CONCLUIDA' : 'CANCELADA') : prev.status
      const valor = r() < 0.15 ? Math.round(prev.valor * 90) / 100 : prev.valor // occasional correction
      const e: TransacaoEvent = { ...prev, op: 'U', seq: ++seq, status, valor }
      state.set(e.id_transacao, e)
      emit(e)
    }
    for (let i = 0; i < Math.max(1, Math.floor(perFile / 15)); i++) {
      const prev = state.get(pick(ids))!
      if (prev.op === 'D') continue
      const e: TransacaoEvent = { ...prev, op: 'D', seq: ++seq }
      state.set(e.id_transacao, e)
      emit(e)
    }
    // a stale duplicate: an old image of some row delivered again (at-least-once upstream)
    if (f > 0 && cdc[f - 1].length) events.push({ ...pick(cdc[f - 1]) })
    // rows within a file are not in sequence order
    for (let i = events.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [events[i], events[j]] = [events[j], events[i]] }
    cdc.push(events)
  }
  return { extracts, cdc }
}

async function writeOnce(path: string, data: Uint8Array | string): Promise<boolean> {
  if (existsSync(path)) return false
  const tmp = join(path, '..', `.${process.pid}.tmp`)
  await writeFile(tmp, data)
  await rename(tmp, path)
  return true
}

function transacaoParquet(events: TransacaoEvent[]): Uint8Array {
  const col = <K extends keyof TransacaoEvent>(k: K) => events.map((e) => e[k])
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'op', data: col('op'), type: 'STRING' },
      { name: 'seq', data: col('seq'), type: 'INT64' },
      { name: 'id_transacao', data: col('id_transacao'), type: 'INT64' },
      { name: 'id_cliente', data: col('id_cliente'), type: 'INT64' },
      { name: 'tipo', data: col('tipo'), type: 'STRING' },
      { name: 'natureza', data: col('natureza'), type: 'STRING' },
      { name: 'valor', data: col('valor'), type: 'DOUBLE' },
      { name: 'data_transacao', data: col('data_transacao'), type: 'TIMESTAMP' },
      { name: 'status', data: col('status'), type: 'STRING' },
      { name: 'canal', data: col('canal'), type: 'STRING' },
    ],
  })
  return new Uint8Array(buf)
}

/** The extract date of day `i` as yyyymmdd. */
export function extractDate(i: number): number {
  const d = new Date(Date.UTC(2024, 2, 1 + i))
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate()
}

/**
 * Write the landing zone under `<lake>/raw`: `full/clientes/clientes_<yyyymmdd>.jsonl` and
 * `cdc/transacao/transacao_<nnnn>.parquet`. Files that exist are left alone.
 */
export async function generateRaw(lakeRoot: string, options: GeneratorOptions = {}): Promise<GeneratedFiles> {
  checkOptions('generateRaw', options, GENERATOR_OPTIONS)
  const { extracts, cdc } = generateData(options)
  const clientesDir = join(lakeRoot, 'raw', 'full', 'clientes')
  const cdcDir = join(lakeRoot, 'raw', 'cdc', 'transacao')
  await mkdir(clientesDir, { recursive: true })
  await mkdir(cdcDir, { recursive: true })
  const out: GeneratedFiles = { clientes: [], transacao: [], written: [] }
  for (let i = 0; i < extracts.length; i++) {
    const p = join(clientesDir, `clientes_${extractDate(i)}.jsonl`)
    out.clientes.push(p)
    if (await writeOnce(p, extracts[i].map((c) => JSON.stringify(c)).join('\n') + '\n')) out.written.push(p)
  }
  for (let i = 0; i < cdc.length; i++) {
    const p = join(cdcDir, `transacao_${String(i + 1).padStart(4, '0')}.parquet`)
    out.transacao.push(p)
    if (await writeOnce(p, transacaoParquet(cdc[i]))) out.written.push(p)
  }
  return out
}
