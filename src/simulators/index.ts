/**
 * HTTP simulators of the chat providers, for tests, benchmarks and the demo.
 * Each starts a real server on 127.0.0.1 with `XSimulator.start(options)`.
 */
export { PeachSimulator, PEACH_ACTIVITY_TYPES, PEACH_STATUSES } from './peach-simulator.js';
export type {
  NewPeachContact,
  NewPeachConversation,
  PeachActivityType,
  PeachAssignee,
  PeachConversation,
  PeachMessageTarget,
  PeachSeedOptions,
  PeachSimulatorOptions,
  PeachStatus,
  PeachSubscriber,
} from './peach-simulator.js';
export { CallbellSimulator } from './callbell-simulator.js';
export type {
  CallbellChannel,
  CallbellContact,
  CallbellMessage,
  CallbellMessageStatus,
  CallbellSeedOptions,
  CallbellSimulatorOptions,
  CallbellTeam,
  NewCallbellContact,
  NewCallbellMessage,
} from './callbell-simulator.js';
export { ChatwootSimulator, CHATWOOT_STATUSES } from './chatwoot-simulator.js';
export type {
  ChatwootAgent,
  ChatwootContact,
  ChatwootConversation,
  ChatwootInbox,
  ChatwootMessage,
  ChatwootMessageType,
  ChatwootSeedOptions,
  ChatwootSimulatorOptions,
  ChatwootStatus,
  ChatwootTeam,
  NewChatwootContact,
  NewChatwootConversation,
  NewChatwootMessage,
} from './chatwoot-simulator.js';
export { ProviderSimulator } from './core/provider-simulator.js';
export type { FaultInjector, FaultOptions } from './core/fault-injector.js';
export type { Instant } from './core/time.js';
export type { RateLimitOptions, RecordedRequest, RetryAfterMode, SimulatorOptions } from './core/types.js';
