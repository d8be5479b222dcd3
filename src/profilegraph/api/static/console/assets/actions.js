// Admin actions: each asks for a reason, shows what will change, and reports the typed result.

import { ApiError } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { t } from "./i18n.js";
import { payloadError, showError, showNotice } from "./notice.js";
import { BLOCK, MERGE, SPLIT, UNBLOCK } from "./queries.js";

// A modal dialog with `body`, a required reason and Confirm / Cancel. Resolves to
// { reason, dialog } on confirm (after `validate` passes), or null.
export function confirmDialog({
  title,
  body = [],
  change = "",
  validate = () => null,
  reasonLabel = t("dialog.reason"),
}) {
  return new Promise((resolve) => {
    const reason = h("textarea", { id: "dialog-reason", rows: 2, "aria-required": "true" });
    const problem = h("p", { class: "error", role: "alert", id: "dialog-error" });
    const dialog = h(
      "dialog",
      { class: "confirm", id: "confirm-dialog" },
      h(
        "form",
        {
          method: "dialog",
          onsubmit: (event) => {
            event.preventDefault();
            const text = reason.value.trim();
            const invalid = text ? validate() : t("dialog.reasonMissing");
            if (invalid) {
              replaceChildren(problem, invalid);
              return;
            }
            dialog.close();
            dialog.remove();
            resolve({ reason: text, dialog });
          },
        },
        h("h2", {}, title),
        ...body,
        change ? h("p", { class: "change", id: "dialog-change" }, change) : null,
        h("label", { for: "dialog-reason" }, reasonLabel),
        reason,
        problem,
        h(
          "div",
          { class: "row end" },
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                dialog.close();
                dialog.remove();
                resolve(null);
              },
            },
            t("dialog.cancel"),
          ),
          h("button", { type: "submit", class: "primary", id: "dialog-confirm" }, t("dialog.confirm")),
        ),
      ),
    );
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  });
}

export async function askReason(title, label) {
  const answer = await confirmDialog({ title, reasonLabel: label });
  return answer ? answer.reason : null;
}

export function identifierInput(text) {
  const [type, ...rest] = text.trim().split(":");
  const value = rest.join(":").trim();
  if (!type || !value) return null;
  return { type: type.trim().toUpperCase().replaceAll("-", "_"), value };
}

function masked(identifier) {
  return identifier.value.includes("*");
}

async function run(session, document, variables, field) {
  const data = await session.data(document, variables);
  const payload = data[field];
  const error = payloadError(payload);
  if (error) throw error;
  return payload;
}

export async function mergeProfile(session, a, b, reason) {
  const payload = await run(session, MERGE, { a, b, reason }, "mergeProfiles");
  showNotice("ok", t("admin.done", { what: t("admin.mergeDone", { oneId: payload.profile.oneId }) }));
  return payload.profile.oneId;
}

export async function mergeAction(session, profile, context) {
  const other = h("input", { id: "merge-with", type: "text", autocomplete: "off" });
  const change = h("span", {}, t("admin.mergeChange", { a: profile.oneId, b: "…" }));
  other.addEventListener("input", () => {
    change.textContent = t("admin.mergeChange", { a: profile.oneId, b: other.value.trim() || "…" });
  });
  const answer = await confirmDialog({
    title: t("admin.mergeTitle"),
    body: [h("label", { for: "merge-with" }, t("admin.mergeWith")), other],
    change,
    validate: () => (other.value.trim() ? null : t("admin.mergeWith")),
  });
  if (!answer) return;
  const survivor = await mergeProfile(session, profile.oneId, other.value.trim(), answer.reason);
  if (survivor === profile.oneId) await context.reload();
  else location.hash = `#/profile/${encodeURIComponent(survivor)}`;
}

export async function splitAction(session, profile, context) {
  const choices = profile.identifiers.map((identifier, index) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "checkbox", value: String(index), disabled: masked(identifier), name: "split" }),
      ` ${identifier.type}:${identifier.value}`,
    ),
  );
  const anyMasked = profile.identifiers.some(masked);
  const typed = h("textarea", { id: "split-typed", rows: 3, placeholder: "phone:+86 138 0013 8001" });
  const picked = () => {
    const fromBoxes = choices
      .map((choice) => choice.querySelector("input"))
      .filter((box) => box.checked)
      .map((box) => profile.identifiers[Number(box.value)])
      .map((identifier) => identifierInput(`${identifier.type}:${identifier.value}`));
    const fromText = typed.value
      .split("\n")
      .filter((line) => line.trim())
      .map(identifierInput);
    return [...fromBoxes, ...fromText];
  };
  const answer = await confirmDialog({
    title: t("admin.splitTitle", { oneId: profile.oneId }),
    body: [
      h("fieldset", { id: "split-choices" }, h("legend", {}, t("admin.splitPick")), choices),
      anyMasked ? h("p", { class: "muted" }, t("admin.splitMasked")) : null,
      h("label", { for: "split-typed" }, t("admin.splitTyped")),
      typed,
    ],
    change: t("admin.splitChange"),
    validate: () => {
      const chosen = picked();
      if (!chosen.length) return t("admin.splitPick");
      return chosen.some((item) => item === null) ? t("admin.splitTyped") : null;
    },
  });
  if (!answer) return;
  const payload = await run(
    session,
    SPLIT,
    { oneId: profile.oneId, identifiers: picked(), reason: answer.reason },
    "splitProfile",
  );
  showNotice("ok", t("admin.done", { what: t("admin.splitDone", { count: payload.profiles.length }) }));
  await context.reload();
}

// Block or unblock an identifier typed as type:value (a blocked one belongs to no profile any more).
export async function setBlocked(session, typed, unblock, reason) {
  const input = identifierInput(typed);
  if (!input) throw new ApiError("INVALID", t("admin.identifierTyped"));
  const payload = await run(
    session,
    unblock ? UNBLOCK : BLOCK,
    { identifier: input, reason },
    unblock ? "unblockIdentifier" : "blockIdentifier",
  );
  showNotice(
    "ok",
    t("admin.done", { what: t("admin.blockDone", { identifier: payload.identifier, status: payload.status }) }),
  );
  return payload;
}

export async function blockAction(session, profile, identifier, context) {
  const unblock = identifier.status === "blocked";
  const shown = `${identifier.type}:${identifier.value}`;
  const typed = h("input", { id: "block-typed", type: "text", autocomplete: "off" });
  const answer = await confirmDialog({
    title: t(unblock ? "admin.unblockTitle" : "admin.blockTitle", { identifier: shown }),
    body: masked(identifier) ? [h("label", { for: "block-typed" }, t("admin.identifierTyped")), typed] : [],
    change: t(unblock ? "admin.unblockChange" : "admin.blockChange"),
    validate: () => (masked(identifier) && !identifierInput(typed.value) ? t("admin.identifierTyped") : null),
  });
  if (!answer) return;
  await setBlocked(session, masked(identifier) ? typed.value : shown, unblock, answer.reason);
  await context.reload().catch(showError);
}
