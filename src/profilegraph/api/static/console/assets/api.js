// Every call the console makes: /graphql with the signed-in token, and the sign-in exchange.

const SESSION_KEY = "profilegraph.console.session";

export class ApiError extends Error {
  constructor(code, message, field = null) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

export function savedSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (session && session.expiresAt && Date.parse(session.expiresAt) < Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forgetSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

export async function redeemSignInLink(ticket) {
  const response = await fetch("/console/sign-in", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ticket }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = body.error || {};
    throw new ApiError(error.code || "UNAUTHENTICATED", error.message || response.statusText);
  }
  return body;
}

// One GraphQL request. Personal data comes masked unless `unmaskReason` is given: the
// service then serves it unmasked to a pii:read holder and audits the read with the reason.
// `asIs` sends neither header, for reads of no personal data (the caller's own scopes).
export async function graphql(token, query, variables = {}, { unmaskReason = null, asIs = false } = {}) {
  const headers = {
    "content-type": "application/json",
    accept: "application/graphql-response+json, application/json",
    authorization: `Bearer ${token}`,
  };
  if (unmaskReason) headers["x-access-reason"] = unmaskReason;
  else if (!asIs) headers["x-mask-pii"] = "1";
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (error) {
    throw new ApiError("NETWORK", String(error));
  }
  const body = await response.json().catch(() => null);
  if (response.status === 401) {
    const message = body?.errors?.[0]?.message || "the token was refused";
    throw new ApiError("UNAUTHENTICATED", message);
  }
  if (!body) throw new ApiError("HTTP_" + response.status, response.statusText);
  return body; // { data, errors }: callers show field errors next to what still came back
}

// The first error of a GraphQL answer as an ApiError, or null.
export function firstError(body) {
  const error = body?.errors?.[0];
  if (!error) return null;
  return new ApiError(error.extensions?.code || "ERROR", error.message);
}
