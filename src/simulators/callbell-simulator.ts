import { randomUUID } from 'node:crypto';
import { ProviderSimulator } from './core/provider-simulator.js';
import { parsePositiveInteger, queryValue } from './core/request-values.js';
import { jsonResponse, reasonPhrase, tooManyRequests } from './core/responses.js';
import { RouteTable, type RouteDefinition, type RouteParams } from './core/route-table.js';
import { samplePerson, seededActivityAt, type ActivitySpread } from './core/sample-people.js';
import { HOUR_MS, toEpochMs, type Instant } from './core/time.js';
import type { RetryAfterMode, SimRequest, SimResponse, SimulatorOptions } from './core/types.js';

/*
 * Simulates Callbell's REST API (https://api.callbell.eu/v1) as described in
 * shared/docs/providers.md §2. Callbell has no conversation list: a contact
 * carries its conversation's `closedAt`, and the last activity comes from the
 * contact's messages. Callbell documents no error bodies; this simulator
 * answers `{"error": "<message>"}` [I].
 */

export interface CallbellSimulatorOptions extends SimulatorOptions {
  /** How a 429 advertises the wait. Default `'seconds'`. */
  readonly retryAfter?: RetryAfterMode;
  /**
   * `'array'` reproduces the docs before 2025-12, where the close/open and
   * get-contact examples showed `"contact": [ {...} ]`. Default `'object'`.
   */
  readonly contactShape?: 'object' | 'array';
  /** The business number on the other side of every message. Default `+15550009999`. */
  readonly businessNumber?: string;
}

export interface CallbellTeam {
  readonly uuid: string;
  readonly name: string;
  readonly createdAt: number;
  readonly default: boolean;
  readonly members: number;
}

export interface CallbellChannel {
  readonly uuid: string;
  readonly title: string;
  readonly type: 'whatsapp' | 'facebook' | 'instagram' | 'telegram';
  readonly main: boolean;
}

/** A contact as held by the simulator (times in epoch ms). */
export interface CallbellContact {
  readonly uuid: string;
  readonly name: string;
  readonly phoneNumber: string;
  readonly avatarUrl: string | null;
  readonly createdAt: number;
  readonly source: string;
  /** Set when the contact's conversation is closed, null while it is open. */
  readonly closedAt: number | null;
  readonly conversationUuid: string;
  readonly tags: readonly string[];
  /** Email of the assigned user. */
  readonly assignedUser: string | null;
  readonly customFields: Readonly<Record<string, string>>;
  readonly team: CallbellTeam | null;
  readonly channel: CallbellChannel;
}

export type CallbellMessageStatus = 'received' | 'sent' | 'delivered' | 'read' | 'note';

export interface CallbellMessage {
  readonly uuid: string;
  readonly text: string;
  readonly createdAt: number;
  readonly status: CallbellMessageStatus;
  readonly channel: string;
  readonly from: string;
  readonly to: string;
}

export interface NewCallbellContact {
  readonly name: string;
  readonly phoneNumber: string;
  readonly uuid?: string;
  readonly avatarUrl?: string | null;
  readonly createdAt?: Instant;
  /** Default `'whatsapp'`. */
  readonly source?: string;
  /** Default null (conversation open). */
  readonly closedAt?: Instant | null;
  readonly tags?: readonly string[];
  readonly assignedUser?: string | null;
  readonly customFields?: Readonly<Record<string, string>>;
  readonly team?: CallbellTeam | null;
}

export interface NewCallbellMessage {
  readonly text: string;
  /** `'received'` is from the customer. Default `'received'`. */
  readonly status?: CallbellMessageStatus;
  /** Default: now. */
  readonly at?: Instant;
}

export interface CallbellSeedOptions extends ActivitySpread {
  /** Seed closed conversations instead of open ones. */
  readonly closed?: boolean;
  readonly source?: string;
  readonly tags?: readonly string[];
  readonly team?: CallbellTeam | null;
}

type StoredContact = { -readonly [K in keyof CallbellContact]: CallbellContact[K] };

const DEFAULT_PAGE_SIZE = 50;
const DASHBOARD = 'https://dash.callbell.eu';

/** An HTTP server that behaves like Callbell's contacts API; `sim.url` ends in `/v1`. */
export class CallbellSimulator extends ProviderSimulator {
  protected readonly basePath = '/v1';
  protected readonly routes: RouteTable;

  /** The channel every contact is on unless told otherwise. */
  readonly channel: CallbellChannel = { uuid: compactUuid(), title: 'WhatsApp', type: 'whatsapp', main: true };

  private readonly contacts = new Map<string, StoredContact>();
  /** Per contact uuid, oldest first. */
  private readonly messages = new Map<string, CallbellMessage[]>();
  private seeded = 0;

  private constructor(private readonly options: CallbellSimulatorOptions) {
    super(options);
    this.routes = new RouteTable(this.routeDefinitions());
  }

  static async start(options: CallbellSimulatorOptions): Promise<CallbellSimulator> {
    const simulator = new CallbellSimulator(options);
    await simulator.listen(options.port);
    return simulator;
  }

  // ---- state helpers ------------------------------------------------------

  addTeam(input: { readonly name: string; readonly default?: boolean; readonly members?: number }): CallbellTeam {
    return {
      uuid: compactUuid(),
      name: input.name,
      createdAt: this.now(),
      default: input.default ?? false,
      members: input.members ?? 1,
    };
  }

  addContact(input: NewCallbellContact): CallbellContact {
    const stored: StoredContact = {
      uuid: input.uuid ?? compactUuid(),
      name: input.name,
      phoneNumber: input.phoneNumber,
      avatarUrl: input.avatarUrl ?? null,
      createdAt: input.createdAt === undefined ? this.now() : toEpochMs(input.createdAt),
      source: input.source ?? 'whatsapp',
      closedAt: input.closedAt === undefined || input.closedAt === null ? null : toEpochMs(input.closedAt),
      conversationUuid: compactUuid(),
      tags: [...(input.tags ?? [])],
      assignedUser: input.assignedUser ?? null,
      customFields: { ...input.customFields },
      team: input.team ?? null,
      channel: this.channel,
    };
    this.contacts.set(stored.uuid, stored);
    this.messages.set(stored.uuid, []);
    return { ...stored };
  }

  /** Adds a message to a contact's history without touching the conversation state. */
  addMessage(uuid: string, input: NewCallbellMessage): CallbellMessage {
    const contact = this.requireContact(uuid);
    const status = input.status ?? 'received';
    const customer = digitsOf(contact.phoneNumber);
    const business = digitsOf(this.options.businessNumber ?? '+15550009999');
    const message: CallbellMessage = {
      uuid: compactUuid(),
      text: input.text,
      createdAt: input.at === undefined ? this.now() : toEpochMs(input.at),
      status,
      channel: contact.channel.type,
      // Notes are internal: the docs show them from and to the customer's number.
      from: status === 'received' || status === 'note' ? customer : business,
      to: status === 'received' ? business : customer,
    };
    const history = this.messages.get(uuid) ?? [];
    history.push(message);
    history.sort((a, b) => a.createdAt - b.createdAt);
    return message;
  }

  /**
   * Adds `count` contacts with distinct phone numbers, each with one customer
   * message; message times are spread evenly over `activitySpreadMs` (default
   * 7 days) back from now, the first contact being the most recent.
   */
  seed(count: number, options: CallbellSeedOptions = {}): CallbellContact[] {
    const now = this.now();
    return Array.from({ length: count }, (_, index) => {
      const person = samplePerson(this.seeded++);
      const lastActivityAt = seededActivityAt(now, index, count, options);
      const contact = this.addContact({
        name: person.name,
        phoneNumber: person.phoneNumber,
        createdAt: lastActivityAt - HOUR_MS,
        closedAt: options.closed ? lastActivityAt : null,
        ...(options.source !== undefined && { source: options.source }),
        ...(options.tags !== undefined && { tags: options.tags }),
        ...(options.team !== undefined && { team: options.team }),
      });
      this.addMessage(contact.uuid, { text: 'Hello, I have a question about my order', at: lastActivityAt });
      return contact;
    });
  }

  getContact(uuid: string): CallbellContact | undefined {
    const stored = this.contacts.get(uuid);
    return stored && { ...stored };
  }

  /** `'closed'` when the contact's conversation has a closedAt. */
  statusOf(uuid: string): 'open' | 'closed' | undefined {
    const stored = this.contacts.get(uuid);
    if (!stored) return undefined;
    return stored.closedAt === null ? 'open' : 'closed';
  }

  listContacts(): CallbellContact[] {
    return [...this.contacts.values()].map((stored) => ({ ...stored }));
  }

  /** Newest first, as the API returns them. */
  messagesOf(uuid: string): CallbellMessage[] {
    return [...(this.messages.get(uuid) ?? [])].reverse();
  }

  /**
   * A customer message arrives. Callbell documents no reopen rule; the
   * dashboard reopens a closed chat on a new inbound message, so this clears
   * closedAt (the `conversation_opened` webhook case) [I].
   */
  receiveCustomerMessage(
    uuid: string,
    options: { readonly text?: string; readonly at?: Instant } = {},
  ): CallbellContact {
    this.addMessage(uuid, {
      text: options.text ?? 'Hi again',
      status: 'received',
      ...(options.at !== undefined && { at: options.at }),
    });
    const contact = this.requireContact(uuid);
    contact.closedAt = null;
    return { ...contact };
  }

  // ---- provider behaviour -------------------------------------------------

  protected errorResponse(status: number): SimResponse {
    if (status === 401) return jsonResponse(401, { error: 'Unauthorized: invalid or missing API token' });
    return jsonResponse(status, { error: reasonPhrase(status) });
  }

  /** Callbell documents "429 Too Many Requests" and no headers. */
  protected rateLimitedResponse(retryAfterMs: number): SimResponse {
    return tooManyRequests(this.options.retryAfter, retryAfterMs);
  }

  protected malformedJsonResponse(): SimResponse {
    return jsonResponse(400, { error: 'Request body is not valid JSON' });
  }

  private routeDefinitions(): RouteDefinition[] {
    const byUuid = (params: RouteParams): string[] => [params.uuid ?? ''];
    return [
      { method: 'GET', pattern: '/v1/contacts', handle: this.authenticated((request) => this.list(request)) },
      {
        method: 'GET',
        pattern: '/v1/contacts/:uuid',
        targets: byUuid,
        handle: this.authenticated((_request, params) =>
          this.withContact(params, (contact) => this.contactBody(contact)),
        ),
      },
      {
        method: 'GET',
        pattern: '/v1/contacts/:uuid/messages',
        targets: byUuid,
        handle: this.authenticated((request, params) =>
          this.withContact(params, (contact) => this.messagesPage(request, contact)),
        ),
      },
      {
        method: 'POST',
        pattern: '/v1/contacts/:uuid/conversation/close',
        targets: byUuid,
        handle: this.authenticated((_request, params) =>
          this.withContact(params, (contact) => this.setClosed(contact, true)),
        ),
      },
      {
        method: 'POST',
        pattern: '/v1/contacts/:uuid/conversation/open',
        targets: byUuid,
        handle: this.authenticated((_request, params) =>
          this.withContact(params, (contact) => this.setClosed(contact, false)),
        ),
      },
    ];
  }

  private authenticated(handler: RouteDefinition['handle']): RouteDefinition['handle'] {
    const expected = `bearer ${this.options.credentials}`;
    return (request, params) => {
      const header = request.headers.authorization;
      // The auth scheme is case-insensitive (RFC 9110); the token is not.
      const valid = typeof header === 'string' && header.slice(0, 7).toLowerCase() + header.slice(7) === expected;
      return valid ? handler(request, params) : this.errorResponse(401);
    };
  }

  private withContact(params: RouteParams, handler: (contact: StoredContact) => SimResponse): SimResponse {
    const contact = this.contacts.get(params.uuid ?? '');
    return contact ? handler(contact) : jsonResponse(404, { error: 'Contact not found' });
  }

  /** Pages hold `pageSize` contacts; past the last page the array is empty (there is no meta). */
  private list(request: SimRequest): SimResponse {
    const page = parsePositiveInteger(queryValue(request, 'page') ?? '1');
    if (page === null) return jsonResponse(400, { error: 'page must be a positive integer' });
    const source = queryValue(request, 'source')?.toLowerCase();
    const wantedTags = (queryValue(request, 'tags') ?? '')
      .split(',')
      .map((tag) => tag.trim().toLowerCase())
      .filter((tag) => tag !== '');
    const teamUuid = queryValue(request, 'team_uuid');
    // "The matching tags": a contact matches when it has any of them [I].
    const matching = [...this.contacts.values()].filter(
      (contact) =>
        (source === undefined || contact.source.toLowerCase() === source) &&
        (wantedTags.length === 0 || contact.tags.some((tag) => wantedTags.includes(tag.toLowerCase()))) &&
        (teamUuid === undefined || contact.team?.uuid === teamUuid),
    );
    const size = this.pageSize();
    const contacts = matching.slice((page - 1) * size, page * size).map((contact) => this.render(contact));
    return jsonResponse(200, { contacts });
  }

  private messagesPage(request: SimRequest, contact: StoredContact): SimResponse {
    const page = parsePositiveInteger(queryValue(request, 'page') ?? '1');
    if (page === null) return jsonResponse(400, { error: 'page must be a positive integer' });
    const size = this.pageSize();
    const messages = this.messagesOf(contact.uuid)
      .slice((page - 1) * size, page * size)
      .map((message) => ({ ...message, createdAt: callbellTime(message.createdAt) }));
    return jsonResponse(200, { messages });
  }

  /** "closedAt will be set to the current UTC date", also when it was already closed. */
  private setClosed(contact: StoredContact, closed: boolean): SimResponse {
    contact.closedAt = closed ? this.now() : null;
    return this.contactBody(contact);
  }

  private contactBody(contact: StoredContact): SimResponse {
    const rendered = this.render(contact);
    return jsonResponse(200, { contact: this.options.contactShape === 'array' ? [rendered] : rendered });
  }

  private render(contact: StoredContact): Record<string, unknown> {
    return {
      uuid: contact.uuid,
      name: contact.name,
      phoneNumber: contact.phoneNumber,
      avatarUrl: contact.avatarUrl,
      createdAt: callbellTime(contact.createdAt),
      source: contact.source,
      closedAt: contact.closedAt === null ? null : callbellTime(contact.closedAt),
      href: `${DASHBOARD}/contacts/${contact.uuid}`,
      conversationHref: `${DASHBOARD}/chat/${contact.conversationUuid}`,
      tags: [...contact.tags],
      assignedUser: contact.assignedUser,
      customFields: { ...contact.customFields },
      team: contact.team && { ...contact.team, createdAt: callbellTime(contact.team.createdAt) },
      channel: { ...contact.channel },
    };
  }

  private pageSize(): number {
    return this.options.pageSize ?? DEFAULT_PAGE_SIZE;
  }

  private requireContact(uuid: string): StoredContact {
    const contact = this.contacts.get(uuid);
    if (!contact) throw new RangeError(`No Callbell contact ${uuid}`);
    return contact;
  }
}

/** Callbell's uuids are 32 hex digits without dashes. */
function compactUuid(): string {
  return randomUUID().replaceAll('-', '');
}

/** Callbell's examples use second precision: 2020-11-13T21:08:53Z. */
function callbellTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Message parties are written as bare digits in the docs ("391234567890"). */
function digitsOf(phoneNumber: string): string {
  return phoneNumber.replace(/\D/g, '');
}
