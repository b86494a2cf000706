// Lineage UI: one page, views chosen by the URL hash (deep links), data from the read API.
// Plain browser JavaScript on purpose: no bundler, no build step; vis-network is the one library.
"use strict";

const API = "api/"; // relative: works under `lineage serve` and behind CloudFront's /api/* route

const LAYER_COLOURS = {
  raw: "#e9a23b",
  staging: "#d4c05a",
  curated: "#3a9d8f",
  reference: "#8e7cc3",
  aggregated: "#2f5d8a",
  unknown: "#9e9e9e",
};
const STATUS_COLOURS = { SUCCEEDED: "#2e9e44", FAILED: "#d64545", unknown: "#9e9e9e" };
const OP_COLOURS = { read: "#e9a23b", write: "#2f5d8a", transform: "#c9d3dd" };

// Which controls each view shows, in the order of the form.
const VIEW_CONTROLS = {
  overview: [],
  jobs: [],
  job: [],
  runs: ["job", "status", "since", "until"],
  plan: [],
  datasets: [],
  lineage: ["uri", "direction", "depth", "as_of"],
  columns: ["uri", "column", "direction", "depth"],
};

const $ = (id) => document.getElementById(id);
let network = null;
let current = { view: "overview", arg: "", params: new URLSearchParams() };

// ---- small DOM helpers (text only: API values never become HTML) ----

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "onclick") node.addEventListener("click", value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function link(text, hash) {
  return el("a", { href: hash }, text);
}

function hashFor(view, arg, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") query.set(key, value);
  }
  const path = arg ? `${view}/${encodeURIComponent(arg)}` : view;
  const qs = query.toString();
  return `#/${path}${qs ? "?" + qs : ""}`;
}

function showMessage(text) {
  const box = $("message");
  box.textContent = text || "";
  box.hidden = !text;
}

async function api(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") query.set(key, value);
  }
  const qs = query.toString();
  const response = await fetch(API + path + (qs ? "?" + qs : ""));
  let body = null;
  try {
    body = await response.json();
  } catch (err) {
    body = null;
  }
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : response.statusText;
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

// ---- colours and shapes ----

// Dark fills get white captions so labels stay readable.
function filled(shape, colour) {
  const rgb = parseInt(colour.slice(1), 16);
  const luma = 0.299 * (rgb >> 16) + 0.587 * ((rgb >> 8) & 255) + 0.114 * (rgb & 255);
  return { shape, color: colour, font: { color: luma < 140 ? "#ffffff" : "#1d2733" } };
}

function nodeStyle(node) {
  const [kind, sub] = String(node.group || "").split(":");
  if (kind === "dataset") return filled("database", LAYER_COLOURS[sub] || LAYER_COLOURS.unknown);
  if (kind === "column") return filled("box", LAYER_COLOURS[sub] || LAYER_COLOURS.unknown);
  if (kind === "job") {
    const border = STATUS_COLOURS[sub] || STATUS_COLOURS.unknown;
    return {
      shape: "box",
      color: { background: "#ffffff", border, highlight: { background: "#eef3f8", border } },
      borderWidth: 3,
    };
  }
  if (kind === "run") return filled("dot", STATUS_COLOURS[sub] || STATUS_COLOURS.unknown);
  if (kind === "op") return filled("box", OP_COLOURS[sub] || OP_COLOURS.transform);
  return { shape: "dot", color: "#9e9e9e" };
}

function renderLegend() {
  const legend = $("legend");
  legend.replaceChildren("Layers:");
  for (const [name, colour] of Object.entries(LAYER_COLOURS)) {
    legend.append(el("span", { class: "swatch", style: `background:${colour}` }), name);
  }
  legend.append("  ·  Runs / job border:");
  for (const [name, colour] of Object.entries(STATUS_COLOURS)) {
    legend.append(el("span", { class: "swatch", style: `background:${colour}` }), name);
  }
  legend.append("  ·  Arrows point the way data flows.");
}

// ---- graph drawing ----

let nodesById = new Map();
let edgesById = new Map();

function drawGraph(graph, layout) {
  $("graph").hidden = false;
  nodesById = new Map(graph.nodes.map((n) => [n.id, n]));
  edgesById = new Map(graph.edges.map((e) => [e.id, e]));
  const nodes = graph.nodes.map((n) => {
    const style = nodeStyle(n);
    const drawn = { id: n.id, label: n.label, title: n.type + ": " + n.id, ...style };
    if (n.root) drawn.borderWidth = 4;
    if (layout === "levels" && Number.isInteger(n.level)) drawn.level = n.level;
    return drawn;
  });
  const edges = graph.edges.map((e) => ({
    id: e.id,
    from: e.from,
    to: e.to,
    // Every edge of an operation DAG is FOLLOWS: its label would only add noise.
    label: layout === "levels" ? undefined : e.label,
    arrows: "to",
    font: { size: 10, align: "middle" },
    color: { color: "#9aa5b1" },
  }));
  // Room between levels for the widest caption plus the edge's own label.
  const widest = Math.max(0, ...graph.nodes.map((n) => String(n.label).length));
  const separation = Math.max(200, widest * 8 + 150);
  const hierarchical =
    layout === "levels"
      ? { enabled: true, direction: "RL", levelSeparation: 190, nodeSpacing: 90 }
      : {
          enabled: true,
          direction: "LR",
          sortMethod: "directed",
          levelSeparation: separation,
          nodeSpacing: 120,
        };
  const options = {
    layout: { hierarchical },
    physics: false,
    interaction: { hover: true, navigationButtons: false, keyboard: false },
    nodes: { font: { size: 13 }, margin: 8 },
    edges: { smooth: { type: "cubicBezier", forceDirection: "horizontal" } },
  };
  if (network) network.destroy();
  network = new vis.Network($("graph"), { nodes, edges }, options);
  // The hierarchical layout can spread wider than the first zoom: frame the whole graph.
  network.once("afterDrawing", () => network.fit({ animation: false }));
  network.on("click", (event) => {
    if (event.nodes.length) selectNode(event.nodes[0], true);
    else if (event.edges.length) showEdge(edgesById.get(event.edges[0]));
  });
  const summary = `${graph.nodes.length} nodes, ${graph.edges.length} edges`;
  $("summary").textContent = graph.capped ? summary + " (capped: narrow the view)" : summary;
  const selected = current.params.get("sel");
  if (selected && nodesById.has(selected)) {
    network.selectNodes([selected]);
    selectNode(selected, false);
  }
}

function clearGraph() {
  if (network) network.destroy();
  network = null;
  $("graph").hidden = true;
  $("graph").replaceChildren();
}

function selectNode(id, remember) {
  const node = nodesById.get(id);
  if (!node) return;
  if (remember) {
    // Keep the selection in the URL without re-rendering, so the link reopens it.
    current.params.set("sel", id);
    const hash = hashFor(current.view, current.arg, Object.fromEntries(current.params));
    history.replaceState(null, "", hash);
  }
  showNode(node);
}

// ---- details panel ----

function formatValue(value) {
  if (value !== null && typeof value === "object") {
    return el("pre", {}, JSON.stringify(value, null, 2));
  }
  return String(value);
}

function propertyTable(object, skip) {
  const rows = Object.entries(object)
    .filter(([key, value]) => !(skip || []).includes(key) && value !== undefined && value !== null && value !== "")
    .map(([key, value]) => el("tr", {}, el("th", {}, key), el("td", { class: "v" }, formatValue(value))));
  return el("table", { class: "props" }, rows);
}

function schemaTable(columns, onClick) {
  const rows = columns.map((c) =>
    el(
      "tr",
      { class: onClick ? "clickable" : null, onclick: onClick ? () => onClick(c) : null },
      el("td", {}, c.name),
      el("td", {}, c.type || c.data_type || ""),
    ),
  );
  return el("table", { class: "schema" }, el("tr", {}, el("th", {}, "column"), el("th", {}, "type")), rows);
}

function detailsHeader(kind, title) {
  return [el("div", { class: "kind" }, kind), el("h2", {}, title)];
}

async function showNode(node) {
  const panel = $("details");
  const skip = ["label", "group", "title", "root", "schema", "params"];
  panel.replaceChildren(...detailsHeader(node.type, node.label));
  const links = el("div", { class: "links" });
  panel.append(links);
  if (node.type === "Dataset") {
    const uri = node.uri;
    links.append(
      link("Upstream", hashFor("lineage", "", { uri, direction: "upstream", depth: 3 })),
      link("Downstream", hashFor("lineage", "", { uri, direction: "downstream", depth: 3 })),
      link("Both", hashFor("lineage", "", { uri, direction: "both", depth: 3 })),
    );
  } else if (node.type === "Job") {
    links.append(
      link("Open job", hashFor("jobs", node.name)),
      link("Runs", hashFor("runs", "", { job: node.name })),
    );
  } else if (node.type === "Column") {
    const uri = node.dataset_uri;
    links.append(
      link("Provenance", hashFor("columns", "", { uri, column: node.name, direction: "upstream", depth: 5 })),
      link("Impact", hashFor("columns", "", { uri, column: node.name, direction: "downstream", depth: 5 })),
      link("Dataset lineage", hashFor("lineage", "", { uri, direction: "both", depth: 2 })),
    );
  } else if (node.type === "Run") {
    links.append(link("Plan", hashFor("plans", node.plan_id)));
  }
  panel.append(el("h3", {}, "Properties"), propertyTable(node, skip));
  if (node.type === "Operation") {
    if (Array.isArray(node.schema)) panel.append(el("h3", {}, "Schema"), schemaTable(node.schema));
    if (node.params) panel.append(el("h3", {}, "Parameters"), formatValue(node.params));
  }
  if (node.type === "Dataset") {
    try {
      const detail = await api("datasets/detail", { uri: node.uri });
      panel.append(
        el("h3", {}, `Schema (${detail.columns.length} columns)`),
        schemaTable(detail.columns, (c) => {
          location.hash = hashFor("columns", "", {
            uri: node.uri,
            column: c.name,
            direction: "upstream",
            depth: 5,
          });
        }),
        el("h3", {}, "Written by"),
        el("div", { class: "links" }, detail.written_by.map((j) => link(j, hashFor("jobs", j)))),
        el("h3", {}, "Read by"),
        el("div", { class: "links" }, detail.read_by.map((j) => link(j, hashFor("jobs", j)))),
      );
    } catch (err) {
      panel.append(el("p", { class: "hint" }, `schema unavailable: ${err.message}`));
    }
  }
}

function showRun(run) {
  const panel = $("details");
  panel.replaceChildren(...detailsHeader("Run", `${run.job_name} · ${run.started_at}`));
  panel.append(
    el("div", { class: "links" }, link("Plan", hashFor("plans", run.plan_id)), link("Job", hashFor("jobs", run.job_name))),
    el("h3", {}, "Metrics"),
    propertyTable({
      status: run.status,
      duration_ms: run.duration_ms,
      rows_read: run.rows_read,
      rows_written: run.rows_written,
      bytes_written: run.bytes_written,
      error: run.error,
    }),
    el("h3", {}, "Raw payload"),
    propertyTable({ raw_key: run.raw_key, raw_sha256: run.raw_sha256 }),
    el("h3", {}, "Properties"),
    // started_at/ended_at already carry the milliseconds of their *_ms twins (the API renders them).
    propertyTable(run, ["raw_key", "raw_sha256", "error", "started_at_ms", "ended_at_ms"]),
  );
}

// Auditors see a plan's provenance (the raw-zone object it was normalized from) for auditors,
// with the datasets it reads and writes.
function showPlan(plan, reads, writes) {
  const panel = $("details");
  panel.replaceChildren(...detailsHeader("Plan", plan.plan_id));
  panel.append(
    el("div", { class: "links" }, link("Job", hashFor("jobs", plan.job_name))),
    el("h3", {}, "Raw payload"),
    propertyTable({ raw_key: plan.raw_key, raw_sha256: plan.raw_sha256 }),
    el("h3", {}, "Reads"),
    el("div", { class: "links" }, reads.map((d) => link(d.name || d.uri, hashFor("lineage", "", { uri: d.uri, direction: "both", depth: 3 })))),
    el("h3", {}, "Writes"),
    el("div", { class: "links" }, writes.map((d) => link(d.name || d.uri, hashFor("lineage", "", { uri: d.uri, direction: "both", depth: 3 })))),
    el("h3", {}, "Properties"),
    propertyTable(plan, ["raw_key", "raw_sha256"]),
  );
}

function showEdge(edge) {
  if (!edge) return;
  const panel = $("details");
  const from = nodesById.get(edge.from);
  const to = nodesById.get(edge.to);
  panel.replaceChildren(...detailsHeader("Edge", edge.label));
  panel.append(
    el("p", {}, `${from ? from.label : edge.from} → ${to ? to.label : edge.to}`),
    propertyTable(edge, ["from", "to"]),
  );
  if (edge.plan_id) panel.append(el("div", { class: "links" }, link("Plan", hashFor("plans", edge.plan_id))));
}

function showJob(job, plans) {
  const panel = $("details");
  panel.replaceChildren(...detailsHeader("Job", job.name));
  panel.append(
    el("div", { class: "links" }, link("Runs", hashFor("runs", "", { job: job.name }))),
    el("h3", {}, "Properties"),
    propertyTable(job),
    el("h3", {}, `Plans (${plans.length})`),
    el(
      "table",
      {},
      el("tr", {}, el("th", {}, "plan"), el("th", {}, "raw payload")),
      plans.map((p) =>
        el("tr", {}, el("td", {}, link(p.plan_id.slice(0, 8), hashFor("plans", p.plan_id))), el("td", { class: "v" }, p.raw_key || "")),
      ),
    ),
  );
}

function resetDetails() {
  $("details").replaceChildren(el("p", { class: "hint" }, "Click a node or a row to see its details."));
}

// ---- tables ----

function drawTable(columns, rows, onClick) {
  const head = el("tr", {}, columns.map((c) => el("th", {}, c.title)));
  const body = rows.map((row) =>
    el(
      "tr",
      { class: "clickable", onclick: () => onClick(row) },
      columns.map((c) => {
        const value = c.render ? c.render(row) : row[c.key];
        return el("td", {}, value === null || value === undefined ? "" : value);
      }),
    ),
  );
  $("table").replaceChildren(el("table", { class: "list" }, head, body));
}

function statusBadge(status) {
  const colour = STATUS_COLOURS[status] || STATUS_COLOURS.unknown;
  return el("span", { class: "badge", style: `background:${colour}` }, status || "?");
}

const RUN_COLUMNS = [
  { title: "status", render: (r) => statusBadge(r.status) },
  { title: "job", key: "job_name" },
  { title: "started", key: "started_at" },
  { title: "duration ms", key: "duration_ms" },
  { title: "rows read", key: "rows_read" },
  { title: "rows written", key: "rows_written" },
];

// ---- views ----

const VIEWS = {
  async overview() {
    setTitle("All jobs and datasets");
    drawGraph(await api("overview"));
  },

  async jobs() {
    setTitle("Jobs");
    clearGraph();
    const body = await api("jobs");
    $("summary").textContent = `${body.items.length} jobs${body.capped ? " (capped)" : ""}`;
    drawTable(
      [
        { title: "job", key: "name" },
        { title: "last run", render: (j) => statusBadge(j.last_status) },
        { title: "last started", key: "last_started_at" },
        { title: "runs", key: "runs" },
        { title: "plans", key: "plans" },
      ],
      body.items,
      (j) => (location.hash = hashFor("jobs", j.name)),
    );
  },

  async job(name) {
    setTitle(`Job ${name}`);
    // A name may hold "/" (encoded as %2F, the API takes it as one parameter); "." and ".."
    // are dropped from URL paths by the browser, so those two go as a query parameter.
    const dots = name === "." || name === "..";
    const body = await api(dots ? "job" : `jobs/${encodeURIComponent(name)}`, dots ? { name } : {});
    drawGraph(body);
    $("summary").textContent += ` · ${body.runs.length} latest runs · ${body.plans.length} plans`;
    if (!current.params.get("sel")) showJob(body.job, body.plans);
    drawTable(RUN_COLUMNS.concat([{ title: "plan", render: (r) => link("plan", hashFor("plans", r.plan_id)) }]), body.runs, showRun);
  },

  async runs() {
    const p = current.params;
    setTitle("Runs");
    clearGraph();
    const body = await api("runs", {
      job: p.get("job"),
      status: p.get("status"),
      since: p.get("since"),
      until: p.get("until"),
      limit: 200,
    });
    $("summary").textContent = `${body.items.length} runs${body.capped ? " (more exist: narrow the filters)" : ""}`;
    drawTable(RUN_COLUMNS, body.items, showRun);
  },

  async plan(id) {
    setTitle(`Plan ${id}`);
    const body = await api(`plans/${encodeURIComponent(id)}`);
    drawGraph(body, "levels");
    if (!current.params.get("sel")) showPlan(body.plan, body.reads, body.writes);
    $("summary").textContent += ` · job ${body.plan.job_name} · reads ${body.reads.map((d) => d.name).join(", ")} · writes ${body.writes.map((d) => d.name).join(", ")}`;
    drawTable(RUN_COLUMNS, body.runs, showRun);
  },

  async datasets() {
    const q = current.params.get("q") || "";
    setTitle(q ? `Datasets matching “${q}”` : "Datasets");
    clearGraph();
    const body = await api("datasets", { q, limit: 500 });
    $("summary").textContent = `${body.items.length} datasets${body.capped ? " (capped)" : ""}`;
    drawTable(
      [
        { title: "name", key: "name" },
        { title: "layer", key: "layer" },
        { title: "format", key: "format" },
        { title: "uri", key: "uri" },
      ],
      body.items,
      (d) => (location.hash = hashFor("lineage", "", { uri: d.uri, direction: "both", depth: 3 })),
    );
  },

  async lineage() {
    const p = current.params;
    const uri = p.get("uri");
    if (!uri) {
      setTitle("Dataset lineage");
      clearGraph();
      $("summary").textContent = "Enter a dataset URI, or pick one from the search or the overview.";
      return;
    }
    const direction = p.get("direction") || "both";
    setTitle(`${direction} lineage of ${uri}`);
    drawGraph(
      await api("datasets/lineage", { uri, direction, depth: p.get("depth") || 3, as_of: p.get("as_of") }),
    );
  },

  async columns() {
    const p = current.params;
    const uri = p.get("uri");
    const column = p.get("column");
    if (!uri || !column) {
      setTitle("Column lineage");
      clearGraph();
      $("summary").textContent = "Enter a dataset URI and a column, or click a column in a dataset's schema.";
      return;
    }
    const direction = p.get("direction") || "upstream";
    setTitle(`${direction} lineage of column ${column} in ${uri}`);
    drawGraph(await api("columns/lineage", { uri, column, direction, depth: p.get("depth") || 5 }));
  },
};

function setTitle(text) {
  $("title").textContent = text;
  $("summary").textContent = "";
  $("table").replaceChildren();
}

// ---- routing ----

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query] = raw.split("?");
  const [head, ...rest] = (path || "overview").split("/");
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : "";
  let view = head || "overview";
  if (view === "jobs" && arg) view = "job";
  if (view === "plans") view = "plan";
  return { view, arg, params: new URLSearchParams(query || "") };
}

function syncControls() {
  const wanted = VIEW_CONTROLS[current.view] || [];
  const form = $("controls");
  form.hidden = wanted.length === 0;
  for (const label of form.querySelectorAll("label[data-for]")) {
    const name = label.dataset.for;
    label.hidden = !wanted.includes(name);
    const input = $(`c-${name}`);
    const value = current.params.get(name);
    if (value !== null) input.value = value;
    else if (name === "direction") input.value = current.view === "columns" ? "upstream" : "both";
    else if (name === "depth") input.value = current.view === "columns" ? 5 : 3;
    else input.value = "";
  }
  for (const a of document.querySelectorAll("#nav a")) {
    const view = a.dataset.view;
    const active = view === current.view || (view === "jobs" && current.view === "job");
    a.classList.toggle("active", active);
  }
}

async function render() {
  current = parseHash();
  syncControls();
  showMessage("");
  resetDetails();
  const view = VIEWS[current.view];
  if (!view) {
    showMessage(`unknown view ${current.view}`);
    return;
  }
  document.body.dataset.view = current.view;
  document.body.dataset.state = "loading";
  try {
    await view(current.arg);
  } catch (err) {
    clearGraph();
    showMessage(err.message);
  }
  document.body.dataset.state = "ready";
}

$("controls").addEventListener("submit", (event) => {
  event.preventDefault();
  const params = {};
  for (const name of VIEW_CONTROLS[current.view] || []) params[name] = $(`c-${name}`).value;
  location.hash = hashFor(current.view === "job" ? "jobs" : current.view, "", params);
});

$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  location.hash = hashFor("datasets", "", { q: $("search-q").value });
});

async function refreshStatus() {
  try {
    const status = await api("status", { counts: "true" });
    const c = status.counts;
    $("graph-status").textContent = `${c.Job} jobs · ${c.Dataset} datasets · ${c.Run} runs`;
  } catch (err) {
    $("graph-status").textContent = `graph: ${err.message}`;
  }
}

window.addEventListener("hashchange", render);
renderLegend();
refreshStatus();
render();
