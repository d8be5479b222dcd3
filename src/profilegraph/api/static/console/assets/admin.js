// The identity admin's desk: merge two OneIDs, open conflicts, the latest audit entries.
// Shown in the navigation to admins only; any other role that opens it gets the API's FORBIDDEN.

import { formatTime, h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { showError } from "./notice.js";
import { ADMIN_OVERVIEW } from "./queries.js";
import { confirmDialog, mergeProfile, setBlocked } from "./actions.js";

function rowsTable(id, columns, rows) {
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      { id },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}

export async function renderAdmin(view, session) {
  const a = h("input", { id: "admin-merge-a", type: "text", autocomplete: "off" });
  const b = h("input", { id: "admin-merge-b", type: "text", autocomplete: "off" });
  const mergeForm = h(
    "form",
    {
      class: "card",
      id: "admin-merge",
      onsubmit: async (event) => {
        event.preventDefault();
        const answer = await confirmDialog({
          title: t("admin.mergeTitle"),
          change: t("admin.mergeChange", { a: a.value.trim(), b: b.value.trim() }),
        });
        if (!answer) return;
        try {
          const survivor = await mergeProfile(session, a.value.trim(), b.value.trim(), answer.reason);
          location.hash = `#/profile/${encodeURIComponent(survivor)}`;
        } catch (error) {
          showError(error);
        }
      },
    },
    h("h2", {}, t("admin.mergeForm")),
    h("label", { for: "admin-merge-a" }, t("admin.oneIdA")),
    a,
    h("label", { for: "admin-merge-b" }, t("admin.oneIdB")),
    b,
    h("button", { type: "submit", class: "primary" }, t("admin.merge")),
  );
  const identifier = h("input", {
    id: "admin-identifier",
    type: "text",
    autocomplete: "off",
    placeholder: "pos_card:POS-1",
  });
  const blockButton = (unblock) =>
    h(
      "button",
      {
        type: "button",
        id: unblock ? "admin-unblock" : "admin-block",
        onclick: async () => {
          const answer = await confirmDialog({
            title: t(unblock ? "admin.unblockTitle" : "admin.blockTitle", { identifier: identifier.value.trim() }),
            change: t(unblock ? "admin.unblockChange" : "admin.blockChange"),
          });
          if (!answer) return;
          await setBlocked(session, identifier.value, unblock, answer.reason).catch(showError);
        },
      },
      unblock ? t("admin.unblock") : t("admin.block"),
    );
  const blockForm = h(
    "section",
    { class: "card", id: "admin-blocks" },
    h("h2", {}, t("admin.blockForm")),
    h("label", { for: "admin-identifier" }, t("admin.identifierKey")),
    identifier,
    h("div", { class: "row" }, blockButton(false), blockButton(true)),
  );
  const lists = h("div", { class: "grid" });
  replaceChildren(view, h("h1", {}, t("admin.heading")), h("div", { class: "grid" }, mergeForm, blockForm), lists);
  try {
    const data = await session.data(ADMIN_OVERVIEW);
    lists.append(
      h(
        "section",
        { class: "card wide" },
        h("h2", {}, `${t("admin.conflicts")} (${data.conflicts.totalCount})`),
        rowsTable(
          "conflicts-table",
          [t("col.when"), "A", "B", t("col.rule")],
          data.conflicts.edges.map(({ node }) =>
            h(
              "tr",
              {},
              h("td", {}, formatTime(node.detectedAt)),
              h("td", {}, node.a),
              h("td", {}, node.b),
              h("td", {}, node.rule),
            ),
          ),
        ),
      ),
      h(
        "section",
        { class: "card wide" },
        h("h2", {}, t("admin.recentAudit")),
        rowsTable(
          "audit-table",
          [t("col.when"), t("col.actor"), t("col.action"), t("col.reason"), "OneID"],
          data.auditLog.edges.map(({ node }) =>
            h(
              "tr",
              {},
              h("td", {}, formatTime(node.at)),
              h("td", {}, node.actor),
              h("td", {}, node.action),
              h("td", {}, node.reason),
              h(
                "td",
                {},
                node.oneIds.map((id, i) => [
                  i ? ", " : "",
                  h("a", { href: `#/profile/${encodeURIComponent(id)}` }, id),
                ]),
              ),
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    showError(error);
  }
}
