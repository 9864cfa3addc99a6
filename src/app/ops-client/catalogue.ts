/**
 * The operator page's catalogue section (docs/catalogue.md): every version with its status, a
 * draft's or a scheduled version's side-by-side diff against the version in force and its impact
 * preview, and publish / withdraw, each after a confirmation.
 */
import { h } from "../client/dom";
import { num, when } from "../client/format";
import type { Api, CatalogueList, CataloguePreview, CatalogueVersion } from "./api";
import { Problem } from "./api";

type Plans = CatalogueVersion["plans"];
type PlanName = keyof Plans;

const STATUS_LABEL: Record<string, string> = {
  draft: "Draft",
  scheduled: "Scheduled",
  in_force: "In force",
  superseded: "Superseded",
  withdrawn: "Withdrawn",
};

const FIELDS = [
  "leadsPerSeat",
  "contactsAndCompaniesPerSeat",
  "aiCreditsPerSeat",
  "activeAgents",
  "copilotQuestions",
  "channels",
  "features",
  "legacy",
  "connectedBefore",
] as const;

const shown = (value: unknown): string =>
  value === null
    ? "unlimited / none"
    : typeof value === "object"
      ? JSON.stringify(value)
      : String(value);

/** Every plan field that differs, old beside new. */
function diffView(inForce: CatalogueVersion, other: CatalogueVersion): HTMLElement {
  const rows: HTMLElement[] = [];
  for (const plan of Object.keys(other.plans) as PlanName[]) {
    for (const field of FIELDS) {
      const a = shown(inForce.plans[plan][field]);
      const b = shown(other.plans[plan][field]);
      if (a !== b)
        rows.push(
          h(
            "tr",
            null,
            h("td", null, plan),
            h("td", null, field),
            h("td", null, a),
            h("td", null, b),
          ),
        );
    }
  }
  if (rows.length === 0)
    return h("p", { class: "muted" }, "The same limits as the version in force.");
  return h(
    "table",
    { class: "diff" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", null, "Plan"),
        h("th", null, "Field"),
        h("th", null, inForce.id),
        h("th", null, other.id),
      ),
    ),
    h("tbody", null, rows),
  );
}

function previewView(p: CataloguePreview): HTMLElement {
  const limits = Object.entries(p.limits).map(([limit, t]) =>
    h(
      "tr",
      null,
      h("td", null, limit),
      h("td", null, num(t.workspacesOver)),
      h("td", null, num(t.totalOver)),
      h("td", null, num(t.alreadyOver.workspaces)),
      h("td", null, num(t.pushedOver.workspaces)),
    ),
  );
  const plans = Object.entries(p.plans).map(([plan, t]) =>
    h(
      "tr",
      null,
      h("td", null, plan),
      h("td", null, num(t.workspaces)),
      h("td", null, num(t.creditsGained)),
      h("td", null, num(t.creditsLost)),
    ),
  );
  return h(
    "div",
    { class: "preview" },
    h(
      "p",
      null,
      `${num(p.workspaces)} workspaces affected by this version, ${num(p.pinned)} pinned apart.`,
    ),
    h(
      "table",
      null,
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", null, "Limit"),
          h("th", null, "Workspaces over"),
          h("th", null, "Over by, in total"),
          h("th", null, "Of them, over already"),
          h("th", null, "Pushed over by this version"),
        ),
      ),
      h("tbody", null, limits),
    ),
    h(
      "table",
      null,
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", null, "Plan"),
          h("th", null, "Workspaces"),
          h("th", null, "Credits gained"),
          h("th", null, "Credits lost"),
        ),
      ),
      h("tbody", null, plans),
    ),
  );
}

/** The section, drawn into `root`; a click on a version opens its diff and preview. */
export async function renderCatalogue(api: Api, root: HTMLElement): Promise<void> {
  const [list, fanOut]: [CatalogueList, FanOut | null] = await Promise.all([
    api.catalogue(),
    // The fan-out's line is a help, never a reason the section fails to draw.
    api.fanOut().catch(() => null),
  ]);
  const detail = h("div", { id: "catalogue-detail" });
  const message = h("p", { class: "error", role: "alert" });
  const act = async (run: () => Promise<unknown>) => {
    try {
      await run();
      await renderCatalogue(api, root);
    } catch (error) {
      message.textContent =
        error instanceof Problem ? error.message : "The service did not answer.";
    }
  };
  const open = async (id: string) => {
    const [inForce, version, preview] = await Promise.all([
      api.version(list.inForce),
      api.version(id),
      api.preview(id),
    ]);
    const when = h("input", { type: "datetime-local", "aria-label": "Effective at (UTC)" });
    const actions =
      version.status === "draft"
        ? h(
            "form",
            {
              on: {
                submit: (e) => {
                  e.preventDefault();
                  const at = `${(when as HTMLInputElement).value}:00Z`;
                  if (confirm(`Publish ${id} for ${at}? Every workspace switches then.`))
                    void act(() => api.publish(id, at));
                },
              },
            },
            when,
            h("button", { type: "submit" }, "Publish"),
          )
        : version.status === "scheduled"
          ? h(
              "button",
              {
                type: "button",
                on: {
                  click: () => {
                    if (confirm(`Withdraw ${id}? It will never apply.`))
                      void act(() => api.withdraw(id));
                  },
                },
              },
              "Withdraw",
            )
          : null;
    detail.replaceChildren(
      h("h3", null, `${id} against ${inForce.id}`),
      diffView(inForce, version),
      previewView(preview),
      actions ?? "",
    );
  };
  const rows = list.versions.map((v) =>
    h(
      "tr",
      null,
      h(
        "td",
        null,
        v.status === "draft" || v.status === "scheduled"
          ? h(
              "button",
              { type: "button", class: "ghost", on: { click: () => void open(v.id) } },
              v.id,
            )
          : v.id,
      ),
      h("td", null, STATUS_LABEL[v.status] ?? v.status),
      h("td", null, v.effectiveAt === null ? "—" : when(v.effectiveAt)),
    ),
  );
  root.replaceChildren(
    h(
      "section",
      { class: "card", "aria-labelledby": "catalogue-title" },
      h("h2", { id: "catalogue-title" }, "Catalogue"),
      h(
        "table",
        null,
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", null, "Version"),
            h("th", null, "Status"),
            h("th", null, "Effective at"),
          ),
        ),
        h("tbody", null, rows),
      ),
      fanOutLine(fanOut),
      message,
      detail,
    ),
  );
}

type FanOut = Awaited<ReturnType<Api["fanOut"]>>;

/**
 * Where the latest publish or withdrawal stands in the fleet (docs/catalogue.md, "Watching
 * it"): every due index shard told all its workspaces, or how many are still at it.
 */
function fanOutLine(fanOut: FanOut | null): HTMLElement {
  if (fanOut === null) return h("p", { id: "catalogue-fan-out" }, "Fan-out: no answer.");
  if (fanOut.generation === 0) {
    return h("p", { id: "catalogue-fan-out" }, "Fan-out: nothing published yet.");
  }
  const { done, telling, behind, unreachable } = fanOut.shards;
  const total = done + telling + behind + unreachable;
  const text = fanOut.done
    ? `Fan-out of change ${fanOut.generation}: every workspace told (${total} of ${total} shards).`
    : `Fan-out of change ${fanOut.generation}: ${done} of ${total} shards done, ${telling} telling, ${behind} not yet announced${unreachable > 0 ? `, ${unreachable} not answering` : ""}.`;
  return h("p", { id: "catalogue-fan-out" }, text);
}
