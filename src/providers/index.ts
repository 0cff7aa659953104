export * from './types.js';
export { createHttpClient, type HttpClient, type HttpClientOptions } from './http/create-http-client.js';
export { classifyResponse, parseRetryAfter, type Classification } from './http/classify-response.js';
export { createProviderClient, type AnyProviderClient, type ProviderClientDeps } from './create-provider-client.js';
export { createPeachClient, type PeachClient, type PeachListFilter } from './peach/peach-client.js';
export { createCallbellClient, type CallbellClient, type CallbellListFilter } from './callbell/callbell-client.js';
export { createChatwootClient, type ChatwootClient, type ChatwootListFilter } from './chatwoot/chatwoot-client.js';
