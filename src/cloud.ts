// `lagomago/cloud`: object stores for S3 (and S3-compatible servers), Azure Blob and read-only
// HTTP(S). A separate entry so that users of the core who read local or in-memory tables don't bundle
// them. Importing it teaches `DeltaTable.open(uri)` the s3://, az:// and https:// schemes.
import { registerStoreFactory } from './storage/resolve.js'
import { AzureStore, AZURE_STORE_OPTION_KEYS, type AzureStoreOptions } from './storage/azure-store.js'
import { HttpStore, HTTP_STORE_OPTION_KEYS, type HttpStoreOptions } from './storage/http-store.js'
import { S3Store, S3_STORE_OPTION_KEYS, type S3StoreOptions } from './storage/s3-store.js'
import { checkStoreOptions } from './storage/http-common.js'
import { checkOptions, optionKeys } from './options.js'

export { S3Store, type S3StoreOptions } from './storage/s3-store.js'
export { AzureStore, type AzureStoreOptions, AZURITE_ACCOUNT, AZURITE_KEY } from './storage/azure-store.js'
export { HttpStore, type HttpStoreOptions } from './storage/http-store.js'
export { signRequest, type AwsCredentials, type SignInput } from './storage/sigv4.js'
export { totalRequests, type RequestCounts, type RetryOptions, type FetchLike } from './storage/http-common.js'

/** Options every store opened by URI gets (see `registerCloudStores`). */
export interface CloudStoreDefaults {
  s3?: Partial<S3StoreOptions>
  azure?: Partial<AzureStoreOptions>
  http?: HttpStoreOptions
}
const CLOUD_DEFAULTS_KEYS = optionKeys<CloudStoreDefaults>()(['s3', 'azure', 'http'])

/**
 * Register the URI schemes (again, with options every store opened by URI should get: endpoint,
 * credentials, a custom fetch…). Options given here win over environment variables.
 * @example
 * registerCloudStores({ s3: { endpoint: 'http://127.0.0.1:9000', forcePathStyle: true } })
 * const t = await DeltaTable.open('s3://bucket/lake/events')
 */
export function registerCloudStores(defaults: CloudStoreDefaults = {}): void {
  checkOptions('registerCloudStores', defaults, CLOUD_DEFAULTS_KEYS)
  checkStoreOptions('registerCloudStores s3', defaults.s3, S3_STORE_OPTION_KEYS)
  checkStoreOptions('registerCloudStores azure', defaults.azure, AZURE_STORE_OPTION_KEYS)
  checkStoreOptions('registerCloudStores http', defaults.http, HTTP_STORE_OPTION_KEYS)
  for (const scheme of ['s3', 's3a']) registerStoreFactory(scheme, (uri) => S3Store.fromUri(uri, defaults.s3))
  for (const scheme of ['az', 'azure', 'abfs', 'abfss']) registerStoreFactory(scheme, (uri) => AzureStore.fromUri(uri, defaults.azure))
  for (const scheme of ['http', 'https']) registerStoreFactory(scheme, (uri) => new HttpStore(uri, defaults.http))
}

registerCloudStores()
