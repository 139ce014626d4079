import { describe, expect, it } from 'vitest'
import { UnsafePathError } from '../../src/errors.js'
import { resolveLogPath } from '../../src/storage/paths.js'

const root = 'file:///data/lake/t'

describe('resolveLogPath', () => {
  it('decodes relative paths', () => {
    expect(resolveLogPath(root, 'a%3Db/part-1.parquet').key).toBe('a=b/part-1.parquet')
    expect(resolveLogPath(root, 'bar%2Dbar.snappy.parquet').key).toBe('bar-bar.snappy.parquet')
  })
  it('accepts absolute URIs under the root in any file: form', () => {
    expect(resolveLogPath(root, 'file:/data/lake/t/x.parquet').key).toBe('x.parquet')
    expect(resolveLogPath(root, 'file:///data/lake/t/y%20z.parquet').key).toBe('y z.parquet')
    expect(resolveLogPath(root, '/data/lake/t/q.parquet').key).toBe('q.parquet')
  })
  it.each(['../secret', 'a/../../secret', '%2E%2E/secret', '/etc/passwd', 'file:///etc/passwd', 's3://bucket/x', 'a/%2e%2e/%2e%2e/x'])(
    'refuses %s', (p) => {
      expect(() => resolveLogPath(root, p)).toThrow(UnsafePathError)
    })
  it('allows external absolute paths only on request', () => {
    expect(resolveLogPath(root, 's3://bucket/x', { allowExternalPaths: true }).external).toBe('s3://bucket/x')
  })
})
