// The identity graph of a profile, drawn with Cytoscape.js; two picked identifiers are explained.

import cytoscape from "./vendor/cytoscape.esm.min.js";
import { formatTime, h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { showError } from "./notice.js";
import { EXPLAIN } from "./queries.js";

const JOINING = new Set(["ACCEPTED", "MERGED"]);

const STYLE = [
  {
    selector: "node",
    style: {
      label: "data(label)",
      "font-size": 10,
      "text-wrap": "wrap",
      "text-max-width": 120,
      "text-valign": "bottom",
      "text-margin-y": 4,
      "background-color": "#2f6fb3",
      width: 22,
      height: 22,
      "border-width": 2,
      "border-color": "#ffffff",
    },
  },
  { selector: "node.neighbour", style: { "background-color": "#9aa5b1" } },
  {
    selector: "node.shared, node.household",
    style: { "border-color": "#d9822b", "border-width": 4, shape: "diamond" },
  },
  { selector: "node.blocked", style: { "background-color": "#c23030", shape: "octagon" } },
  { selector: "node.picked", style: { "border-color": "#111111", "border-width": 5 } },
  {
    selector: "edge",
    style: { width: 2, "line-color": "#5a9e6f", "curve-style": "bezier", label: "data(label)", "font-size": 8 },
  },
  { selector: "edge.merged", style: { "line-color": "#2f6fb3", width: 4 } },
  { selector: "edge.apart", style: { "line-style": "dashed", "line-color": "#c23030" } },
];

export function renderGraph(session, oneId, graph, unmaskReason) {
  const canvas = h("div", { class: "graph-canvas", id: "graph-canvas", role: "img", "aria-label": t("profile.graph") });
  const explanation = h("div", { id: "explanation", "aria-live": "polite" });
  const picked = [];
  const nodeButtons = new Map();

  const section = h(
    "section",
    { class: "card wide", id: "graph" },
    h("h2", {}, t("profile.graph")),
    h("p", { class: "muted" }, t("graph.help")),
    graph.truncated ? h("p", { class: "muted" }, t("graph.truncated")) : null,
    h(
      "ul",
      { class: "legend" },
      h("li", { class: "legend-accepted" }, t("graph.legend.accepted")),
      h("li", { class: "legend-merged" }, t("graph.legend.merged")),
      h("li", { class: "legend-apart" }, t("graph.legend.refused")),
      h("li", { class: "legend-neighbour" }, t("graph.legend.neighbour")),
    ),
    canvas,
    h(
      "div",
      { class: "graph-nodes", id: "graph-nodes" },
      graph.nodes.map((node) => {
        const button = h(
          "button",
          {
            type: "button",
            class: `node-button status-${node.status}${node.inProfile ? "" : " neighbour"}`,
            dataset: { node: node.id },
            "aria-pressed": "false",
            onclick: () => pick(node.id),
          },
          `${node.type}:${node.value}`,
          node.status === "active" ? "" : ` (${t(`status.${node.status}`)})`,
        );
        nodeButtons.set(node.id, button);
        return button;
      }),
    ),
    explanation,
  );

  let cy = null;
  const draw = () => {
    cy = cytoscape({
      container: canvas,
      elements: [
        ...graph.nodes.map((node) => ({
          data: { id: `n${node.id}`, node: node.id, label: `${node.type}:${node.value}` },
          classes: [node.inProfile ? "own" : "neighbour", node.status].join(" "),
        })),
        ...graph.edges.map((edge, index) => ({
          data: {
            id: `e${index}`,
            source: `n${edge.source}`,
            target: `n${edge.target}`,
            label: edge.count > 1 ? `${edge.count}×` : "",
          },
          classes: edge.status === "MERGED" ? "merged" : JOINING.has(edge.status) ? "accepted" : "apart",
        })),
      ],
      style: STYLE,
      layout: { name: graph.nodes.length > 40 ? "circle" : "cose", animate: false, padding: 20 },
    });
    cy.on("tap", "node", (event) => pick(event.target.data("node")));
  };

  function pick(id) {
    if (picked.includes(id)) picked.splice(picked.indexOf(id), 1);
    else picked.push(id);
    while (picked.length > 2) picked.shift();
    for (const [nodeId, button] of nodeButtons) {
      const on = picked.includes(nodeId);
      button.setAttribute("aria-pressed", String(on));
      cy?.getElementById(`n${nodeId}`).toggleClass("picked", on);
    }
    if (picked.length === 2) explain(picked[0], picked[1]).catch(showError);
    else replaceChildren(explanation);
  }

  async function explain(a, b) {
    replaceChildren(explanation, h("p", {}, t("loading")));
    const data = await session.data(EXPLAIN, { oneId, a, b }, { unmaskReason });
    const result = data.profile?.identityGraph?.explain;
    if (!result) {
      replaceChildren(explanation);
      return;
    }
    replaceChildren(
      explanation,
      h(
        "h3",
        { class: result.linked ? "linked" : "not-linked" },
        `${result.linked ? t("graph.linked") : t("graph.notLinked")}: ${result.a} — ${result.b}`,
      ),
      h("p", { id: "explanation-reason" }, result.reason),
      h(
        "ol",
        { class: "steps" },
        result.path.map((step) =>
          h(
            "li",
            { class: step.refusedBy ? "refused" : "" },
            t("graph.step", {
              a: step.a,
              b: step.b,
              kind: step.kind,
              count: step.count,
              sources: step.sources.join(", ") || "—",
            }),
            step.firstSeen ? ` (${formatTime(step.firstSeen)} – ${formatTime(step.lastSeen)})` : "",
            step.refusedBy ? h("strong", {}, " · ", t("graph.refusedBy", { rule: step.refusedBy })) : null,
            step.detail ? h("div", { class: "muted" }, step.detail) : null,
          ),
        ),
      ),
    );
  }

  return { section, draw };
}
