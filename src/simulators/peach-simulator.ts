import { ProviderSimulator } from './core/provider-simulator.js';
import { bodyField, isOneOf, isRecord, parsePositiveInteger, queryValue } from './core/request-values.js';
import { jsonResponse, reasonPhrase, tooManyRequests } from './core/responses.js';
import { RouteTable, type RouteDefinition, type RouteParams } from './core/route-table.js';
import { samplePerson, seededActivityAt, type ActivitySpread } from './core/sample-people.js';
import { DAY_MS, HOUR_MS, toEpochMs, toIso, type Instant } from './core/time.js';
import type { RetryAfterMode, SimRequest, SimResponse, SimulatorOptions } from './core/types.js';

/*
 * Simulates Peach (trypeach) as described in shared/docs/providers.md §1.
 * Peach publishes no error bodies, no 429 behaviour and no PATCH response; the
 * choices made here for them are marked [I] (inferred) and are what the
 * project's client is written against.
 */

export const PEACH_STATUSES = ['open', 'pending', 'awaiting_customer_response', 'closed'] as const;
export type PeachStatus = (typeof PEACH_STATUSES)[number];

export const PEACH_ACTIVITY_TYPES = ['assignment', 'escalation', 'message', 'status_change'] as const;
export type PeachActivityType = (typeof PEACH_ACTIVITY_TYPES)[number];

export interface PeachSimulatorOptions extends SimulatorOptions {
  /** How a 429 advertises the wait. Default `'seconds'`. */
  readonly retryAfter?: RetryAfterMode;
  /** Name of the previous-page link: the conversations docs say `prev`, MessageResponse says `previous`. Default `'prev'`. */
  readonly previousField?: 'prev' | 'previous';
}

export interface PeachSubscriber {
  readonly id: number;
  readonly name: string;
  readonly phoneNumber: string;
  readonly hasCallPermission: boolean;
}

export interface PeachAssignee {
  readonly type: string;
  readonly id: number;
  readonly name: string;
}

/** A conversation as held by the simulator (times in epoch ms). */
export interface PeachConversation {
  readonly id: number;
  readonly status: PeachStatus;
  readonly escalated: boolean;
  /** End of WhatsApp's 24-hour customer-service window. */
  readonly canRespondTill: number | null;
  readonly subscriber: PeachSubscriber;
  readonly assignedTo: PeachAssignee | null;
  readonly lastActivityAt: number;
  readonly lastActivityType: PeachActivityType;
  readonly updatedAt: number;
  readonly createdAt: number;
}

export interface NewPeachContact {
  readonly name: string;
  /** E.164; identifies the subscriber (an existing one is reused). */
  readonly phoneNumber: string;
  readonly hasCallPermission?: boolean;
}

export interface NewPeachConversation {
  readonly contact: NewPeachContact;
  readonly status?: PeachStatus;
  readonly escalated?: boolean;
  readonly assignedTo?: PeachAssignee | null;
  /** Default: now. */
  readonly lastActivityAt?: Instant;
  readonly lastActivityType?: PeachActivityType;
  /** Default: one hour before the last activity. */
  readonly createdAt?: Instant;
  /** Default: 24 hours after the last activity. */
  readonly canRespondTill?: Instant | null;
}

export interface PeachSeedOptions extends ActivitySpread {
  readonly status?: PeachStatus;
  readonly escalated?: boolean;
}

/** Which conversation a simulated customer message belongs to. */
export type PeachMessageTarget = { readonly conversationId: number } | { readonly phoneNumber: string };

interface StoredConversation {
  id: number;
  status: PeachStatus;
  escalated: boolean;
  canRespondTill: number | null;
  subscriberId: number;
  assignedTo: PeachAssignee | null;
  lastActivityAt: number;
  lastActivityType: PeachActivityType;
  updatedAt: number;
  createdAt: number;
}

const CONVERSATIONS_PATH = '/api/v1/conversations';
const DEFAULT_PER_PAGE = 50;
/** Peach documents "up to 1000 items per page" for its other paginated lists [I]. */
const MAX_PER_PAGE = 1000;
const E164 = /^\+[1-9]\d{1,14}$/;
const WHATSAPP_WINDOW_MS = DAY_MS;

/** An HTTP server that behaves like Peach's conversation API. */
export class PeachSimulator extends ProviderSimulator {
  protected readonly basePath = '';
  protected readonly routes: RouteTable;

  private readonly subscribers = new Map<number, PeachSubscriber>();
  private readonly subscribersByPhone = new Map<string, PeachSubscriber>();
  private readonly conversations = new Map<number, StoredConversation>();
  private nextSubscriberId = 1;
  private nextConversationId = 1;

  private constructor(private readonly options: PeachSimulatorOptions) {
    super(options);
    this.routes = new RouteTable(this.routeDefinitions());
  }

  /** Starts a simulator on 127.0.0.1; `sim.url` is the API root (`http://127.0.0.1:PORT`). */
  static async start(options: PeachSimulatorOptions): Promise<PeachSimulator> {
    const simulator = new PeachSimulator(options);
    await simulator.listen(options.port);
    return simulator;
  }

  // ---- state helpers ------------------------------------------------------

  /** Adds a subscriber, or returns the existing one with that phone number. */
  addContact(contact: NewPeachContact): PeachSubscriber {
    const existing = this.subscriberByPhone(contact.phoneNumber);
    if (existing) return existing;
    if (!E164.test(contact.phoneNumber)) throw new RangeError(`Not an E.164 phone number: ${contact.phoneNumber}`);
    const subscriber: PeachSubscriber = {
      id: this.nextSubscriberId++,
      name: contact.name,
      phoneNumber: contact.phoneNumber,
      hasCallPermission: contact.hasCallPermission ?? false,
    };
    this.subscribers.set(subscriber.id, subscriber);
    this.subscribersByPhone.set(subscriber.phoneNumber, subscriber);
    return subscriber;
  }

  addConversation(input: NewPeachConversation): PeachConversation {
    const subscriber = this.addContact(input.contact);
    const lastActivityAt = input.lastActivityAt === undefined ? this.now() : toEpochMs(input.lastActivityAt);
    const createdAt = input.createdAt === undefined ? lastActivityAt - HOUR_MS : toEpochMs(input.createdAt);
    const stored: StoredConversation = {
      id: this.nextConversationId++,
      status: input.status ?? 'open',
      escalated: input.escalated ?? false,
      canRespondTill:
        input.canRespondTill === undefined
          ? lastActivityAt + WHATSAPP_WINDOW_MS
          : input.canRespondTill === null
            ? null
            : toEpochMs(input.canRespondTill),
      subscriberId: subscriber.id,
      assignedTo: input.assignedTo ?? null,
      lastActivityAt,
      lastActivityType: input.lastActivityType ?? 'message',
      updatedAt: Math.max(createdAt, lastActivityAt),
      createdAt,
    };
    this.conversations.set(stored.id, stored);
    return this.snapshot(stored);
  }

  /**
   * Adds `count` conversations with distinct subscribers, last activity spread
   * evenly over `activitySpreadMs` (default 7 days) back from now; the first is the most recent.
   */
  seed(count: number, options: PeachSeedOptions = {}): PeachConversation[] {
    const now = this.now();
    const offset = this.subscribers.size;
    return Array.from({ length: count }, (_, index) => {
      const person = samplePerson(offset + index);
      return this.addConversation({
        contact: { name: person.name, phoneNumber: person.phoneNumber },
        status: options.status ?? 'open',
        escalated: options.escalated ?? false,
        lastActivityAt: seededActivityAt(now, index, count, options),
      });
    });
  }

  getConversation(id: number): PeachConversation | undefined {
    const stored = this.conversations.get(id);
    return stored && this.snapshot(stored);
  }

  statusOf(id: number): PeachStatus | undefined {
    return this.conversations.get(id)?.status;
  }

  listConversations(): PeachConversation[] {
    return [...this.conversations.values()].map((stored) => this.snapshot(stored));
  }

  /**
   * A customer message arrives. It lands in the subscriber's current (not closed)
   * conversation, or starts a new open one when all are closed: Peach does not
   * document reopening, and WhatsApp tools usually start a new conversation [I].
   * An `awaiting_customer_response` conversation becomes `open`.
   */
  receiveCustomerMessage(target: PeachMessageTarget, options: { readonly at?: Instant } = {}): PeachConversation {
    const subscriber = this.subscriberOf(target);
    const at = options.at === undefined ? this.now() : toEpochMs(options.at);
    const current = this.currentConversationOf(subscriber.id);
    if (!current) {
      return this.addConversation({
        contact: subscriber,
        lastActivityAt: at,
        createdAt: at,
        lastActivityType: 'message',
      });
    }
    current.lastActivityAt = at;
    current.lastActivityType = 'message';
    current.updatedAt = at;
    current.canRespondTill = at + WHATSAPP_WINDOW_MS;
    if (current.status === 'awaiting_customer_response') current.status = 'open';
    return this.snapshot(current);
  }

  // ---- provider behaviour -------------------------------------------------

  protected errorResponse(status: number): SimResponse {
    if (status === 401) return jsonResponse(401, { error: 'Unauthorized', message: 'Invalid API key' });
    if (status === 404) return jsonResponse(404, { error: 'Not Found', message: 'Resource not found' });
    if (status === 422) return parameterError('Invalid parameters');
    return jsonResponse(status, { error: reasonPhrase(status) });
  }

  protected rateLimitedResponse(retryAfterMs: number): SimResponse {
    return tooManyRequests(this.options.retryAfter, retryAfterMs);
  }

  /** Peach lists "invalid payload" under 422 Parameter Error [I for malformed JSON]. */
  protected malformedJsonResponse(): SimResponse {
    return parameterError('Request body is not valid JSON');
  }

  private routeDefinitions(): RouteDefinition[] {
    return [
      { method: 'GET', pattern: CONVERSATIONS_PATH, handle: this.authenticated((request) => this.list(request)) },
      {
        method: 'PATCH',
        pattern: `${CONVERSATIONS_PATH}/:id`,
        targets: (params) => [params.id ?? ''],
        handle: this.authenticated((request, params) => this.updateStatus(request, params)),
      },
      {
        method: 'POST',
        pattern: '/api/v1/events',
        targets: (_params, request) => this.eventTargets(request),
        handle: this.authenticated((request) => this.handleEvent(request)),
      },
    ];
  }

  /** Peach takes the raw key in Authorization, with no scheme. */
  private authenticated(handler: RouteDefinition['handle']): RouteDefinition['handle'] {
    return (request, params) =>
      request.headers.authorization === this.options.credentials ? handler(request, params) : this.errorResponse(401);
  }

  private list(request: SimRequest): SimResponse {
    const parsed = parseListQuery(request, this.options.pageSize ?? DEFAULT_PER_PAGE);
    if (typeof parsed === 'string') return parameterError(parsed);
    const matching = [...this.conversations.values()]
      .filter((conversation) => this.matchesFilters(conversation, parsed))
      .sort((a, b) => a.id - b.id);
    const start = (parsed.page - 1) * parsed.per;
    const hasNext = start + parsed.per < matching.length;
    return jsonResponse(200, {
      count: matching.length,
      next: hasNext ? pageLink(request.rawQuery, parsed.page + 1) : null,
      [this.options.previousField ?? 'prev']: parsed.page > 1 ? pageLink(request.rawQuery, parsed.page - 1) : null,
      conversations: matching.slice(start, start + parsed.per).map((stored) => this.render(stored)),
    });
  }

  private matchesFilters(conversation: StoredConversation, filters: ListFilters): boolean {
    const subscriber = this.subscribers.get(conversation.subscriberId);
    return (
      (filters.status === undefined || conversation.status === filters.status) &&
      (filters.escalated === undefined || conversation.escalated === filters.escalated) &&
      (filters.activityType === undefined || conversation.lastActivityType === filters.activityType) &&
      (filters.phoneNumber === undefined || subscriber?.phoneNumber === filters.phoneNumber) &&
      (filters.hasCallPermission === undefined || subscriber?.hasCallPermission === filters.hasCallPermission) &&
      (filters.updatedSince === undefined || conversation.updatedAt >= filters.updatedSince) &&
      (filters.activitySince === undefined || conversation.lastActivityAt >= filters.activitySince)
    );
  }

  private updateStatus(request: SimRequest, params: RouteParams): SimResponse {
    const conversation = this.conversations.get(Number(params.id));
    if (!conversation) return jsonResponse(404, { error: 'Not Found', message: 'Conversation not found' });
    const status = bodyField(request, 'status');
    if (status === undefined) return parameterError('status is missing');
    if (!isOneOf(PEACH_STATUSES, status)) return parameterError(`status must be one of: ${PEACH_STATUSES.join(', ')}`);
    // Peach documents 422 for "object in the wrong state"; the code lets clients treat it as already closed.
    if (status === 'closed' && conversation.status === 'closed') {
      return jsonResponse(422, {
        error: 'Parameter Error',
        code: 'conversation_already_closed',
        message: 'Conversation is already closed',
      });
    }
    if (status !== conversation.status) this.changeStatus(conversation, status);
    return jsonResponse(200, this.render(conversation));
  }

  /** close_conversation targets the contact, so it closes every conversation of theirs that is not closed. */
  private handleEvent(request: SimRequest): SimResponse {
    const eventType = bodyField(request, 'event_type');
    if (eventType !== 'close_conversation') return parameterError('event_type must be close_conversation');
    const contact = bodyField(request, 'contact');
    if (!isRecord(contact)) return parameterError('contact is missing');
    if (typeof contact.name !== 'string' || contact.name.trim() === '')
      return parameterError('contact.name is missing');
    if (typeof contact.phone_number !== 'string') return parameterError('contact.phone_number is missing');
    if (!E164.test(contact.phone_number))
      return parameterError('contact.phone_number is not a valid E.164 phone number');
    const subscriber = this.subscriberByPhone(contact.phone_number);
    if (!subscriber) return jsonResponse(404, { error: 'Not Found', message: 'Contact not found' });
    for (const conversation of this.conversations.values()) {
      if (conversation.subscriberId === subscriber.id && conversation.status !== 'closed') {
        this.changeStatus(conversation, 'closed');
      }
    }
    return jsonResponse(200, {});
  }

  /** A close event acts on the phone number and on that contact's open conversations. */
  private eventTargets(request: SimRequest): string[] {
    const contact = bodyField(request, 'contact');
    if (!isRecord(contact) || typeof contact.phone_number !== 'string') return [];
    const subscriber = this.subscriberByPhone(contact.phone_number);
    const open = [...this.conversations.values()].filter(
      (conversation) => conversation.subscriberId === subscriber?.id && conversation.status !== 'closed',
    );
    return [contact.phone_number, ...open.map((conversation) => String(conversation.id))];
  }

  private changeStatus(conversation: StoredConversation, status: PeachStatus): void {
    const now = this.now();
    conversation.status = status;
    conversation.updatedAt = now;
    conversation.lastActivityAt = now;
    conversation.lastActivityType = 'status_change';
  }

  private render(stored: StoredConversation): Record<string, unknown> {
    const subscriber = this.subscribers.get(stored.subscriberId);
    return {
      id: stored.id,
      status: stored.status,
      escalated: stored.escalated,
      can_respond_till: stored.canRespondTill === null ? null : toIso(stored.canRespondTill),
      subscriber: subscriber && { id: subscriber.id, name: subscriber.name, phone_number: subscriber.phoneNumber },
      assigned_to: stored.assignedTo && { ...stored.assignedTo },
      last_activity_at: toIso(stored.lastActivityAt),
      updated_at: toIso(stored.updatedAt),
      created_at: toIso(stored.createdAt),
    };
  }

  private snapshot(stored: StoredConversation): PeachConversation {
    const subscriber = this.subscribers.get(stored.subscriberId);
    if (!subscriber) throw new Error(`Conversation ${stored.id} has no subscriber`);
    const { subscriberId: _subscriberId, ...fields } = stored;
    return { ...fields, subscriber };
  }

  private subscriberByPhone(phoneNumber: string): PeachSubscriber | undefined {
    return this.subscribersByPhone.get(phoneNumber);
  }

  private subscriberOf(target: PeachMessageTarget): PeachSubscriber {
    const subscriber =
      'conversationId' in target
        ? this.subscribers.get(this.conversations.get(target.conversationId)?.subscriberId ?? -1)
        : this.subscriberByPhone(target.phoneNumber);
    if (!subscriber) throw new RangeError(`No Peach subscriber for ${JSON.stringify(target)}`);
    return subscriber;
  }

  private currentConversationOf(subscriberId: number): StoredConversation | undefined {
    return [...this.conversations.values()]
      .filter((conversation) => conversation.subscriberId === subscriberId && conversation.status !== 'closed')
      .sort((a, b) => b.lastActivityAt - a.lastActivityAt)[0];
  }
}

// ---- list query ------------------------------------------------------------

interface ListFilters {
  readonly status?: PeachStatus;
  readonly escalated?: boolean;
  readonly activityType?: PeachActivityType;
  readonly phoneNumber?: string;
  readonly hasCallPermission?: boolean;
  readonly updatedSince?: number;
  readonly activitySince?: number;
  readonly page: number;
  readonly per: number;
}

/**
 * Empty values mean "no filter": Peach's own request sample sends
 * `?status&escalated&activity_type...` with nothing after the names.
 * Returns the Parameter Error message for the first bad value.
 */
function parseListQuery(request: SimRequest, defaultPer: number): ListFilters | string {
  const value = (name: string): string | undefined => queryValue(request, name);
  const status = value('status');
  if (status !== undefined && !isOneOf(PEACH_STATUSES, status)) {
    return `status must be one of: ${PEACH_STATUSES.join(', ')}`;
  }
  const activityType = value('activity_type');
  if (activityType !== undefined && !isOneOf(PEACH_ACTIVITY_TYPES, activityType)) {
    return `activity_type must be one of: ${PEACH_ACTIVITY_TYPES.join(', ')}`;
  }
  const escalated = parseBoolean(value('escalated'));
  if (escalated === null) return 'escalated must be true or false';
  const hasCallPermission = parseBoolean(value('has_call_permission'));
  if (hasCallPermission === null) return 'has_call_permission must be true or false';
  const updatedSince = parseDateTime(value('updated_since'));
  if (updatedSince === null) return 'updated_since must be an ISO 8601 datetime';
  const activitySince = parseDateTime(value('activity_since'));
  if (activitySince === null) return 'activity_since must be an ISO 8601 datetime';
  const page = parsePositiveInteger(value('page') ?? '1');
  if (page === null) return 'page must be a positive integer';
  const per = parsePositiveInteger(value('per') ?? String(defaultPer));
  if (per === null) return 'per must be a positive integer';
  return {
    ...(status !== undefined && { status }),
    ...(activityType !== undefined && { activityType }),
    ...(escalated !== undefined && { escalated }),
    ...(hasCallPermission !== undefined && { hasCallPermission }),
    ...(updatedSince !== undefined && { updatedSince }),
    ...(activitySince !== undefined && { activitySince }),
    ...(value('phone_number') !== undefined && { phoneNumber: value('phone_number') }),
    page,
    per: Math.min(per, MAX_PER_PAGE),
  };
}

/** The docs call next/prev "the endpoint to query"; a path keeps the simulator host-agnostic [I]. */
function pageLink(rawQuery: string, page: number): string {
  const params = new URLSearchParams(rawQuery);
  params.set('page', String(page));
  return `${CONVERSATIONS_PATH}?${params.toString()}`;
}

/** undefined: absent; null: present but not a boolean. */
function parseBoolean(raw: string | undefined): boolean | undefined | null {
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  return null;
}

/** Accepts ISO 8601 dates and datetimes; undefined: absent; null: invalid. */
function parseDateTime(raw: string | undefined): number | undefined | null {
  if (raw === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(raw)) return null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? null : ms;
}

function parameterError(message: string): SimResponse {
  return jsonResponse(422, { error: 'Parameter Error', message });
}
