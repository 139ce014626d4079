import { describe, expect, it } from 'vitest'
import { commitKey, padVersion, parseLogPath } from '../../src/log/log-path.js'

const meta = (name: string) => ({ key: `_delta_log/${name}`, size: 1, mtime: 1 })

describe('log file names', () => {
  it('pads versions to 20 digits', () => {
    expect(padVersion(12)).toBe('00000000000000000012')
    expect(commitKey(3)).toBe('_delta_log/00000000000000000003.json')
  })

  it('classifies commits and every checkpoint form', () => {
    expect(parseLogPath(meta('00000000000000000003.json'))).toMatchObject({ kind: 'commit', version: 3 })
    expect(parseLogPath(meta('00000000000000000010.checkpoint.parquet'))).toMatchObject({ kind: 'checkpoint', version: 10 })
    expect(parseLogPath(meta('00000000000000000010.checkpoint.0000000002.0000000003.parquet'))).toMatchObject({ kind: 'multipartCheckpoint', version: 10, part: 2, parts: 3 })
    expect(parseLogPath(meta('00000000000000000002.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json'))).toMatchObject({ kind: 'v2Checkpoint', version: 2, format: 'json' })
    expect(parseLogPath(meta('00000000000000000002.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.parquet'))).toMatchObject({ kind: 'v2Checkpoint', format: 'parquet' })
    expect(parseLogPath(meta('00000000000000000004.00000000000000000009.compacted.json'))).toMatchObject({ kind: 'compaction', version: 4, endVersion: 9 })
  })

  it.each([
    '_last_checkpoint', '00000000000000000003.crc', '.00000000000000000003.json.crc', '00000000000000000003.json.tmp',
    '.tmp/00000000000000000005.json', '_sidecars/x.parquet', '_autostats/00000000000000000007.0000000000.stats.json',
    '.s3-optimization-0', '_SUCCESS', '.gitkeep', '0000000000000000003.json', '00000000000000000010.checkpoint.0000000004.0000000003.parquet',
    '00000000000000000009.00000000000000000004.compacted.json',
  ])('ignores %s', (name) => {
    expect(parseLogPath(meta(name))).toBeUndefined()
  })

  it('ignores files outside _delta_log', () => {
    expect(parseLogPath({ key: 'other/00000000000000000001.json', size: 1, mtime: 1 })).toBeUndefined()
  })
})
