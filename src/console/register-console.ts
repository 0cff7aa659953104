import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adminLogin, sameSecret, type AdminCredentials } from '../auth/admin-credentials.js';
import { foreignOrigin } from '../auth/request-origin.js';
import { createConsoleAssets, type ConsoleAsset } from './console-assets.js';
import { registerConsoleApi } from './console-api.js';
import type { ConsoleData } from './console-data.js';
import { ConsoleCsrfError, ConsoleLoginRequiredError, type ConsoleError } from './console-errors.js';
import { contentSecurityPolicy, loginPage, shellPage, type PagePaths } from './console-pages.js';
import { createConsoleSessions, type ConsoleSession, type ConsoleSessions } from './console-sessions.js';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.js';
import { clearedSessionCookie, readCookie, sessionCookie, SESSION_COOKIE } from './cookies.js';

export const CONSOLE_PATH = '/console';
/** The header a state-changing console request carries its session's CSRF token in. */
export const CONSOLE_CSRF_HEADER = 'x-closer-csrf';

export interface ConsoleOptions extends AdminCredentials {
  data: ConsoleData;
  /** bull-board's path, linked for raw jobs. */
  dashboardPath: string;
  /** Made from the API token when not given (tests pass their own clock). */
  sessions?: ConsoleSessions;
  /** Refused logins per client (made when not given). */
  loginThrottle?: LoginThrottle;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const LOGIN_BODY_LIMIT = 4_096;

const refuse = (reply: FastifyReply, error: ConsoleError) => reply.code(error.httpStatus).send({ error: error.code, message: error.message });

/**
 * The operations console at /console (README, "Console"): admin only,
 * through a session cookie that a login with the API token (or the
 * dashboard's basic auth) sets. The cookie alone never changes anything:
 * every state-changing request needs the session's CSRF token in a header
 * (the console's page carries it; a page of another origin cannot read it,
 * nor send a custom header without a preflight this server never grants),
 * and an Origin, when sent, of the console's own. The browser's stored
 * basic-auth credentials count for nothing here. The state (the session
 * signer) lives in this registration, nowhere else.
 */
export async function registerConsole(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const sessions = options.sessions ?? createConsoleSessions(options.apiToken);
  const throttle = options.loginThrottle ?? createLoginThrottle();
  const assets = createConsoleAssets();
  const paths: PagePaths = { base: CONSOLE_PATH, dashboard: options.dashboardPath };
  const sessionOf = (request: FastifyRequest): ConsoleSession | undefined => sessions.find(readCookie(request.headers.cookie, SESSION_COOKIE));
  const html = (reply: FastifyReply, body: string, nonce = randomBytes(16).toString('base64')) =>
    reply.header('content-security-policy', contentSecurityPolicy(nonce)).type('text/html; charset=utf-8').send(body);
  const sendAsset = (reply: FastifyReply, asset: ConsoleAsset | undefined) =>
    asset ? reply.header('cache-control', 'no-cache').type(asset.type).send(asset.body) : reply.code(404).send({ error: 'not_found', message: 'no such console file' });

  await app.register(async (scope) => {
    // The login form posts as a plain HTML form would.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: LOGIN_BODY_LIMIT }, (_request, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    scope.addHook('onSend', async (request, reply) => {
      void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin').header('x-frame-options', 'DENY');
      if (!request.url.startsWith(`${CONSOLE_PATH}/assets/`)) void reply.header('cache-control', 'no-store');
    });

    scope.get(CONSOLE_PATH, async (request, reply) => {
      const session = sessionOf(request);
      if (!session) return reply.redirect(`${CONSOLE_PATH}/login`, 303);
      const nonce = randomBytes(16).toString('base64');
      return html(reply, shellPage(paths, { csrfToken: session.csrfToken, nonce }), nonce);
    });

    scope.get(`${CONSOLE_PATH}/login`, async (request, reply) => {
      if (sessionOf(request)) return reply.redirect(CONSOLE_PATH, 303);
      return html(reply, loginPage(paths, { basicAuth: options.basicAuth !== undefined }));
    });

    scope.post(`${CONSOLE_PATH}/login`, async (request, reply) => {
      const foreign = foreignOrigin(request);
      if (foreign) return refuse(reply, new ConsoleCsrfError(foreign));
      const waitSeconds = throttle.waitSeconds(request.ip);
      if (waitSeconds > 0) {
        const error = `Too many refused logins from this address: try again in ${waitSeconds} s.`;
        return html(reply.code(429).header('retry-after', String(waitSeconds)), loginPage(paths, { basicAuth: options.basicAuth !== undefined, error }));
      }
      const body = (request.body ?? {}) as { user?: unknown; password?: unknown };
      const user = typeof body.user === 'string' ? body.user : '';
      const password = typeof body.password === 'string' ? body.password : '';
      if (!adminLogin(user, password, options)) {
        throttle.refused(request.ip);
        request.log.warn({ ip: request.ip }, 'console login refused');
        return html(reply.code(401), loginPage(paths, { basicAuth: options.basicAuth !== undefined, error: 'Those credentials do not open the console.' }));
      }
      throttle.admitted(request.ip);
      const session = sessions.issue();
      return reply
        .header('set-cookie', sessionCookie(session.value, { path: CONSOLE_PATH, maxAgeSeconds: Math.floor(sessions.lifetimeMs / 1000), secure: request.protocol === 'https' }))
        .redirect(CONSOLE_PATH, 303);
    });

    scope.get<{ Params: { name: string } }>(`${CONSOLE_PATH}/assets/:name`, async (request, reply) => sendAsset(reply, await assets.own(request.params.name)));
    scope.get<{ Params: { name: string } }>(`${CONSOLE_PATH}/assets/vendor/:name`, async (request, reply) => sendAsset(reply, await assets.vendor(request.params.name)));

    await scope.register(
      async (api) => {
        api.addHook('onRequest', async (request, reply) => {
          const session = sessionOf(request);
          if (!session) return refuse(reply, new ConsoleLoginRequiredError());
          if (SAFE_METHODS.has(request.method)) return;
          const foreign = foreignOrigin(request);
          if (foreign) return refuse(reply, new ConsoleCsrfError(foreign));
          const token = request.headers[CONSOLE_CSRF_HEADER];
          if (typeof token !== 'string' || !sameSecret(token, session.csrfToken)) return refuse(reply, new ConsoleCsrfError(`no valid ${CONSOLE_CSRF_HEADER} header`));
        });
        api.post('/logout', async (request, reply) => {
          const value = readCookie(request.headers.cookie, SESSION_COOKIE);
          if (value) sessions.end(value);
          return reply.header('set-cookie', clearedSessionCookie(CONSOLE_PATH)).send({ message: 'Logged out.' });
        });
        registerConsoleApi(api, options.data);
      },
      { prefix: `${CONSOLE_PATH}/api` },
    );
  });

  // The bare address is the console, unless something else already answers there.
  if (!app.hasRoute({ method: 'GET', url: '/' })) app.get('/', async (_request, reply) => reply.redirect(CONSOLE_PATH, 302));
}
