// The value map for marketers: the CLV histogram and the stage and tier counts, as charts and tables.

import { formatNumber, h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { VALUE_HISTORY, VALUE_MAP } from "./queries.js";

const BUCKETS = [0, 50, 100, 250, 500, 1000, 2500, 5000];
const COLOURS = ["#2f6fb3", "#5a9e6f", "#d9822b", "#8e5bb5", "#c23030", "#9aa5b1"];

function chart(id, type, labels, values, label) {
  const canvas = h("canvas", { id, "aria-label": label, role: "img" });
  const holder = h("div", { class: "chart" }, canvas);
  // Chart.js ships as the vendored UMD build, which defines window.Chart.
  new window.Chart(canvas, {
    type,
    data: {
      labels,
      datasets: [{ label, data: values, backgroundColor: type === "bar" ? COLOURS[0] : COLOURS }],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { display: type !== "bar" } },
    },
  });
  return holder;
}

// The snapshots of the last year: customers per lifecycle stage, date by date.
async function historySection(session) {
  const to = new Date();
  const from = new Date(to.getTime() - 365 * 24 * 3600 * 1000);
  const day = (d) => d.toISOString().slice(0, 10);
  const { valueMapHistory } = await session.data(VALUE_HISTORY, { from: day(from), to: day(to) });
  const section = h("section", { class: "card wide", id: "value-history" }, h("h2", {}, t("values.history")));
  if (!valueMapHistory.length) {
    section.append(h("p", { class: "empty" }, t("values.noHistory")));
    return section;
  }
  const stages = [...new Set(valueMapHistory.flatMap((s) => s.stages.map((g) => g.name)))].sort();
  const canvas = h("canvas", { id: "history-chart", role: "img", "aria-label": t("values.history") });
  section.append(h("div", { class: "chart" }, canvas));
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: valueMapHistory.map((s) => s.asOf),
      datasets: stages.map((stage, index) => ({
        label: stage,
        data: valueMapHistory.map((s) => s.stages.find((g) => g.name === stage)?.count ?? 0),
        borderColor: COLOURS[index % COLOURS.length],
        backgroundColor: COLOURS[index % COLOURS.length],
      })),
    },
    options: { animation: false, responsive: true, maintainAspectRatio: false },
  });
  section.append(
    h(
      "table",
      { class: "compact", id: "history-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, t("col.when")),
          h("th", { scope: "col" }, t("values.customers")),
          h("th", { scope: "col" }, t("values.highValueShare")),
          h("th", { scope: "col" }, t("values.predictedTotal")),
        ),
      ),
      h(
        "tbody",
        {},
        valueMapHistory.map((s) =>
          h(
            "tr",
            {},
            h("td", {}, s.asOf),
            h("td", { class: "number" }, formatNumber(s.customers, 0)),
            h("td", { class: "number" }, `${formatNumber(s.highValueShare * 100, 1)} %`),
            h("td", { class: "number" }, formatNumber(s.predictedTotal)),
          ),
        ),
      ),
    ),
  );
  return section;
}

function bucketLabel(bucket) {
  if (bucket.from === null) return `< ${formatNumber(bucket.to, 0)}`;
  if (bucket.to === null) return `≥ ${formatNumber(bucket.from, 0)}`;
  return `${formatNumber(bucket.from, 0)} – ${formatNumber(bucket.to, 0)}`;
}

function countsTable(id, rows, firstColumn) {
  return h(
    "table",
    { id, class: "compact" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, firstColumn), h("th", { scope: "col" }, t("col.count")))),
    h(
      "tbody",
      {},
      rows.map(([name, count]) => h("tr", {}, h("td", {}, name), h("td", { class: "number" }, formatNumber(count, 0)))),
    ),
  );
}

export async function renderValues(view, session) {
  replaceChildren(view, h("p", {}, t("loading")));
  const { valueMap } = await session.data(VALUE_MAP, { buckets: BUCKETS });
  const histogram = valueMap.histogram;
  replaceChildren(
    view,
    h("h1", {}, t("values.heading")),
    h(
      "section",
      { class: "card figures", id: "value-summary" },
      h(
        "div",
        { class: "figure" },
        h("span", { class: "label" }, t("values.customers")),
        h("span", { class: "number", id: "value-customers" }, formatNumber(valueMap.customers, 0)),
      ),
      h(
        "div",
        { class: "figure" },
        h("span", { class: "label" }, t("values.buyers")),
        h("span", { class: "number" }, formatNumber(valueMap.buyers, 0)),
      ),
      h(
        "div",
        { class: "figure" },
        h("span", { class: "label" }, t("values.historicTotal")),
        h("span", { class: "number" }, formatNumber(valueMap.historicTotal)),
      ),
      h(
        "div",
        { class: "figure" },
        h("span", { class: "label" }, t("values.predictedTotal")),
        h("span", { class: "number" }, formatNumber(valueMap.predictedTotal)),
      ),
    ),
    h(
      "div",
      { class: "grid" },
      h(
        "section",
        { class: "card wide" },
        h("h2", {}, t("values.histogram")),
        chart(
          "clv-histogram",
          "bar",
          histogram.map(bucketLabel),
          histogram.map((b) => b.count),
          t("col.count"),
        ),
        countsTable(
          "histogram-table",
          histogram.map((b) => [bucketLabel(b), b.count]),
          t("values.bucket"),
        ),
      ),
      h(
        "section",
        { class: "card" },
        h("h2", {}, t("values.stages")),
        chart(
          "stage-chart",
          "bar",
          valueMap.stages.map((s) => s.name),
          valueMap.stages.map((s) => s.count),
          t("col.count"),
        ),
        countsTable(
          "stages-table",
          valueMap.stages.map((s) => [s.name, s.count]),
          t("value.stage"),
        ),
      ),
      h(
        "section",
        { class: "card" },
        h("h2", {}, t("values.tiers")),
        chart(
          "tier-chart",
          "doughnut",
          valueMap.tiers.map((s) => s.name),
          valueMap.tiers.map((s) => s.count),
          t("col.count"),
        ),
        countsTable(
          "tiers-table",
          valueMap.tiers.map((s) => [s.name, s.count]),
          t("value.tier"),
        ),
      ),
    ),
  );
  view.append(await historySection(session));
}
