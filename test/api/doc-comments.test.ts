// Every exported name of every entry point has a doc comment (what the API reference, `npm run docs`,
// shows). TypeDoc converts the entry points of typedoc.json as the reference does; a name without a
// summary fails, unless it is on UNDOCUMENTED below (empty since every export got one; keep it so):
// a listed name that gets documented fails until it is taken off the list, so the list only shrinks.
// Likewise for the @example of functions and classes, and for types that signatures use unexported.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Application, ReflectionKind, type DeclarationReflection, type ProjectReflection } from 'typedoc'
import { beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../..')
const typedocConfig = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8'))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** Entry → exported names that have no doc comment yet. Take a name off when you document it. */
const UNDOCUMENTED: Record<string, string[]> = {}

/**
 * Exported functions and classes without an `@example` yet (error classes are covered by DeltaError's).
 * Only shrinks, as UNDOCUMENTED.
 */
const NO_EXAMPLE: Record<string, string[]> = {
  cloud: [
    'signRequest', 'totalRequests',
  ],
  index: [
    'Snapshot', 'Transaction', 'asyncBufferFor', 'asyncBufferFromBytes', 'decodeLogPath', 'listAll',
    'parseSchema', 'resolveLogPath', 'serializeSchema',
  ],
  medallion: [
    'CastFailure', 'Checkpoint', 'DeltaSource', 'FileSource', 'StreamingQuery', 'bronzeSchema', 'castRows',
    'castValue', 'changesToEvents', 'formatOf', 'fullLoad', 'isRetriableConflict', 'listRawFiles',
    'mergeByKey', 'readRawFile', 'runStream', 'toJson', 'topologicalOrder', 'withIngestionMetadata',
  ],
  testing: [
    'FaultStore',
  ],
}

let project: ProjectReflection
/** Names TypeDoc's validation reports as used by an exported declaration but not exported. */
const notExported = new Set<string>()
const otherWarnings: string[] = []
beforeAll(async () => {
  const app = await Application.bootstrap({ options: join(root, 'typedoc.json'), skipErrorChecking: true, logLevel: 'Error' })
  project = (await app.convert())!
  const logger = app.logger as unknown as { validationWarning(text: string): void }
  logger.validationWarning = (text: string) => {
    const m = /^(\S+), defined in .* but not included in the documentation/.exec(text)
    if (m) notExported.add(m[1])
    else otherWarnings.push(text)
  }
  app.validate(project)
}, 120_000)

const hasText = (c: { summary: { text: string }[] } | undefined) => !!c?.summary.some((p) => p.text.trim())

describe('API reference', () => {
  it('covers every subpath of the exports map', () => {
    const fromExports = Object.values<{ types?: string }>(pkg.exports).flatMap((e) => e.types ?? [])
      .map((t) => t.replace('./dist/', 'src/').replace(/\.d\.ts$/, '.ts')).sort()
    expect([...typedocConfig.entryPoints].sort()).toEqual(fromExports)
    expect(pkg.scripts.docs).toBe('typedoc')
  })

  it('documents every exported name (except the shrinking list of names still waiting)', () => {
    const missing: Record<string, string[]> = {}
    const documented: Record<string, string[]> = {}
    let total = 0
    for (const mod of project.children ?? []) {
      for (const r of (mod.children ?? []) as DeclarationReflection[]) {
        if (r.kindOf(ReflectionKind.Reference)) continue // the same declaration, exported again
        total++
        const ok = hasText(r.comment) || !!r.signatures?.some((s) => hasText(s.comment))
        const allowed = UNDOCUMENTED[mod.name]?.includes(r.name) ?? false
        if (!ok && !allowed) (missing[mod.name] ??= []).push(r.name)
        if (ok && allowed) (documented[mod.name] ??= []).push(r.name)
      }
    }
    expect(total).toBeGreaterThan(100)
    expect(missing, 'exported without a doc comment: add one (/** what it is, why */ with an @example for calls)').toEqual({})
    expect(documented, 'documented now: take these off UNDOCUMENTED in test/api/doc-comments.test.ts').toEqual({})
  })

  it('gives every exported function and class an @example (except the shrinking list still waiting)', () => {
    const missing: Record<string, string[]> = {}
    const done: Record<string, string[]> = {}
    for (const mod of project.children ?? []) {
      for (const r of (mod.children ?? []) as DeclarationReflection[]) {
        if (r.kindOf(ReflectionKind.Reference) || !r.kindOf(ReflectionKind.Class | ReflectionKind.Function) || r.name.endsWith('Error')) continue
        const has = !!r.comment?.getTag('@example') || !!r.signatures?.some((s) => s.comment?.getTag('@example'))
        const waiting = NO_EXAMPLE[mod.name]?.includes(r.name) ?? false
        if (!has && !waiting) (missing[mod.name] ??= []).push(r.name)
        if (has && waiting) (done[mod.name] ??= []).push(r.name)
      }
    }
    expect(missing, 'exported without an @example: add one').toEqual({})
    expect(done, 'has an @example now: take these off NO_EXAMPLE in test/api/doc-comments.test.ts').toEqual({})
  })

  it('exports every type a public signature uses', () => {
    // every validation warning lands in one of the two lists, so a changed message cannot hide one
    expect(otherWarnings, 'TypeDoc validation (broken {@link}s…)').toEqual([])
    expect([...notExported].sort(), 'used by a public signature but not exported: export it from the same entry, or keep it out of the signature (docs/api.md decision 8)').toEqual([])
  })
})
