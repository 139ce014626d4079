// The network-fault stress (net-stress.ts) at `npm test` size, on RGW and on Azurite: writer
// processes commit appends and CDC merges through the fault proxy at a rate where most ops meet a
// fault; nothing acknowledged is lost or doubled, nothing reported failed has landed unless its
// error said the outcome was unknown, every error is ours, reads are right, VACUUM cleans up.
// `npm run stress:net` runs it at size (docs/reliability.md).
import { expect, it } from 'vitest'
import { runNetStress } from './net-stress.js'
import { azureServer, describeWithServer, s3Server } from './servers.js'

const WRITERS = 3
const COMMITS = 4

for (const [flavor, server] of [['s3', s3Server()], ['azure', azureServer()]] as const) {
  describeWithServer(`network-fault stress on ${flavor === 's3' ? 'S3 (RGW)' : 'Azure Blob (Azurite)'}`, server, () => {
    it(`${WRITERS} writer processes × ${COMMITS} ops through the fault proxy: nothing lost, doubled or misreported`, async () => {
      const seed = Date.now() % 100000
      const f = await runNetStress({ flavor, writers: WRITERS, commits: COMMITS, rate: 0.12, seed, timeoutMs: 300, rotateEveryMs: 2000, log: console.info })
      expect(f.committed + f.gaveUp).toBe(WRITERS * COMMITS)
      expect(Object.values(f.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    }, 180_000)
  })
}
