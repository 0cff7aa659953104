import { randomBytes, randomUUID } from 'node:crypto';
import { ProviderSimulator } from './core/provider-simulator.js';
import { bodyField, isOneOf, queryValue } from './core/request-values.js';
import { jsonResponse, reasonPhrase, textResponse } from './core/responses.js';
import { RouteTable, type RouteDefinition, type RouteParams } from './core/route-table.js';
import { samplePerson, seededActivityAt, type ActivitySpread } from './core/sample-people.js';
import { HOUR_MS, toEpochMs, toIso, toUnixSeconds, type Instant } from './core/time.js';
import type { SimRequest, SimResponse, SimulatorOptions } from './core/types.js';

/*
 * Simulates Chatwoot (and Chatwoot-based services such as pembalasan.id) as read
 * from its code and OpenAPI spec: shared/docs/providers.md §3 and
 * shared/chatwoot-swagger/swagger.json. Where the two disagree, the response
 * follows the spec when a test validates it against the spec, and the code
 * otherwise; each such place says so.
 */

export const CHATWOOT_STATUSES = ['open', 'resolved', 'pending', 'snoozed'] as const;
export type ChatwootStatus = (typeof CHATWOOT_STATUSES)[number];

/** Chatwoot's message_type enum: 0 incoming (customer), 1 outgoing (agent), 2 activity, 3 template. */
export type ChatwootMessageType = 0 | 1 | 2 | 3;

export interface ChatwootSimulatorOptions extends SimulatorOptions {
  /** The account the access token belongs to. Default 1. */
  readonly accountId?: number;
  /** Public identifier of the default (API channel) inbox. Default: random. */
  readonly inboxIdentifier?: string;
  /** The user who owns the access token (an administrator). */
  readonly agent?: { readonly name?: string; readonly email?: string };
}

export interface ChatwootInbox {
  readonly id: number;
  readonly name: string;
  /** The public API's `inbox_identifier`. */
  readonly identifier: string;
  /** Only `Channel::Api` inboxes are reachable through the public API. */
  readonly channelType: string;
  /** With an active bot, a reopened conversation goes to `pending` instead of `open`. */
  readonly hasActiveBot: boolean;
}

export interface ChatwootAgent {
  readonly id: number;
  readonly name: string;
  readonly email: string;
  readonly role: 'administrator' | 'agent';
}

export interface ChatwootTeam {
  readonly id: number;
  readonly name: string;
}

export interface ChatwootContact {
  readonly id: number;
  readonly name: string;
  readonly email: string | null;
  readonly phoneNumber: string | null;
  readonly identifier: string | null;
  readonly createdAt: number;
}

export interface ChatwootMessage {
  readonly id: number;
  readonly content: string;
  readonly messageType: ChatwootMessageType;
  readonly createdAt: number;
  readonly senderType: 'Contact' | 'User' | null;
  readonly senderId: number | null;
  readonly private: boolean;
}

/** A conversation as held by the simulator (times in epoch ms). */
export interface ChatwootConversation {
  /** The per-account display id, which is what both APIs call the conversation id. */
  readonly id: number;
  readonly uuid: string;
  readonly accountId: number;
  readonly inboxId: number;
  readonly contactId: number;
  /** The contact-inbox source id: the public API's `contact_identifier`. */
  readonly sourceId: string;
  readonly status: ChatwootStatus;
  readonly assigneeId: number | null;
  readonly teamId: number | null;
  readonly labels: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastActivityAt: number;
  /** Since when the customer waits for an agent reply; null when not waiting. */
  readonly waitingSince: number | null;
  readonly snoozedUntil: number | null;
  readonly firstReplyCreatedAt: number | null;
  readonly agentLastSeenAt: number | null;
  readonly contactLastSeenAt: number | null;
  /** Oldest first. */
  readonly messages: readonly ChatwootMessage[];
}

export interface NewChatwootContact {
  readonly name: string;
  readonly phoneNumber?: string | null;
  readonly email?: string | null;
  readonly identifier?: string | null;
  /** Default: the default inbox. */
  readonly inboxId?: number;
  /** Default: a random uuid, like Chatwoot's API channel. */
  readonly sourceId?: string;
}

export interface NewChatwootMessage {
  readonly content: string;
  /** `contact` is incoming, `agent` outgoing (from the token's user), `activity` a system note. */
  readonly from: 'contact' | 'agent' | 'activity';
  readonly at?: Instant;
  readonly private?: boolean;
}

export interface NewChatwootConversation {
  /** An existing contact (by id), or a new one created in the conversation's inbox. */
  readonly contact?: number | NewChatwootContact;
  readonly inboxId?: number;
  readonly status?: ChatwootStatus;
  /** `'me'` is the token's user. */
  readonly assignee?: 'me' | number | null;
  readonly teamId?: number | null;
  readonly labels?: readonly string[];
  readonly createdAt?: Instant;
  /** Default: the last message's time. Without messages, one customer message is added at this time. */
  readonly lastActivityAt?: Instant;
  /** Default: derived from the messages (first customer message not yet answered). */
  readonly waitingSince?: Instant | null;
  readonly snoozedUntil?: Instant | null;
  readonly messages?: readonly NewChatwootMessage[];
}

export interface ChatwootSeedOptions extends ActivitySpread {
  readonly status?: ChatwootStatus;
  readonly inboxId?: number;
  readonly labels?: readonly string[];
  readonly assignee?: 'me' | number | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type StoredConversation = Mutable<Omit<ChatwootConversation, 'messages' | 'labels'>> & {
  messages: ChatwootMessage[];
  labels: string[];
};
interface ContactInbox {
  readonly contactId: number;
  readonly inboxId: number;
  readonly sourceId: string;
}

const DEFAULT_PAGE_SIZE = 25;
const APP_PREFIX = '/api/v1/accounts/:accountId/conversations';
const PUBLIC_PREFIX = '/public/api/v1/inboxes/:inbox/contacts/:contact/conversations';
const SORTS = ['last_activity_at_desc', 'last_activity_at_asc', 'created_at_desc', 'created_at_asc'] as const;
type Sort = (typeof SORTS)[number];

/** An HTTP server that behaves like Chatwoot's application and public (client) conversation APIs. */
export class ChatwootSimulator extends ProviderSimulator {
  protected readonly basePath = '';
  protected readonly routes: RouteTable;

  readonly accountId: number;
  /** The administrator who owns the access token. */
  readonly agent: ChatwootAgent;
  /** The API-channel inbox conversations go to unless told otherwise. */
  readonly defaultInbox: ChatwootInbox;

  private readonly inboxes = new Map<number, ChatwootInbox>();
  private readonly agents = new Map<number, ChatwootAgent>();
  private readonly teams = new Map<number, ChatwootTeam>();
  private readonly contacts = new Map<number, ChatwootContact>();
  private readonly contactInboxes: ContactInbox[] = [];
  private readonly conversations = new Map<number, StoredConversation>();
  private nextId = { inbox: 1, agent: 1, team: 1, contact: 1, conversation: 1, message: 1 };
  private seeded = 0;

  private constructor(private readonly options: ChatwootSimulatorOptions) {
    super(options);
    this.accountId = options.accountId ?? 1;
    this.agent = this.addAgent({
      name: options.agent?.name ?? 'Closer Bot',
      email: options.agent?.email ?? 'closer@example.com',
      role: 'administrator',
    });
    this.defaultInbox = this.addInbox({
      name: 'API inbox',
      ...(options.inboxIdentifier !== undefined && { identifier: options.inboxIdentifier }),
    });
    this.routes = new RouteTable(this.routeDefinitions());
  }

  static async start(options: ChatwootSimulatorOptions): Promise<ChatwootSimulator> {
    const simulator = new ChatwootSimulator(options);
    await simulator.listen(options.port);
    return simulator;
  }

  // ---- state helpers ------------------------------------------------------

  addInbox(input: Partial<Omit<ChatwootInbox, 'id'>> = {}): ChatwootInbox {
    const inbox: ChatwootInbox = {
      id: this.nextId.inbox++,
      name: input.name ?? 'Inbox',
      // Chatwoot's API channel identifiers are 24 url-safe characters.
      identifier: input.identifier ?? randomBytes(18).toString('base64url'),
      channelType: input.channelType ?? 'Channel::Api',
      hasActiveBot: input.hasActiveBot ?? false,
    };
    this.inboxes.set(inbox.id, inbox);
    return inbox;
  }

  addAgent(input: {
    readonly name: string;
    readonly email?: string;
    readonly role?: ChatwootAgent['role'];
  }): ChatwootAgent {
    const id = this.nextId.agent++;
    const agent: ChatwootAgent = {
      id,
      name: input.name,
      email: input.email ?? `agent${id}@example.com`,
      role: input.role ?? 'agent',
    };
    this.agents.set(agent.id, agent);
    return agent;
  }

  addTeam(input: { readonly name: string }): ChatwootTeam {
    const team: ChatwootTeam = { id: this.nextId.team++, name: input.name };
    this.teams.set(team.id, team);
    return team;
  }

  /** Creates a contact and its contact-inbox; `sourceId` is the public API's contact identifier. */
  addContact(input: NewChatwootContact): { contact: ChatwootContact; sourceId: string } {
    const inboxId = input.inboxId ?? this.defaultInbox.id;
    if (!this.inboxes.has(inboxId)) throw new RangeError(`No Chatwoot inbox ${inboxId}`);
    const contact: ChatwootContact = {
      id: this.nextId.contact++,
      name: input.name,
      email: input.email ?? null,
      phoneNumber: input.phoneNumber ?? null,
      identifier: input.identifier ?? null,
      createdAt: this.now(),
    };
    this.contacts.set(contact.id, contact);
    const sourceId = input.sourceId ?? randomUUID();
    this.contactInboxes.push({ contactId: contact.id, inboxId, sourceId });
    return { contact, sourceId };
  }

  addConversation(input: NewChatwootConversation = {}): ChatwootConversation {
    const inboxId = input.inboxId ?? this.defaultInbox.id;
    const contactInbox = this.contactInboxFor(input.contact, inboxId);
    const explicitActivity = input.lastActivityAt === undefined ? undefined : toEpochMs(input.lastActivityAt);
    const messageInputs = input.messages ?? [
      { content: 'Hello, I need help with my order', from: 'contact' as const, at: explicitActivity ?? this.now() },
    ];
    const firstAt = messageInputs[0]?.at === undefined ? undefined : toEpochMs(messageInputs[0].at);
    const createdAt =
      input.createdAt === undefined
        ? (firstAt ?? explicitActivity ?? this.now()) - HOUR_MS
        : toEpochMs(input.createdAt);
    const stored: StoredConversation = {
      id: this.nextId.conversation++,
      uuid: randomUUID(),
      accountId: this.accountId,
      inboxId,
      contactId: contactInbox.contactId,
      sourceId: contactInbox.sourceId,
      status: input.status ?? 'open',
      assigneeId: this.assigneeIdOf(input.assignee ?? null),
      teamId: input.teamId ?? null,
      labels: [...(input.labels ?? [])],
      createdAt,
      updatedAt: createdAt,
      lastActivityAt: createdAt,
      waitingSince: null,
      snoozedUntil:
        input.snoozedUntil === undefined || input.snoozedUntil === null ? null : toEpochMs(input.snoozedUntil),
      firstReplyCreatedAt: null,
      agentLastSeenAt: null,
      contactLastSeenAt: null,
      messages: [],
    };
    this.conversations.set(stored.id, stored);
    for (const message of messageInputs) {
      this.appendMessage(
        stored,
        message.from,
        message.content,
        message.at === undefined ? this.now() : toEpochMs(message.at),
        {
          private: message.private ?? false,
          reopen: false,
        },
      );
    }
    if (explicitActivity !== undefined) stored.lastActivityAt = explicitActivity;
    if (input.waitingSince !== undefined) {
      stored.waitingSince = input.waitingSince === null ? null : toEpochMs(input.waitingSince);
    } else if (stored.status === 'resolved') {
      stored.waitingSince = null;
    }
    stored.updatedAt = Math.max(stored.updatedAt, stored.lastActivityAt);
    return this.snapshot(stored);
  }

  /**
   * Adds `count` conversations, each with a new contact and one customer
   * message; last activity is spread evenly over `activitySpreadMs` (default
   * 7 days) back from now, the first conversation being the most recent.
   */
  seed(count: number, options: ChatwootSeedOptions = {}): ChatwootConversation[] {
    const now = this.now();
    return Array.from({ length: count }, (_, index) => {
      const person = samplePerson(this.seeded++);
      return this.addConversation({
        contact: { name: person.name, phoneNumber: person.phoneNumber, email: person.email },
        status: options.status ?? 'open',
        lastActivityAt: seededActivityAt(now, index, count, options),
        ...(options.inboxId !== undefined && { inboxId: options.inboxId }),
        ...(options.labels !== undefined && { labels: options.labels }),
        ...(options.assignee !== undefined && { assignee: options.assignee }),
      });
    });
  }

  getConversation(id: number): ChatwootConversation | undefined {
    const stored = this.conversations.get(id);
    return stored && this.snapshot(stored);
  }

  statusOf(id: number): ChatwootStatus | undefined {
    return this.conversations.get(id)?.status;
  }

  listConversations(): ChatwootConversation[] {
    return [...this.conversations.values()].map((stored) => this.snapshot(stored));
  }

  /**
   * An incoming customer message: moves last_activity_at, starts waiting_since,
   * and reopens a resolved or snoozed conversation (`pending` when the inbox
   * has an active bot), as Chatwoot's Message model does.
   */
  receiveCustomerMessage(
    id: number,
    options: { readonly content?: string; readonly at?: Instant } = {},
  ): ChatwootConversation {
    const stored = this.requireConversation(id);
    const at = options.at === undefined ? this.now() : toEpochMs(options.at);
    this.appendMessage(stored, 'contact', options.content ?? 'Hi, are you there?', at, {
      private: false,
      reopen: true,
    });
    return this.snapshot(stored);
  }

  /** An agent reply from the token's user: moves last_activity_at and ends waiting_since. */
  sendAgentMessage(
    id: number,
    options: { readonly content?: string; readonly at?: Instant; readonly private?: boolean } = {},
  ): ChatwootConversation {
    const stored = this.requireConversation(id);
    const at = options.at === undefined ? this.now() : toEpochMs(options.at);
    this.appendMessage(stored, 'agent', options.content ?? 'Thanks, we are on it.', at, {
      private: options.private ?? false,
      reopen: false,
    });
    return this.snapshot(stored);
  }

  // ---- provider behaviour -------------------------------------------------

  /** The shapes Chatwoot's controllers render; the public API uses the spec's bad_request_error for 404. */
  protected errorResponse(status: number, request: SimRequest): SimResponse {
    const isPublic = request.path.startsWith('/public/');
    if (status === 404 && isPublic) return publicNotFound('conversation_id', 'Resource could not be found');
    if (status === 404) return jsonResponse(404, { error: 'Resource could not be found' });
    if (status === 401 && !isPublic) return jsonResponse(401, { error: 'Invalid Access Token' });
    if (status === 422) return jsonResponse(422, { error: 'Unprocessable Entity' });
    // Anything else reaches Rails' public exception handler, which renders this for JSON requests.
    return jsonResponse(status, { status, error: reasonPhrase(status) });
  }

  /** rack-attack's default throttled responder: text, no Retry-After (it is off unless configured). */
  protected rateLimitedResponse(): SimResponse {
    return textResponse(429, 'Retry later\n');
  }

  /** Rails raises ParseError before the controller; the public exceptions app renders it as 400. */
  protected malformedJsonResponse(): SimResponse {
    return jsonResponse(400, { status: 400, error: 'Bad Request' });
  }

  private routeDefinitions(): RouteDefinition[] {
    const appTargets = (params: RouteParams): string[] => [params.id ?? ''];
    const publicTargets = (params: RouteParams): string[] => [params.contact ?? '', params.id ?? ''].filter((id) => id);
    return [
      { method: 'GET', pattern: APP_PREFIX, handle: this.applicationApi((request) => this.list(request)) },
      {
        method: 'GET',
        pattern: `${APP_PREFIX}/:id`,
        targets: appTargets,
        handle: this.applicationApi((_request, params) =>
          this.withConversation(params, (conversation) => jsonResponse(200, this.renderApp(conversation))),
        ),
      },
      {
        method: 'POST',
        pattern: `${APP_PREFIX}/:id/toggle_status`,
        targets: appTargets,
        handle: this.applicationApi((request, params) =>
          this.withConversation(params, (conversation) => this.toggleStatus(request, conversation)),
        ),
      },
      {
        method: 'GET',
        pattern: PUBLIC_PREFIX,
        targets: publicTargets,
        handle: (_request, params) =>
          this.withContactInbox(params, (contactInbox) =>
            jsonResponse(
              200,
              this.conversationsOf(contactInbox).map((conversation) => this.renderPublic(conversation)),
            ),
          ),
      },
      {
        method: 'GET',
        pattern: `${PUBLIC_PREFIX}/:id`,
        targets: publicTargets,
        handle: (_request, params) =>
          this.withPublicConversation(params, (conversation) => jsonResponse(200, this.renderPublic(conversation))),
      },
      {
        method: 'POST',
        pattern: `${PUBLIC_PREFIX}/:id/toggle_status`,
        targets: publicTargets,
        handle: (_request, params) =>
          this.withPublicConversation(params, (conversation) => this.resolvePublic(conversation)),
      },
    ];
  }

  /** Token check, then account membership, as the accounts base controller does. */
  private applicationApi(handler: RouteDefinition['handle']): RouteDefinition['handle'] {
    return (request, params) => {
      if (request.headers.api_access_token !== this.options.credentials) {
        return jsonResponse(401, { error: 'Invalid Access Token' });
      }
      if (params.accountId !== String(this.accountId)) {
        return jsonResponse(401, { error: 'You are not authorized to do this action' });
      }
      return handler(request, params);
    };
  }

  private withConversation(
    params: RouteParams,
    handler: (conversation: StoredConversation) => SimResponse,
  ): SimResponse {
    const conversation = this.conversations.get(Number(params.id));
    return conversation ? handler(conversation) : jsonResponse(404, { error: 'Resource could not be found' });
  }

  // ---- application API ------------------------------------------------------

  /** ConversationFinder: filters, counts before the assignee filter, then one page. */
  private list(request: SimRequest): SimResponse {
    const filters = listFiltersOf(request);
    if (filters.teamId !== undefined && !this.teams.has(Number(filters.teamId))) {
      return jsonResponse(404, { error: 'Resource could not be found' });
    }
    const filtered = [...this.conversations.values()].filter((conversation) =>
      matchesListFilters(conversation, filters),
    );
    const mine = filtered.filter((conversation) => conversation.assigneeId === this.agent.id).length;
    const unassigned = filtered.filter((conversation) => conversation.assigneeId === null).length;
    const visible = filtered
      .filter((conversation) => matchesAssigneeType(conversation, filters.assigneeType, this.agent.id))
      .sort(comparator(filters.sort));
    const size = this.options.pageSize ?? DEFAULT_PAGE_SIZE;
    return jsonResponse(200, {
      data: {
        meta: {
          mine_count: mine,
          assigned_count: filtered.length - unassigned,
          unassigned_count: unassigned,
          all_count: filtered.length,
        },
        payload: visible
          .slice((filters.page - 1) * size, filters.page * size)
          .map((conversation) => this.renderApp(conversation)),
      },
    });
  }

  /**
   * With `status`: sets it (idempotent). Without: Conversation#toggle_status,
   * open → resolved and anything else → open, so a retried bare toggle reopens.
   * An unknown status raises ArgumentError in the enum setter: a 500.
   */
  private toggleStatus(request: SimRequest, conversation: StoredConversation): SimResponse {
    const requested = bodyField(request, 'status');
    let next: ChatwootStatus;
    if (requested === undefined || requested === null || requested === '') {
      next = conversation.status === 'open' ? 'resolved' : 'open';
    } else if (isOneOf(CHATWOOT_STATUSES, requested)) {
      next = requested;
    } else {
      return jsonResponse(500, { status: 500, error: 'Internal Server Error' });
    }
    const snoozedUntil = bodyField(request, 'snoozed_until');
    this.changeStatus(
      conversation,
      next,
      this.agent.name,
      typeof snoozedUntil === 'number' ? snoozedUntil * 1000 : null,
    );
    return jsonResponse(200, {
      meta: {},
      payload: {
        success: true,
        conversation_id: conversation.id,
        current_status: conversation.status,
        // The spec types this as a number (unix seconds) [spec over code, which renders the datetime].
        snoozed_until: conversation.snoozedUntil === null ? null : toUnixSeconds(conversation.snoozedUntil),
      },
    });
  }

  // ---- public API -------------------------------------------------------------

  /** `return if @conversation.resolved?`: resolving twice answers 200 with the unchanged conversation. */
  private resolvePublic(conversation: StoredConversation): SimResponse {
    if (conversation.status !== 'resolved') {
      this.changeStatus(conversation, 'resolved', this.contacts.get(conversation.contactId)?.name ?? 'contact', null);
    }
    return jsonResponse(200, this.renderPublic(conversation));
  }

  private withContactInbox(params: RouteParams, handler: (contactInbox: ContactInbox) => SimResponse): SimResponse {
    const inbox = [...this.inboxes.values()].find(
      (candidate) => candidate.identifier === params.inbox && candidate.channelType === 'Channel::Api',
    );
    if (!inbox) return publicNotFound('inbox_identifier', 'Inbox not found');
    const contactInbox = this.contactInboxes.find(
      (candidate) => candidate.inboxId === inbox.id && candidate.sourceId === params.contact,
    );
    if (!contactInbox) return publicNotFound('contact_identifier', 'Contact not found');
    return handler(contactInbox);
  }

  private withPublicConversation(
    params: RouteParams,
    handler: (conversation: StoredConversation) => SimResponse,
  ): SimResponse {
    return this.withContactInbox(params, (contactInbox) => {
      const conversation = this.conversationsOf(contactInbox).find((candidate) => String(candidate.id) === params.id);
      return conversation ? handler(conversation) : publicNotFound('conversation_id', 'Conversation not found');
    });
  }

  /** Without HMAC verification the public API only sees the contact-inbox's own conversations. */
  private conversationsOf(contactInbox: ContactInbox): StoredConversation[] {
    return [...this.conversations.values()].filter(
      (conversation) =>
        conversation.inboxId === contactInbox.inboxId && conversation.sourceId === contactInbox.sourceId,
    );
  }

  // ---- state transitions ------------------------------------------------------

  /** A real change also posts an activity message, which (like every message) moves last_activity_at. */
  private changeStatus(
    conversation: StoredConversation,
    status: ChatwootStatus,
    actor: string,
    snoozedUntil: number | null,
  ): void {
    conversation.snoozedUntil = status === 'snoozed' ? snoozedUntil : null;
    if (conversation.status === status) return;
    const now = this.now();
    conversation.status = status;
    conversation.updatedAt = now;
    // A resolved conversation no longer waits for a reply [I].
    if (status === 'resolved') conversation.waitingSince = null;
    const verb = { open: 'reopened', resolved: 'resolved', pending: 'marked as pending', snoozed: 'snoozed' }[status];
    this.appendMessage(conversation, 'activity', `Conversation was ${verb} by ${actor}`, now, {
      private: false,
      reopen: false,
    });
  }

  private appendMessage(
    conversation: StoredConversation,
    from: NewChatwootMessage['from'],
    content: string,
    at: number,
    flags: { readonly private: boolean; readonly reopen: boolean },
  ): void {
    const messageType: ChatwootMessageType = from === 'contact' ? 0 : from === 'agent' ? 1 : 2;
    conversation.messages.push({
      id: this.nextId.message++,
      content,
      messageType,
      createdAt: at,
      senderType: from === 'contact' ? 'Contact' : from === 'agent' ? 'User' : null,
      senderId: from === 'contact' ? conversation.contactId : from === 'agent' ? this.agent.id : null,
      private: flags.private,
    });
    conversation.messages.sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
    conversation.lastActivityAt = Math.max(conversation.lastActivityAt, at);
    conversation.updatedAt = Math.max(conversation.updatedAt, at);
    if (from === 'contact') {
      conversation.waitingSince ??= at;
      conversation.contactLastSeenAt = at;
      if (flags.reopen && (conversation.status === 'resolved' || conversation.status === 'snoozed')) {
        conversation.status = this.inboxes.get(conversation.inboxId)?.hasActiveBot ? 'pending' : 'open';
        conversation.snoozedUntil = null;
      }
    } else if (from === 'agent' && !flags.private) {
      conversation.waitingSince = null;
      conversation.firstReplyCreatedAt ??= at;
      conversation.agentLastSeenAt = at;
    }
  }

  // ---- rendering ----------------------------------------------------------------

  /** The conversation partial (api/v1/conversations/partials/_conversation.json.jbuilder). */
  private renderApp(conversation: StoredConversation): Record<string, unknown> {
    const inbox = this.inboxes.get(conversation.inboxId);
    const assignee = conversation.assigneeId === null ? undefined : this.agents.get(conversation.assigneeId);
    const team = conversation.teamId === null ? undefined : this.teams.get(conversation.teamId);
    const last = conversation.messages[conversation.messages.length - 1];
    const lastNonActivity = conversation.messages.filter((message) => message.messageType !== 2).pop();
    const agentSeen = conversation.agentLastSeenAt ?? 0;
    return {
      meta: {
        sender: this.renderSender(conversation.contactId),
        channel: inbox?.channelType,
        // The partial omits assignee and team when there is none (the spec's `user` is not nullable).
        ...(assignee && { assignee: this.renderAgent(assignee) }),
        ...(team && {
          team: {
            id: team.id,
            name: team.name,
            description: '',
            allow_auto_assign: true,
            account_id: this.accountId,
            is_member: true,
          },
        }),
        hmac_verified: false,
      },
      id: conversation.id,
      messages: last ? [this.renderMessage(conversation, last)] : [],
      account_id: conversation.accountId,
      uuid: conversation.uuid,
      additional_attributes: {},
      agent_last_seen_at: secondsOrZero(conversation.agentLastSeenAt),
      assignee_last_seen_at: secondsOrZero(conversation.agentLastSeenAt),
      can_reply: true,
      contact_last_seen_at: secondsOrZero(conversation.contactLastSeenAt),
      custom_attributes: {},
      inbox_id: conversation.inboxId,
      labels: [...conversation.labels],
      muted: false,
      snoozed_until: conversation.snoozedUntil === null ? null : toUnixSeconds(conversation.snoozedUntil),
      status: conversation.status,
      created_at: toUnixSeconds(conversation.createdAt),
      updated_at: conversation.updatedAt / 1000,
      // The spec says "time at which conversation was created"; the partial renders last_activity_at.
      timestamp: toUnixSeconds(conversation.lastActivityAt),
      first_reply_created_at: secondsOrZero(conversation.firstReplyCreatedAt),
      unread_count: conversation.messages.filter(
        (message) => message.messageType === 0 && message.createdAt > agentSeen,
      ).length,
      last_non_activity_message: lastNonActivity ? this.renderMessage(conversation, lastNonActivity) : null,
      last_activity_at: toUnixSeconds(conversation.lastActivityAt),
      priority: null,
      // `waiting_since.to_i`: 0 when not waiting.
      waiting_since: secondsOrZero(conversation.waitingSince),
      sla_policy_id: null,
    };
  }

  /** Message#push_event_data. */
  private renderMessage(conversation: StoredConversation, message: ChatwootMessage): Record<string, unknown> {
    const sender = this.renderMessageSender(message);
    return {
      id: message.id,
      content: message.content,
      account_id: conversation.accountId,
      inbox_id: conversation.inboxId,
      conversation_id: conversation.id,
      message_type: message.messageType,
      created_at: toUnixSeconds(message.createdAt),
      updated_at: toUnixSeconds(message.createdAt),
      private: message.private,
      status: 'sent',
      source_id: null,
      content_type: 'text',
      content_attributes: {},
      sender_type: message.senderType,
      sender_id: message.senderId,
      external_source_ids: {},
      additional_attributes: {},
      processed_message_content: message.content,
      sentiment: {},
      conversation: {
        assignee_id: conversation.assigneeId,
        unread_count: 0,
        last_activity_at: toUnixSeconds(conversation.lastActivityAt),
        contact_inbox: { source_id: conversation.sourceId },
      },
      ...(sender && { sender }),
    };
  }

  /** public/api/v1/models/_conversation.json.jbuilder: chat messages only, and the contact record. */
  private renderPublic(conversation: StoredConversation): Record<string, unknown> {
    return {
      id: conversation.id,
      uuid: conversation.uuid,
      inbox_id: conversation.inboxId,
      contact_last_seen_at: secondsOrZero(conversation.contactLastSeenAt),
      status: conversation.status,
      agent_last_seen_at: secondsOrZero(conversation.agentLastSeenAt),
      messages: conversation.messages
        .filter((message) => message.messageType !== 2 && !message.private)
        .map((message) => {
          const sender = this.renderMessageSender(message);
          return {
            id: message.id,
            content: message.content,
            message_type: message.messageType,
            content_type: 'text',
            content_attributes: {},
            created_at: toUnixSeconds(message.createdAt),
            conversation_id: conversation.id,
            ...(sender && { sender }),
          };
        }),
      contact: this.renderContactRecord(conversation.contactId),
    };
  }

  /** The api/v1/models/_contact partial used as meta.sender. */
  private renderSender(contactId: number): Record<string, unknown> {
    const contact = this.requireContact(contactId);
    return {
      additional_attributes: {},
      availability_status: 'offline',
      email: contact.email,
      id: contact.id,
      name: contact.name,
      phone_number: contact.phoneNumber,
      blocked: false,
      identifier: contact.identifier,
      thumbnail: '',
      custom_attributes: {},
      last_activity_at: toUnixSeconds(this.contactLastActivity(contactId)),
      created_at: toUnixSeconds(contact.createdAt),
    };
  }

  private renderAgent(agent: ChatwootAgent): Record<string, unknown> {
    return {
      id: agent.id,
      account_id: this.accountId,
      availability_status: 'online',
      auto_offline: true,
      confirmed: true,
      email: agent.email,
      available_name: agent.name,
      name: agent.name,
      role: agent.role,
      thumbnail: '',
      custom_role_id: null,
    };
  }

  /** Contact#push_event_data or User#push_event_data; activity messages have no sender. */
  private renderMessageSender(message: ChatwootMessage): Record<string, unknown> | undefined {
    if (message.senderType === 'Contact' && message.senderId !== null) {
      const contact = this.requireContact(message.senderId);
      return {
        additional_attributes: {},
        custom_attributes: {},
        email: contact.email,
        id: contact.id,
        identifier: contact.identifier,
        name: contact.name,
        phone_number: contact.phoneNumber,
        thumbnail: '',
        blocked: false,
        type: 'contact',
      };
    }
    const agent = message.senderId === null ? undefined : this.agents.get(message.senderId);
    if (message.senderType === 'User' && agent) {
      return {
        id: agent.id,
        name: agent.name,
        available_name: agent.name,
        avatar_url: '',
        type: 'user',
        availability_status: 'online',
        thumbnail: '',
      };
    }
    return undefined;
  }

  /** `json.contact resource.contact`: the Contact model's attributes, datetimes as ISO strings. */
  private renderContactRecord(contactId: number): Record<string, unknown> {
    const contact = this.requireContact(contactId);
    return {
      id: contact.id,
      name: contact.name,
      email: contact.email,
      phone_number: contact.phoneNumber,
      identifier: contact.identifier,
      blocked: false,
      additional_attributes: {},
      custom_attributes: {},
      contact_type: 'lead',
      country_code: null,
      last_activity_at: toIso(this.contactLastActivity(contactId)),
      created_at: toIso(contact.createdAt),
      updated_at: toIso(contact.createdAt),
      last_name: null,
      middle_name: null,
      location: null,
      account_id: this.accountId,
      company_id: null,
    };
  }

  // ---- lookups ------------------------------------------------------------------

  private contactInboxFor(contact: NewChatwootConversation['contact'], inboxId: number): ContactInbox {
    if (typeof contact === 'number') {
      const existing = this.contactInboxes.find(
        (candidate) => candidate.contactId === contact && candidate.inboxId === inboxId,
      );
      if (existing) return existing;
      const created = { contactId: this.requireContact(contact).id, inboxId, sourceId: randomUUID() };
      this.contactInboxes.push(created);
      return created;
    }
    const details = contact ?? { name: samplePerson(this.seeded++).name };
    const { contact: added, sourceId } = this.addContact({ ...details, inboxId });
    return { contactId: added.id, inboxId, sourceId };
  }

  private assigneeIdOf(assignee: 'me' | number | null): number | null {
    if (assignee === null) return null;
    if (assignee === 'me') return this.agent.id;
    if (!this.agents.has(assignee)) throw new RangeError(`No Chatwoot agent ${assignee}`);
    return assignee;
  }

  private contactLastActivity(contactId: number): number {
    const times = [...this.conversations.values()]
      .filter((conversation) => conversation.contactId === contactId)
      .map((conversation) => conversation.lastActivityAt);
    return times.length > 0 ? Math.max(...times) : (this.contacts.get(contactId)?.createdAt ?? 0);
  }

  private requireContact(id: number): ChatwootContact {
    const contact = this.contacts.get(id);
    if (!contact) throw new RangeError(`No Chatwoot contact ${id}`);
    return contact;
  }

  private requireConversation(id: number): StoredConversation {
    const conversation = this.conversations.get(id);
    if (!conversation) throw new RangeError(`No Chatwoot conversation ${id}`);
    return conversation;
  }

  private snapshot(stored: StoredConversation): ChatwootConversation {
    return { ...stored, labels: [...stored.labels], messages: stored.messages.map((message) => ({ ...message })) };
  }
}

// ---- helpers ---------------------------------------------------------------------

/** The spec's bad_request_error, used for the public API's 404s. */
function publicNotFound(field: string, message: string): SimResponse {
  return jsonResponse(404, {
    description: 'Resource could not be found',
    errors: [{ field, message, code: 'not_found' }],
  });
}

interface ListFilters {
  readonly status: string;
  readonly q?: string;
  readonly inboxId?: string;
  readonly teamId?: string;
  readonly labels: readonly string[];
  readonly assigneeType?: string;
  readonly sort: Sort;
  readonly page: number;
}

/** Unknown values select nothing or fall back to defaults, as the finder does; it never answers 422. */
function listFiltersOf(request: SimRequest): ListFilters {
  const value = (name: string) => queryValue(request, name);
  const sortBy = value('sort_by');
  // Rails reads `labels[]=a&labels[]=b`; `labels=a,b` is the tag-list string form.
  const labels = [request.query['labels[]'], request.query.labels]
    .flat()
    .filter((label) => label !== undefined)
    .flatMap((label) => label.split(','))
    .map((label) => label.trim())
    .filter((label) => label !== '');
  return {
    status: value('status') ?? 'open',
    ...(value('q') !== undefined && { q: value('q')?.toLowerCase() }),
    ...(value('inbox_id') !== undefined && { inboxId: value('inbox_id') }),
    ...(value('team_id') !== undefined && { teamId: value('team_id') }),
    ...(value('assignee_type') !== undefined && { assigneeType: value('assignee_type') }),
    labels,
    sort: isOneOf(SORTS, sortBy) ? sortBy : 'last_activity_at_desc',
    // Kaminari reads page with to_i: anything that is not a positive number is page 1.
    page: Math.max(1, Number.parseInt(value('page') ?? '1', 10) || 1),
  };
}

function matchesListFilters(conversation: StoredConversation, filters: ListFilters): boolean {
  // The finder skips the status filter when searching (`filter_by_status unless params[:q]`).
  if (filters.q === undefined && filters.status !== 'all' && conversation.status !== filters.status) return false;
  if (filters.inboxId !== undefined && String(conversation.inboxId) !== filters.inboxId) return false;
  if (filters.teamId !== undefined && String(conversation.teamId) !== filters.teamId) return false;
  // acts_as_taggable's `tagged_with(labels, any: true)`
  if (filters.labels.length > 0 && !conversation.labels.some((label) => filters.labels.includes(label))) return false;
  const needle = filters.q;
  if (needle === undefined) return true;
  // Only incoming and outgoing messages are searched.
  return conversation.messages.some(
    (message) => message.messageType <= 1 && message.content.toLowerCase().includes(needle),
  );
}

function matchesAssigneeType(
  conversation: StoredConversation,
  assigneeType: string | undefined,
  meId: number,
): boolean {
  switch (assigneeType) {
    case 'me':
      return conversation.assigneeId === meId;
    case 'unassigned':
      return conversation.assigneeId === null;
    case 'assigned':
      return conversation.assigneeId !== null;
    default:
      return true;
  }
}

function comparator(sort: Sort): (a: StoredConversation, b: StoredConversation) => number {
  const field = sort.startsWith('created_at') ? 'createdAt' : 'lastActivityAt';
  const direction = sort.endsWith('_asc') ? 1 : -1;
  // The id tie-break keeps pages stable when timestamps are equal.
  return (a, b) => direction * (a[field] - b[field]) || direction * (a.id - b.id);
}

/** Rails' `nil.to_i` is 0. */
function secondsOrZero(ms: number | null): number {
  return ms === null ? 0 : toUnixSeconds(ms);
}
