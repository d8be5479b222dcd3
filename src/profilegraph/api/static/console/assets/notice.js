// The one line where the console reports results and errors (typed error codes included).

import { ApiError } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";

export const notice = h("div", { id: "notice", role: "status", "aria-live": "polite", hidden: true });
let onUnauthenticated = () => {};

export function whenUnauthenticated(handler) {
  onUnauthenticated = handler;
}

export function showNotice(kind, text) {
  notice.className = `notice ${kind}`;
  replaceChildren(notice, text);
  notice.hidden = !text;
}

export function showError(error) {
  const code = error instanceof ApiError ? error.code : "ERROR";
  showNotice("error", t("error.prefix", { code, message: error.message }));
  if (code === "UNAUTHENTICATED") onUnauthenticated(error.message);
}

// Errors of a mutation payload (`errors { code field message }`), or null when there are none.
export function payloadError(payload) {
  const error = payload?.errors?.[0];
  if (!error) return null;
  const where = error.field ? ` (${error.field})` : "";
  return new ApiError(error.code, error.message + where);
}
