// Every exported name of every entry point has a doc comment (what the API reference, `npm run docs`,
// shows), every exported function and class an @example (test/api/doc-examples.test.ts compiles them),
// and every type a public signature uses is exported. TypeDoc converts the entry points of
// typedoc.json as the reference does. No allow-list: an export without them fails.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Application, ReflectionKind, type DeclarationReflection, type ProjectReflection } from 'typedoc'
import { beforeAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../..')
const typedocConfig = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8'))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

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
const sourceLines = new Map<string, string[]>()
/**
 * Whether a doc comment ends right above the declaration in the source. TypeDoc also shows a comment
 * inherited from an implemented interface, which would let an undocumented class pass.
 */
function ownComment(r: DeclarationReflection): boolean {
  const src = r.sources?.[0]
  if (!src) return false
  let lines = sourceLines.get(src.fullFileName)
  if (!lines) sourceLines.set(src.fullFileName, lines = readFileSync(src.fullFileName, 'utf8').split('\n'))
  let i = src.line - 2
  while (i >= 0 && !lines[i].trim()) i--
  return i >= 0 && lines[i].trim().endsWith('*/')
}

describe('API reference', () => {
  it('covers every subpath of the exports map', () => {
    const fromExports = Object.values<{ types?: string }>(pkg.exports).flatMap((e) => e.types ?? [])
      .map((t) => t.replace('./dist/', 'src/').replace(/\.d\.ts$/, '.ts')).sort()
    expect([...typedocConfig.entryPoints].sort()).toEqual(fromExports)
    expect(pkg.scripts.docs).toBe('typedoc')
  })

  it('documents every exported name', () => {
    const missing: Record<string, string[]> = {}
    let total = 0
    for (const mod of project.children ?? []) {
      for (const r of (mod.children ?? []) as DeclarationReflection[]) {
        if (r.kindOf(ReflectionKind.Reference)) continue // the same declaration, exported again
        total++
        const ok = (hasText(r.comment) || !!r.signatures?.some((s) => hasText(s.comment))) && ownComment(r)
        if (!ok) (missing[mod.name] ??= []).push(r.name)
      }
    }
    expect(total).toBeGreaterThan(100)
    expect(missing, 'exported without a doc comment: add one (/** what it is, why */ with an @example for calls)').toEqual({})
  })

  it('gives every exported function and class an @example', () => {
    const missing: Record<string, string[]> = {}
    for (const mod of project.children ?? []) {
      for (const r of (mod.children ?? []) as DeclarationReflection[]) {
        if (r.kindOf(ReflectionKind.Reference) || !r.kindOf(ReflectionKind.Class | ReflectionKind.Function) || r.name.endsWith('Error')) continue
        const has = !!r.comment?.getTag('@example') || !!r.signatures?.some((s) => s.comment?.getTag('@example'))
        if (!has) (missing[mod.name] ??= []).push(r.name)
      }
    }
    expect(missing, 'exported without an @example: add one (test/api/doc-examples.test.ts compiles it)').toEqual({})
  })

  it('exports every type a public signature uses', () => {
    // every validation warning lands in one of the two lists, so a changed message cannot hide one
    expect(otherWarnings, 'TypeDoc validation (broken {@link}s…)').toEqual([])
    expect([...notExported].sort(), 'used by a public signature but not exported: export it from the same entry, or keep it out of the signature (docs/api.md decision 8)').toEqual([])
  })
})
