// Runs graphql-http's GraphQL-over-HTTP audit against a running service and prints
// the results as JSON: [{id, name, status, reason}]. Every request carries the token.
//
//   node tools/graphql_http_audit.mjs http://127.0.0.1:8000/graphql <token>
import { auditServer } from 'graphql-http';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node tools/graphql_http_audit.mjs URL TOKEN');
  process.exit(2);
}

function withToken(input, init = {}) {
  const headers = new Headers(init.headers ?? {});
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: withToken });
const report = results.map(({ id, name, status, reason }) => ({ id, name, status, reason: reason ?? null }));
console.log(JSON.stringify(report));
