// One screen with the consumer on it: identifiers, attributes, value, tags, timeline, and for
// admins the identity graph, merge history, audit trail and the actions that change identity.

import { formatDate, formatNumber, formatTime, h, replaceChildren, showValue } from "./dom.js";
import { t } from "./i18n.js";
import { showError, showNotice } from "./notice.js";
import { ADMIN_PROFILE, PROFILE } from "./queries.js";
import { askReason, blockAction, mergeAction, splitAction } from "./actions.js";
import { renderGraph } from "./graph.js";

function card(id, title, ...content) {
  return h("section", { class: "card", id }, h("h2", {}, title), ...content);
}

function table(columns, rows, attrs = {}) {
  if (!rows.length) return h("p", { class: "empty" }, t("profile.none"));
  return h(
    "div",
    { class: "table-scroll" },
    h(
      "table",
      attrs,
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((column) => h("th", { scope: "col" }, column)),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}

function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, t(`status.${status}`));
}

function identifiersCard(profile, session, context) {
  const admin = session.can("administer");
  const rows = profile.identifiers.map((identifier) =>
    h(
      "tr",
      { dataset: { type: identifier.type } },
      h("td", {}, identifier.type),
      h("td", { class: "identifier-value" }, identifier.value),
      h("td", {}, identifier.sources.join(", ")),
      h("td", {}, formatTime(identifier.firstSeen)),
      h("td", {}, formatTime(identifier.lastSeen)),
      h("td", {}, statusBadge(identifier.status)),
      admin
        ? h(
            "td",
            {},
            h(
              "button",
              {
                type: "button",
                class: "small",
                onclick: () => blockAction(session, profile, identifier, context).catch(showError),
              },
              identifier.status === "blocked" ? t("admin.unblock") : t("admin.block"),
            ),
          )
        : null,
    ),
  );
  const columns = [
    t("col.type"),
    t("col.value"),
    t("col.sources"),
    t("col.firstSeen"),
    t("col.lastSeen"),
    t("col.status"),
  ];
  if (admin) columns.push("");
  return h(
    "section",
    { class: "card wide", id: "identifiers" },
    h("h2", {}, t("profile.identifiers")),
    table(columns, rows, { id: "identifiers-table" }),
  );
}

function attributesCard(profile) {
  const rows = profile.attributes.map((attribute) =>
    h(
      "tr",
      {},
      h("td", {}, attribute.name),
      h("td", {}, showValue(attribute.value)),
      h("td", {}, attribute.source),
      h("td", {}, formatTime(attribute.observedAt)),
      h("td", {}, attribute.rule || ""),
    ),
  );
  return card(
    "attributes",
    t("profile.attributes"),
    table([t("col.name"), t("col.value"), t("col.source"), t("col.observedAt"), t("col.rule")], rows),
  );
}

function figure(label, value, id = null) {
  return h("div", { class: "figure", id }, h("span", { class: "label" }, label), h("span", { class: "number" }, value));
}

function valueCard(profile) {
  const { clv, lifecycle } = profile;
  const rfm = clv.rfm;
  return card(
    "value",
    t("profile.value"),
    h(
      "div",
      { class: "figures" },
      figure(t("value.stage"), `${lifecycle.stage} (${t("value.since")} ${formatDate(lifecycle.since)})`, "stage"),
      figure(t("value.tier"), lifecycle.tier, "tier"),
      figure(t("value.historic"), formatNumber(clv.historic)),
      figure(t("value.predicted"), formatNumber(clv.predicted)),
      figure(t("value.expected"), formatNumber(clv.expectedPurchases)),
      figure(t("value.pAlive"), clv.pAlive === null ? "—" : formatNumber(clv.pAlive, 3)),
      figure(
        t("value.rfm"),
        rfm
          ? `R${rfm.rScore} F${rfm.fScore} M${rfm.mScore} · ${rfm.segment} (${rfm.recency}d, ${rfm.frequency}×, ${formatNumber(rfm.monetary)})`
          : "—",
      ),
      figure(t("value.fitted"), formatTime(clv.fittedAt)),
    ),
  );
}

function tagsCard(profile) {
  const chips = profile.tags.map((tag) =>
    h(
      "li",
      {
        class: `chip kind-${tag.kind.toLowerCase()}`,
        title: `${tag.kind} · ${tag.source}${tag.expiresAt ? " · → " + tag.expiresAt : ""}`,
      },
      h("strong", {}, tag.name),
      tag.value === true ? "" : ` = ${showValue(tag.value)}`,
      tag.confidence === null ? "" : ` (${formatNumber(tag.confidence, 2)})`,
    ),
  );
  const affinities = profile.affinities.map((affinity) =>
    h(
      "li",
      { class: "affinity" },
      h("span", {}, `${affinity.dimension.toLowerCase().replace("_", " ")}: ${affinity.value}`),
      h("meter", { min: 0, max: 1, value: affinity.score, title: formatNumber(affinity.score, 3) }),
      h("span", { class: "muted" }, `${affinity.evidence}×`),
    ),
  );
  return card(
    "tags",
    t("profile.tags"),
    chips.length ? h("ul", { class: "chips" }, chips) : h("p", { class: "empty" }, t("profile.none")),
    h("h3", {}, t("profile.affinities")),
    affinities.length ? h("ul", { class: "affinities" }, affinities) : h("p", { class: "empty" }, t("profile.none")),
  );
}

function timelineEntries(orders, interactions, touches = { edges: [] }) {
  const entries = [
    ...orders.edges.map(({ node }) => ({
      at: node.at,
      kind: "order",
      title: t("timeline.order", { id: node.orderId }),
      detail: `${formatNumber(node.amount)} ${node.currency || ""} · ${node.items.map((i) => `${i.sku}×${i.quantity}`).join(", ")}`,
      where: [node.channel, node.source].filter(Boolean).join(" · "),
    })),
    ...interactions.edges.map(({ node }) => ({
      at: node.at,
      kind: "interaction",
      title: t("timeline.interaction", { kind: node.kind }),
      detail: node.contentId || "",
      where: [node.channel, node.source].filter(Boolean).join(" · "),
    })),
    ...touches.edges.map(({ node }) => ({
      at: node.at,
      kind: "touch",
      title: t("timeline.touch", { action: node.action, campaign: node.campaign?.name || node.campaignId }),
      detail: node.campaignId,
      where: [node.channel, node.source].filter(Boolean).join(" · "),
    })),
  ];
  return entries.sort((a, b) => (a.at < b.at ? 1 : -1));
}

function timelineBody(entries, total) {
  const items = entries.map((entry) =>
    h(
      "li",
      { class: `timeline-${entry.kind}` },
      h("time", { datetime: entry.at }, formatTime(entry.at)),
      h("strong", {}, entry.title),
      h("span", {}, entry.detail),
      h("span", { class: "muted" }, entry.where),
    ),
  );
  return [
    h("p", { class: "muted" }, t("timeline.more", { shown: entries.length, total })),
    items.length ? h("ol", { class: "timeline" }, items) : h("p", { class: "empty" }, t("profile.none")),
  ];
}

function timelineCard(profile) {
  const total = profile.orders.totalCount + profile.interactions.totalCount + profile.touches.totalCount;
  const entries = timelineEntries(profile.orders, profile.interactions, profile.touches);
  return card("timeline", t("profile.timeline"), ...timelineBody(entries, total));
}

// What was recorded only on a family tablet or a store kiosk this consumer used: it stays
// on their profile, apart from their own timeline, and no value figure counts it.
function sharedActivityCard(profile) {
  const total = profile.sharedOrders.totalCount + profile.sharedInteractions.totalCount;
  if (!total) return null;
  const entries = timelineEntries(profile.sharedOrders, profile.sharedInteractions);
  return card(
    "shared-activity",
    t("profile.sharedActivity"),
    h("p", {}, t("profile.sharedActivityNote")),
    ...timelineBody(entries, total),
  );
}

function householdsCard(profile) {
  if (!profile.households.length) return null;
  return card(
    "households",
    t("profile.households"),
    h(
      "ul",
      {},
      profile.households.map((household) =>
        h(
          "li",
          {},
          household.devices.join(", "),
          ": ",
          household.members.map((member, index) => [
            index ? ", " : "",
            member === profile.oneId ? member : h("a", { href: `#/profile/${encodeURIComponent(member)}` }, member),
          ]),
        ),
      ),
    ),
  );
}

function historyCard(history) {
  if (!history) return null;
  const merges = [...history.mergedFrom, ...(history.mergedInto ? [history.mergedInto] : [])];
  return card(
    "history",
    t("profile.history"),
    table(
      [t("col.when"), t("col.what"), t("col.reason")],
      merges.map((merge) =>
        h(
          "tr",
          {},
          h("td", {}, formatTime(merge.at)),
          h("td", {}, `${merge.retired} → ${merge.survivor}`),
          h("td", {}, merge.reason),
        ),
      ),
    ),
  );
}

function auditCard(auditLog) {
  return card(
    "audit",
    t("profile.audit"),
    table(
      [t("col.when"), t("col.actor"), t("col.action"), t("col.reason")],
      auditLog.edges.map(({ node }) =>
        h(
          "tr",
          {},
          h("td", {}, formatTime(node.at)),
          h("td", {}, node.actor),
          h("td", {}, node.action),
          h("td", {}, node.reason),
        ),
      ),
    ),
  );
}

export async function renderProfile(view, session, oneId, unmaskReason = null) {
  replaceChildren(view, h("p", {}, t("loading")));
  const data = await session.data(PROFILE, { oneId }, { unmaskReason });
  const profile = data.profile;
  if (!profile) {
    replaceChildren(view, h("p", { class: "empty" }, t("profile.notFound", { oneId })));
    return;
  }
  const context = { reload: (reason = unmaskReason) => renderProfile(view, session, oneId, reason), unmaskReason };
  const actions = h("div", { class: "actions" });
  if (session.readsPii) {
    actions.append(
      unmaskReason
        ? h(
            "button",
            { type: "button", id: "mask", onclick: () => context.reload(null).catch(showError) },
            t("unmask.hide"),
          )
        : h(
            "button",
            {
              type: "button",
              id: "unmask",
              onclick: async () => {
                const reason = await askReason(t("unmask.show"), t("unmask.reason"));
                if (reason) await context.reload(reason).catch(showError);
              },
            },
            t("unmask.show"),
          ),
    );
  }
  if (session.can("administer")) {
    actions.append(
      h(
        "button",
        { type: "button", id: "merge", onclick: () => mergeAction(session, profile, context).catch(showError) },
        t("admin.merge"),
      ),
      h(
        "button",
        { type: "button", id: "split", onclick: () => splitAction(session, profile, context).catch(showError) },
        t("admin.split"),
      ),
    );
  }
  const heading = h(
    "section",
    { class: "card profile-head" },
    h("h1", { id: "one-id" }, profile.oneId),
    profile.redirectedFrom
      ? h("p", { class: "redirected", id: "redirected" }, t("profile.redirected", { from: profile.redirectedFrom }))
      : null,
    unmaskReason
      ? h("p", { class: "unmasked", id: "unmasked-banner" }, t("unmask.banner", { reason: unmaskReason }))
      : null,
    h(
      "p",
      { class: "muted" },
      `${t("profile.created")} ${formatTime(profile.createdAt)} · ${t("profile.updated")} ${formatTime(profile.updatedAt)}`,
      profile.mergedFrom.length
        ? ` · ${t("profile.mergedFrom")} ${profile.mergedFrom.map((m) => m.oneId).join(", ")}`
        : "",
    ),
    actions,
  );
  const grid = h(
    "div",
    { class: "grid" },
    identifiersCard(profile, session, context),
    valueCard(profile),
    attributesCard(profile),
    tagsCard(profile),
    timelineCard(profile),
    sharedActivityCard(profile),
    householdsCard(profile),
  );
  replaceChildren(view, heading, grid);
  if (session.can("administer")) {
    const admin = await session.query(ADMIN_PROFILE, { oneId: profile.oneId }, { unmaskReason });
    if (admin.errors?.length)
      showNotice("error", admin.errors.map((e) => `${e.extensions?.code}: ${e.message}`).join("; "));
    const graph = admin.data?.profile?.identityGraph;
    if (graph) {
      const drawing = renderGraph(session, profile.oneId, graph, unmaskReason);
      grid.append(drawing.section);
      drawing.draw(); // Cytoscape measures its container, so it draws once the section is in the page
    }
    grid.append(
      ...[historyCard(admin.data?.mergeHistory), admin.data?.auditLog ? auditCard(admin.data.auditLog) : null].filter(
        Boolean,
      ),
    );
  }
}
