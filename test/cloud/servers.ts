// Where the object-store test servers are: `.tmp/servers.env`, written by test/servers/start.sh.
// Without it the cloud tests are skipped with a visible message on a developer machine, and fail in
// CI (CI=true), where .ci/run must have started the servers.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { AzureStore } from '../../src/storage/azure-store.js'
import { S3Store } from '../../src/storage/s3-store.js'

export const SERVERS_FILE = join(import.meta.dirname, '../../.tmp/servers.env')

export interface S3Server { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string }
export interface AzureServer { endpoint: string; account: string }

function readEnvFile(): Record<string, string> {
  if (!existsSync(SERVERS_FILE)) return {}
  const out: Record<string, string> = {}
  for (const line of readFileSync(SERVERS_FILE, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (m) out[m[1]!] = m[2]!
  }
  return out
}

export function s3Server(): S3Server | undefined {
  const e = readEnvFile()
  if (!e.LAGOMAGO_TEST_S3_ENDPOINT) return undefined
  return { endpoint: e.LAGOMAGO_TEST_S3_ENDPOINT, accessKeyId: e.LAGOMAGO_TEST_S3_ACCESS_KEY_ID ?? '', secretAccessKey: e.LAGOMAGO_TEST_S3_SECRET_ACCESS_KEY ?? '', region: e.LAGOMAGO_TEST_S3_REGION ?? 'us-east-1' }
}

export function azureServer(): AzureServer | undefined {
  const e = readEnvFile()
  if (!e.LAGOMAGO_TEST_AZURE_ENDPOINT) return undefined
  return { endpoint: e.LAGOMAGO_TEST_AZURE_ENDPOINT, account: e.LAGOMAGO_TEST_AZURE_ACCOUNT ?? 'devstoreaccount1' }
}

/** `describe` when the server is configured; else a visible skip (developer) or a failing test (CI). */
export function describeWithServer<T>(title: string, server: T | undefined, body: (server: T) => void): void {
  if (server !== undefined) {
    describe(title, () => body(server))
    return
  }
  const why = `${title}: no server in ${SERVERS_FILE} (run test/servers/start.sh)`
  if (process.env.CI === 'true') {
    describe(title, () => it('has its test server', () => { throw new Error(why) }))
  } else {
    console.warn(`SKIPPED ${why}`)
    describe.skip(title, () => it('needs its test server', () => {}))
  }
}

export const BUCKET = 'lagomago-test'
export const CONTAINER = 'lagomago-test'

/** A unique folder per store so that tests never see each other's objects. */
export function uniquePrefix(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
}

export function s3StoreFor(server: S3Server, prefix: string, extra: Partial<ConstructorParameters<typeof S3Store>[0]> = {}): S3Store {
  return new S3Store({ bucket: BUCKET, prefix, endpoint: server.endpoint, region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, ...extra })
}

export function azureStoreFor(server: AzureServer, prefix: string, extra: Partial<ConstructorParameters<typeof AzureStore>[0]> = {}): AzureStore {
  return new AzureStore({ container: CONTAINER, prefix, endpoint: server.endpoint, account: server.account, useEmulator: true, ...extra })
}
