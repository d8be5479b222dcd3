// The console shell: sign-in, navigation by the address's fragment, and the notice line.

import { firstError, forgetSession, graphql, redeemSignInLink, savedSession, saveSession } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { CALLER } from "./queries.js";
import { renderLookup } from "./lookup.js";
import { renderProfile } from "./profile.js";
import { renderValues } from "./values.js";
import { renderAudiences } from "./audiences.js";
import { renderAdmin } from "./admin.js";
import { notice, showError, showNotice, whenUnauthenticated } from "./notice.js";

const root = document.getElementById("app");
document.title = t("title");

// What every view receives: the caller and how to reach the API as them.
function makeSession(token, caller) {
  return {
    token,
    caller,
    can: (capability) => caller.capabilities.includes(capability),
    readsPii: caller.scopes.includes("pii:read"),
    query: (document, variables, options) => graphql(token, document, variables, options),
    // The data of an answer, or an ApiError for its first error.
    async data(document, variables, options) {
      const body = await graphql(token, document, variables, options);
      const error = firstError(body);
      if (error) throw error;
      return body.data;
    },
  };
}

function signOut(message = "") {
  forgetSession();
  renderSignIn(message);
}

function renderSignIn(message = "") {
  const input = h("textarea", { id: "token", rows: 4, autocomplete: "off", spellcheck: "false" });
  const error = h("p", { class: "error", id: "sign-in-error", role: "alert" }, message);
  const form = h(
    "form",
    {
      class: "card sign-in",
      onsubmit: async (event) => {
        event.preventDefault();
        await start(input.value.trim(), error);
      },
    },
    h("h1", {}, t("signin.heading")),
    h("p", {}, t("signin.explain")),
    h("label", { for: "token" }, t("signin.token")),
    input,
    error,
    h("button", { type: "submit", class: "primary" }, t("signin.submit")),
  );
  replaceChildren(root, h("main", { class: "centered" }, form));
}

async function start(token, errorLine) {
  if (!token) return;
  try {
    const body = await graphql(token, CALLER, {}, { asIs: true });
    const failure = firstError(body);
    if (failure) throw failure;
    saveSession({ token, expiresAt: null });
    renderShell(makeSession(token, body.data.caller));
  } catch (error) {
    forgetSession();
    if (errorLine) replaceChildren(errorLine, error.message);
    else renderSignIn(error.message);
  }
}

function navLink(route, label) {
  return h("a", { href: `#/${route}`, "data-route": route }, label);
}

function renderShell(session) {
  const caller = session.caller;
  const nav = h(
    "nav",
    { "aria-label": "main" },
    navLink("lookup", t("nav.lookup")),
    session.can("lookup") ? navLink("values", t("nav.values")) : null,
    session.can("lookup") ? navLink("audiences", t("nav.audiences")) : null,
    session.can("administer") ? navLink("admin", t("nav.admin")) : null,
  );
  const badge = h(
    "span",
    { class: "caller", id: "caller" },
    `${caller.name} · ${caller.role}${caller.scopes.length ? " · " + caller.scopes.join(" ") : ""}`,
  );
  const header = h(
    "header",
    {},
    h("strong", { class: "brand" }, t("title")),
    nav,
    badge,
    h("button", { type: "button", id: "sign-out", onclick: () => signOut() }, t("signin.out")),
  );
  let view = h("main", { id: "view" });
  replaceChildren(root, header, notice, view);
  showNotice("", "");

  const route = () => {
    const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/");
    for (const link of nav.querySelectorAll("a")) {
      link.classList.toggle("current", link.dataset.route === (name || "lookup"));
    }
    showNotice("", "");
    // Each visit draws into a view of its own: a page still loading for the route the user left
    // (a profile reloading after a change) then fills a detached element, not the page now shown.
    const fresh = h("main", { id: "view" });
    view.replaceWith(fresh);
    view = fresh;
    const argument = rest.map(decodeURIComponent).join("/");
    const views = {
      profile: () => renderProfile(view, session, argument),
      values: () => renderValues(view, session),
      audiences: () => renderAudiences(view, session),
      admin: () => renderAdmin(view, session),
    };
    (views[name] || (() => renderLookup(view, session, argument)))().catch(showError);
  };
  window.onhashchange = route;
  route();
}

async function boot() {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const ticket = fragment.get("sign-in");
  if (ticket) {
    // The ticket works once: take it out of the address (and the history) before anything else.
    history.replaceState(null, "", location.pathname + location.search + "#/lookup");
    replaceChildren(root, h("main", { class: "centered" }, h("p", {}, t("signin.working"))));
    try {
      const signedIn = await redeemSignInLink(ticket);
      saveSession({ token: signedIn.token, expiresAt: signedIn.expiresAt });
      await start(signedIn.token, null);
    } catch (error) {
      renderSignIn(error.message);
    }
    return;
  }
  const session = savedSession();
  if (session) await start(session.token, null);
  else renderSignIn();
}

whenUnauthenticated((message) => signOut(message));
boot();
