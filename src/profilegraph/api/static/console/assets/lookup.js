// One search box for whatever the consumer gave: phone, e-mail, order number, account id, OneID.

import { h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { showError } from "./notice.js";
import { LOOKUP } from "./queries.js";

export async function renderLookup(view, session, initial = "") {
  const input = h("input", {
    id: "lookup-query",
    type: "search",
    placeholder: t("lookup.placeholder"),
    "aria-label": t("lookup.placeholder"),
    autocomplete: "off",
    value: initial,
  });
  const results = h("div", { id: "lookup-results" });
  const form = h(
    "form",
    {
      class: "card lookup",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        search(session, input.value, results).catch(showError);
      },
    },
    h("h1", {}, t("lookup.heading")),
    h(
      "div",
      { class: "row" },
      input,
      h("button", { type: "submit", class: "primary", id: "lookup-submit" }, t("lookup.submit")),
    ),
  );
  replaceChildren(view, form, results);
  input.focus();
  if (initial) await search(session, initial, results);
}

async function search(session, typed, results) {
  const text = typed.trim();
  if (!text) return;
  replaceChildren(results, h("p", {}, t("loading")));
  const data = await session.data(LOOKUP, { query: text });
  const matches = data.lookup;
  if (matches.length === 1) {
    const oneId = matches[0].profile.redirectedFrom || matches[0].profile.oneId;
    location.hash = `#/profile/${encodeURIComponent(oneId)}`;
    return;
  }
  if (matches.length === 0) {
    replaceChildren(results, h("p", { class: "empty", id: "lookup-none" }, t("lookup.none", { query: text })));
    return;
  }
  replaceChildren(
    results,
    h("p", {}, t("lookup.many", { count: matches.length, query: text })),
    h(
      "ul",
      { class: "matches" },
      matches.map((match) =>
        h(
          "li",
          {},
          h("a", { href: `#/profile/${encodeURIComponent(match.profile.oneId)}` }, match.profile.oneId),
          " — ",
          t(`lookup.by.${match.matchedBy.toLowerCase()}`, { identifier: match.identifier || "" }),
          " · ",
          match.profile.lifecycle.stage,
          " · ",
          match.profile.identifiers.map((i) => `${i.type}:${i.value}`).join(", "),
        ),
      ),
    ),
  );
}
