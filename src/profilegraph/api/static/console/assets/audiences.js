// The audience builder: conditions combined with AND or OR, an exact live count, and saving.

import { formatNumber, h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { payloadError, showError, showNotice } from "./notice.js";
import { AUDIENCE_COUNT, AUDIENCE_OPTIONS, DEFINE_AUDIENCE } from "./queries.js";

const STAGES = ["POTENTIAL", "NEW", "ACTIVE", "HIGH_VALUE", "DORMANT", "CHURNED"];
const TIERS = ["HIGH_VALUE", "GROWABLE", "LOW_ACTIVITY"];
const DIMENSIONS = ["PRODUCT_CATEGORY", "PRODUCT_BRAND", "PRODUCT_TAG", "CONTENT_TOPIC", "CONTENT_TAG", "CHANNEL"];

function select(id, options) {
  return h(
    "select",
    { id },
    h("option", { value: "" }, t("audience.any")),
    options.map((o) => h("option", { value: o }, o)),
  );
}

function field(label, control) {
  return h("label", { class: "field" }, h("span", {}, label), control);
}

function parsedValue(text) {
  const trimmed = text.trim();
  if (trimmed === "true") return true;
  if (trimmed === "false") return false;
  if (trimmed !== "" && !Number.isNaN(Number(trimmed))) return Number(trimmed);
  return trimmed;
}

export async function renderAudiences(view, session) {
  replaceChildren(view, h("p", {}, t("loading")));
  const options = await session.data(AUDIENCE_OPTIONS);
  const stage = select("aud-stage", STAGES);
  const tier = select("aud-tier", TIERS);
  const identifierType = select("aud-identifier", options.identifierTypes);
  const clvMin = h("input", { id: "aud-clv-min", type: "number", min: 0, step: "any" });
  const clvMax = h("input", { id: "aud-clv-max", type: "number", min: 0, step: "any" });
  const tag = select(
    "aud-tag",
    options.tagDefinitions.map((d) => d.name),
  );
  const tagValue = h("input", { id: "aud-tag-value", type: "text" });
  const dimension = select("aud-dimension", DIMENSIONS);
  const affinityValue = h("input", { id: "aud-affinity-value", type: "text" });
  const affinityMin = h("input", {
    id: "aud-affinity-min",
    type: "number",
    min: 0,
    max: 1,
    step: "0.05",
    value: "0.2",
  });
  const combine = h(
    "select",
    { id: "aud-combine" },
    h("option", { value: "and" }, t("audience.all")),
    h("option", { value: "or" }, t("audience.anyHold")),
  );
  const count = h("output", { id: "audience-count", class: "count" }, "");
  const sample = h("ul", { class: "sample", id: "audience-sample" });
  const name = h("input", { id: "aud-name", type: "text" });

  function conditions() {
    const parts = [];
    if (stage.value) parts.push({ stage: stage.value });
    if (tier.value) parts.push({ tier: tier.value });
    if (identifierType.value) parts.push({ identifierTypes: [identifierType.value] });
    if (clvMin.value || clvMax.value) {
      const range = {};
      if (clvMin.value) range.min = Number(clvMin.value);
      if (clvMax.value) range.max = Number(clvMax.value);
      parts.push({ predictedClv: range });
    }
    if (tag.value) {
      const condition = { name: tag.value };
      if (tagValue.value.trim()) condition.eq = parsedValue(tagValue.value);
      parts.push({ tags: [condition] });
    }
    if (dimension.value && affinityValue.value.trim()) {
      parts.push({
        affinities: [
          { dimension: dimension.value, value: affinityValue.value.trim(), min: Number(affinityMin.value || 0) },
        ],
      });
    }
    if (!parts.length) return null;
    if (parts.length === 1) return parts[0];
    return combine.value === "or" ? { or: parts } : { and: parts };
  }

  let pending = 0;
  async function refresh() {
    const asked = ++pending;
    replaceChildren(count, t("audience.counting"));
    try {
      const { profiles } = await session.data(AUDIENCE_COUNT, { filter: conditions() });
      if (asked !== pending) return; // a newer count is on its way
      replaceChildren(count, t("audience.count", { count: formatNumber(profiles.totalCount, 0) }));
      replaceChildren(
        sample,
        profiles.edges.map(({ node }) =>
          h(
            "li",
            {},
            h("a", { href: `#/profile/${encodeURIComponent(node.oneId)}` }, node.oneId),
            ` · ${node.lifecycle.stage} · ${node.lifecycle.tier}`,
          ),
        ),
      );
    } catch (error) {
      if (asked === pending) {
        replaceChildren(count, "");
        showError(error);
      }
    }
  }
  let timer = null;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  };

  const saved = h(
    "ul",
    { id: "saved-audiences" },
    options.audiences.map((a) => h("li", {}, `${a.name}: ${t("audience.count", { count: formatNumber(a.count, 0) })}`)),
  );
  const form = h(
    "form",
    {
      class: "card builder",
      id: "audience-builder",
      oninput: soon,
      onchange: soon,
      onsubmit: async (event) => {
        event.preventDefault();
        const filter = conditions() || {};
        try {
          const data = await session.data(DEFINE_AUDIENCE, { name: name.value.trim(), filter });
          const error = payloadError(data.defineAudience);
          if (error) throw error;
          showNotice("ok", t("audience.saved", { name: data.defineAudience.audience.name }));
          saved.append(
            h(
              "li",
              {},
              `${data.defineAudience.audience.name}: ${t("audience.count", { count: formatNumber(data.defineAudience.audience.count, 0) })}`,
            ),
          );
        } catch (error) {
          showError(error);
        }
      },
    },
    h("h1", {}, t("audience.heading")),
    h(
      "div",
      { class: "fields" },
      field(t("audience.stage"), stage),
      field(t("audience.tier"), tier),
      field(t("audience.identifierType"), identifierType),
      field(t("audience.clvMin"), clvMin),
      field(t("audience.clvMax"), clvMax),
      field(t("audience.tag"), tag),
      field(t("audience.tagValue"), tagValue),
      field(t("audience.affinity"), dimension),
      field("", affinityValue),
      field(t("audience.affinityMin"), affinityMin),
      field(t("audience.combine"), combine),
    ),
    count,
    sample,
    h(
      "div",
      { class: "row" },
      field(t("audience.name"), name),
      h("button", { type: "submit", class: "primary", id: "aud-save" }, t("audience.save")),
    ),
  );
  replaceChildren(view, form, h("section", { class: "card" }, h("h2", {}, t("audience.savedList")), saved));
  await refresh();
}
