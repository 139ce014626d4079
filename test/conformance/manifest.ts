// Loader for the shared conformance corpus (../shared/conformance/MANIFEST.json, read in place) and
// small helpers the data-driven tests of every layer share: iterate expectations by kind, resolve
// table paths, compare values by meaning.
import { existsSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

/** Repo root: test/conformance/ → ../.. */
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CONFORMANCE_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'conformance')

export type ExpectationKind = 'scan' | 'cdf' | 'activeFiles' | 'partitionFilter' | 'snapshot' | 'deletionVector' | 'error'

export interface Expectation {
  kind: ExpectationKind
  version?: number
  versionIsLatest?: boolean
  citation?: string
  note?: string
  [key: string]: unknown
}

export interface ManifestEntry {
  name: string
  tablePath: string
  source: string
  features: string[]
  protocol: { minReaderVersion: number; minWriterVersion: number; readerFeatures?: string[]; writerFeatures?: string[] }
  schema: string[]
  partitionColumns: string[]
  latestVersion: number
  log: Record<string, unknown>
  expected: Expectation[]
  expectedStatus: string
  notes?: string
}

let cached: ManifestEntry[] | undefined

/** Whether the corpus is present next to the repo (tests skip loudly when it is not). */
export function corpusAvailable(): boolean {
  return existsSync(path.join(CONFORMANCE_DIR, 'MANIFEST.json'))
}

export function loadManifest(): ManifestEntry[] {
  cached ??= JSON.parse(readFileSync(path.join(CONFORMANCE_DIR, 'MANIFEST.json'), 'utf8')) as ManifestEntry[]
  return cached
}

/** Absolute path of a table root (`tables/<name>/delta`). */
export function tableDir(entry: ManifestEntry): string {
  return path.join(CONFORMANCE_DIR, entry.tablePath)
}

/** Absolute path of a file the manifest names relative to the corpus or the table's folder. */
export function corpusPath(...parts: string[]): string {
  return path.join(CONFORMANCE_DIR, ...parts)
}

export interface Case<E extends Expectation = Expectation> {
  entry: ManifestEntry
  expectation: E
  /** Stable id for test names: `<table> #<index> <kind>@v<version>`. */
  id: string
}

/** Every expectation of the given kinds, with its table. */
export function casesOf(...kinds: ExpectationKind[]): Case[] {
  const out: Case[] = []
  for (const entry of loadManifest()) {
    entry.expected.forEach((expectation, i) => {
      if (!kinds.includes(expectation.kind)) return
      const v = expectation.version === undefined ? '' : `@v${expectation.version}`
      out.push({ entry, expectation, id: `${entry.name} #${i} ${expectation.kind}${v}` })
    })
  }
  return out
}

/** Sort strings for order-insensitive comparison. */
export function sorted<T>(xs: Iterable<T>): T[] {
  return [...xs].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0))
}

/** Compare numbers that may arrive as number, bigint or numeric string. */
export function sameNumber(a: unknown, b: unknown): boolean {
  const norm = (x: unknown): string | undefined => {
    if (typeof x === 'bigint') return x.toString()
    if (typeof x === 'number' && Number.isInteger(x)) return BigInt(x).toString()
    if (typeof x === 'number') return String(x)
    if (typeof x === 'string' && /^-?\d+$/.test(x.trim())) return BigInt(x.trim()).toString()
    if (typeof x === 'string') return String(Number(x))
    return undefined
  }
  const na = norm(a)
  return na !== undefined && na === norm(b)
}

/** Per-kind pass/fail/caveat counters a conformance test prints in afterAll. */
export class KindTally {
  private readonly counts = new Map<string, { pass: number; fail: number; caveat: number }>()
  record(kind: string, outcome: 'pass' | 'fail' | 'caveat'): void {
    const c = this.counts.get(kind) ?? { pass: 0, fail: 0, caveat: 0 }
    c[outcome]++
    this.counts.set(kind, c)
  }
  summary(title: string): string {
    const lines = [...this.counts].map(([k, c]) => `  ${k}: ${c.pass} passed, ${c.fail} failed, ${c.caveat} documented caveats`)
    return `${title}\n${lines.join('\n')}`
  }
}
