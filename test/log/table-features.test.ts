import { describe, expect, it } from 'vitest'
import { UnsupportedFeatureError } from '../../src/errors.js'
import { checkReaderSupport, hasReaderFeature, hasWriterFeature, SUPPORTED_READER_FEATURES } from '../../src/log/table-features.js'

describe('protocol gate', () => {
  it('accepts legacy reader versions and every supported feature', () => {
    for (const v of [1, 2]) expect(() => checkReaderSupport({ minReaderVersion: v, minWriterVersion: 2 })).not.toThrow()
    expect(() => checkReaderSupport({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [...SUPPORTED_READER_FEATURES] })).not.toThrow()
  })

  it.each(['geospatial', 'collations', 'blahabl'])('refuses reader feature %s, naming it', (f) => {
    expect(() => checkReaderSupport({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors', f] }, { table: 'memory://x' }))
      .toThrowError(new RegExp(`"${f}"`))
  })

  it.each([0, 4, 5, 99])('refuses reader version %i', (v) => {
    expect(() => checkReaderSupport({ minReaderVersion: v, minWriterVersion: 7 })).toThrowError(UnsupportedFeatureError)
  })

  it('knows which features legacy versions imply', () => {
    expect(hasReaderFeature({ minReaderVersion: 2, minWriterVersion: 5 }, 'columnMapping')).toBe(true)
    expect(hasReaderFeature({ minReaderVersion: 1, minWriterVersion: 2 }, 'columnMapping')).toBe(false)
    expect(hasWriterFeature({ minReaderVersion: 1, minWriterVersion: 4 }, 'changeDataFeed')).toBe(true)
    expect(hasWriterFeature({ minReaderVersion: 3, minWriterVersion: 7, writerFeatures: ['appendOnly'] }, 'changeDataFeed')).toBe(false)
  })
})
