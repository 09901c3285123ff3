// The OpenID Connect authorization server the README's test command starts on 127.0.0.1: panva's
// oidc-provider (a certified implementation nobody in this project wrote), configured to behave like
// the strict end of real providers, so our client is tested against what RFC 6749 / 7636 / 9207 /
// 9700 allow a server to do:
//
//   - client authentication enforced at the token endpoint (a wrong secret is `invalid_client`, 401);
//   - PKCE (S256) required on every authorization request (none, or a wrong verifier, is refused);
//   - refresh tokens issued for every authorization-code grant of a client allowed `refresh_token`
//     (no `offline_access` + `prompt=consent` dance), and ROTATED: a refresh token works once; a
//     reused one is `invalid_grant`, and oidc-provider then revokes the whole grant (every token of it);
//   - the client credentials grant, for the `api:read` scope;
//   - `iss` in every authorization response, success or error (RFC 9207; always on in oidc-provider 9);
//   - the built-in development login and consent pages ("devInteractions"): any login and any password
//     sign in as that account id; the "[ Cancel ]" link (`/interaction/<uid>/abort`) sends
//     `error=access_denied` to the redirect URI.
//
// Usage: node server.mjs [port]   (or PORT=...; default 3000). The issuer is http://127.0.0.1:<port>.
//
// Environment:
//   OIDC_CLIENTS_FILE       JSON array of client metadata (default: clients.json next to this file):
//                           client_id, client_secret, redirect_uris, grant_types,
//                           token_endpoint_auth_method, scope, and optionally application_type.
//   OIDC_REDIRECT_URIS      comma-separated redirect URIs added to every authorization-code client.
//   OIDC_ACCESS_TOKEN_TTL   access token lifetime in seconds (default 3600), for both grants.
//   OIDC_EXIT_WITH_STDIN    when `1`, the server exits when its stdin closes: a test harness that
//                           starts it with a pipe as stdin never leaves it running after it dies.
//
// Redirect URIs and ports: every Rust test runs our return handler on its own random port, so a fixed
// list cannot name them. The authorization-code clients are registered as `application_type: native`
// (the default here when a client file does not say) with `http://127.0.0.1/oauth/return`. For native
// clients oidc-provider applies RFC 8252 §7.3: a loopback (127.0.0.1, [::1], localhost) http redirect
// URI matches a registered one whatever its port, and only the port may differ; path and query must
// match exactly. So any `http://127.0.0.1:<port>/oauth/return` is accepted, nothing else. (oidc-provider
// also always shows the consent page to native clients, which the tests go through anyway.)
//
// Only our own lines and oidc-provider's warnings go to stdout/stderr; we never print secrets, codes or
// tokens (request lines carry the path only, not the query string).

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider, { errors } from 'oidc-provider';

const here = path.dirname(fileURLToPath(import.meta.url));
const version = JSON.parse(
  fs.readFileSync(path.join(here, 'node_modules', 'oidc-provider', 'package.json'), 'utf8'),
).version;

function fail(message) {
  console.error(`oidc-server: ${message}`);
  process.exit(2);
}

const port = Number.parseInt(process.argv[2] ?? process.env.PORT ?? '3000', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  fail(`invalid port ${JSON.stringify(process.argv[2] ?? process.env.PORT)}`);
}
const issuer = `http://127.0.0.1:${port}`;

const accessTokenTtl = Number.parseInt(process.env.OIDC_ACCESS_TOKEN_TTL ?? '3600', 10);
if (!Number.isInteger(accessTokenTtl) || accessTokenTtl <= 0) {
  fail(`OIDC_ACCESS_TOKEN_TTL must be a positive number of seconds, not ${JSON.stringify(process.env.OIDC_ACCESS_TOKEN_TTL)}`);
}

// --- Clients -------------------------------------------------------------------------------------
const clientsFile = process.env.OIDC_CLIENTS_FILE || path.join(here, 'clients.json');
let clients;
try {
  clients = JSON.parse(fs.readFileSync(clientsFile, 'utf8'));
} catch (err) {
  fail(`cannot read the clients file ${clientsFile}: ${err.message}`);
}
if (!Array.isArray(clients)) {
  fail(`${clientsFile} must hold a JSON array of clients`);
}

const extraRedirectUris = (process.env.OIDC_REDIRECT_URIS ?? '')
  .split(',')
  .map((uri) => uri.trim())
  .filter(Boolean);

clients = clients.map((client) => {
  const grantTypes = client.grant_types ?? ['authorization_code', 'refresh_token'];
  const authCode = grantTypes.includes('authorization_code');
  return {
    ...client,
    grant_types: grantTypes,
    response_types: client.response_types ?? (authCode ? ['code'] : []),
    application_type: client.application_type ?? (authCode ? 'native' : 'web'),
    redirect_uris: authCode
      ? [...new Set([...(client.redirect_uris ?? []), ...extraRedirectUris])]
      : (client.redirect_uris ?? []),
  };
});

// --- Accounts: anyone may sign in as any id ------------------------------------------------------
async function findAccount(_ctx, id) {
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        name: `Test User ${id}`,
        email: `${id}@example.test`,
        email_verified: true,
      };
    },
  };
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// A signing key of our own per run, so oidc-provider does not fall back to its published dev key.
const signingKey = {
  ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  use: 'sig',
  alg: 'RS256',
  kid: crypto.randomUUID(),
};

const provider = new Provider(issuer, {
  clients,
  findAccount,
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    // On by default; with no `resource` parameter and no default resource, authorization-code access
    // tokens are for the userinfo endpoint and client-credentials tokens are opaque tokens carrying the
    // granted scope, which is all the tests need.
    resourceIndicators: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  pkce: {
    required: () => true,
  },
  // Refresh tokens for every authorization-code grant of a client allowed the refresh_token grant.
  issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token')
    && code.kind === 'AuthorizationCode',
  rotateRefreshToken: true,
  // Grants outlive the browser session they were made in, as at real providers (without
  // `offline_access`, oidc-provider would otherwise tie the refresh token to the session).
  expiresWithSession: async () => false,
  ttl: {
    AccessToken: accessTokenTtl,
    ClientCredentials: accessTokenTtl,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 60 * 60,
    Interaction: 60 * 60,
    Session: 14 * 24 * 60 * 60,
    Grant: 14 * 24 * 60 * 60,
  },
  // A plain page naming the error, for a human or the tests' browser stand-in to read.
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><title>oidc-server error</title>`
      + `<h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? '')}</p>`;
  },
});

// --- Logs: one line per request (path only) and per error ---------------------------------------
provider.use(async (ctx, next) => {
  await next();
  console.log(`oidc-server: ${ctx.method} ${ctx.path} -> ${ctx.status}`);
});

function logError(event) {
  provider.on(event, (ctx, err) => {
    const client = ctx?.oidc?.client?.clientId;
    const detail = err instanceof errors.OIDCProviderError ? err.error_detail : undefined;
    console.log(
      `oidc-server: ${event}: ${err.error ?? err.name}: ${err.error_description ?? err.message}`
        + `${detail ? ` (${detail})` : ''}${client ? ` [client ${client}]` : ''}`,
    );
  });
}
for (const event of ['authorization.error', 'grant.error', 'introspection.error', 'revocation.error', 'userinfo.error', 'server_error']) {
  logError(event);
}

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-server: oidc-provider ${version} ready at ${issuer} (clients from ${clientsFile})`);
});
server.on('error', (err) => fail(`cannot listen on 127.0.0.1:${port}: ${err.message}`));

if (process.env.OIDC_EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(0));
}
