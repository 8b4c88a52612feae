// The evidence explorer's page script: reads the evidence map from the public GraphQL API and
// draws it as a heat map and as a table, opens a cell's views and findings page by page, and
// writes the state into a permalink (and reads it back). Plain DOM, no framework, no build step.
// Everything the page shows is set with textContent, never as HTML: the data is user-supplied.

const VIEW_DIMENSIONS = [
  ["MISSION", "Mission"],
  ["THEME", "Theme"],
  ["STANCE", "Stance"],
  ["EXERCISE", "Exercise"],
];
const FINDING_DIMENSIONS = [
  ["MISSION", "Mission"],
  ["THEME", "Theme"],
  ["KIND", "Kind"],
  ["EXERCISE", "Exercise"],
];
// Okabe-Ito colours: told apart with the common colour-vision deficiencies.
const STANCES = [
  ["CONCERN", "Concern", "#D55E00"],
  ["CONDITION", "Condition", "#E69F00"],
  ["HOPE", "Hope", "#009E73"],
  ["NEUTRAL", "Neutral", "#999999"],
  ["SUGGESTION", "Suggestion", "#0072B2"],
];
const KINDS = [
  ["CONCERN", "Concern", "#D55E00"],
  ["CONDITION", "Condition", "#E69F00"],
  ["HOPE", "Hope", "#009E73"],
  ["OBSERVATION", "Observation", "#999999"],
  ["PRINCIPLE", "Principle", "#CC79A7"],
  ["RECOMMENDATION", "Recommendation", "#0072B2"],
  ["REFLECTION", "Reflection", "#56B4E9"],
];
// A sequential blue scale (ColorBrewer "Blues", 7 classes) with the text colour that keeps at
// least 4.5:1 contrast on each.
const SCALE = [
  ["#eff3ff", "#000"],
  ["#c6dbef", "#000"],
  ["#9ecae1", "#000"],
  ["#6baed6", "#000"],
  ["#4292c6", "#000"],
  ["#2171b5", "#fff"],
  ["#084594", "#fff"],
];
const PAGE = 20;
// Search hits are aggregated in the page; past this many the map says it is partial.
const SEARCH_LIMIT = 2000;

const $ = (id) => document.getElementById(id);

const state = {
  evidence: "views",
  rows: "MISSION",
  columns: "THEME",
  filter: {},
  q: "",
  seq: null,
  cell: null,
};
let current = null; // the map last drawn: { rows, columns, cells: Map, total, minCellCount }
let options = { missions: [], themes: [], exercises: [] };
let detail = null; // the open cell's paging state

class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

async function gql(query, variables = {}) {
  const res = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) {
    const e = body.errors[0];
    throw new ApiError(e.message, e.extensions?.code || "ERROR");
  }
  return body.data;
}

const isViews = () => state.evidence === "views";
const dimensions = () => (isViews() ? VIEW_DIMENSIONS : FINDING_DIMENSIONS);
const splits = () => (isViews() ? STANCES : KINDS);
const splitName = () => (isViews() ? "STANCE" : "KIND");
const noun = (n) => (isViews() ? (n === 1 ? "view" : "views") : n === 1 ? "finding" : "findings");
const dimLabel = (d) => dimensions().find(([k]) => k === d)?.[1] ?? d;

// ---- the filter: the API's own ViewFilter / FindingFilter, as the permalink carries it ----

function splitFilterKey() {
  return isViews() ? "stances" : "kinds";
}

/** The filter controls write their own keys; anything else a permalink brought is kept. */
function readControls() {
  const f = { ...state.filter };
  const set = (key, value) => (value === undefined ? delete f[key] : (f[key] = value));
  const mission = $("f-mission").value;
  set("missions", mission ? { anyOf: [mission] } : undefined);
  const theme = $("f-theme").value;
  set("themes", theme ? { anyOf: [theme] } : undefined);
  set("exercise", $("f-exercise").value || undefined);
  delete f.stances;
  delete f.kinds;
  const split = $("f-split").value;
  if (split) f[splitFilterKey()] = [split];
  const verbatim = $("f-verbatim").value;
  set("verbatim", isViews() && verbatim ? verbatim === "true" : undefined);
  state.filter = f;
  state.q = $("q").value.trim();
}

function writeControls() {
  $("evidence").value = state.evidence;
  fillDimensionSelects();
  const f = state.filter;
  setSelect($("f-mission"), f.missions?.anyOf?.[0] ?? "");
  setSelect($("f-theme"), f.themes?.anyOf?.[0] ?? "");
  setSelect($("f-exercise"), f.exercise ?? "");
  fillSplitSelect();
  setSelect($("f-split"), f[splitFilterKey()]?.[0] ?? "");
  setSelect($("f-verbatim"), f.verbatim === undefined ? "" : String(f.verbatim));
  $("q").value = state.q;
  for (const el of document.querySelectorAll(".views-only")) el.hidden = !isViews();
}

/** Selects `value`, adding it as an option when the list does not have it (e.g. from a link). */
function setSelect(select, value) {
  if (value && ![...select.options].some((o) => o.value === value)) {
    select.append(new Option(value, value));
  }
  select.value = value;
}

function fillDimensionSelects() {
  for (const [id, value] of [
    ["rows", state.rows],
    ["columns", state.columns],
  ]) {
    const select = $(id);
    select.replaceChildren(...dimensions().map(([k, label]) => new Option(label, k)));
    select.value = value;
  }
}

function fillSplitSelect() {
  $("f-split-label").textContent = isViews() ? "Stance" : "Kind";
  const select = $("f-split");
  select.replaceChildren(
    new Option(isViews() ? "Any stance" : "Any kind", ""),
    ...splits().map(([k, label]) => new Option(label, k)),
  );
}

/** Keeps rows and columns valid for the evidence type and different from each other. */
function normaliseDimensions() {
  const keys = dimensions().map(([k]) => k);
  const swap = { STANCE: "KIND", KIND: "STANCE" };
  if (!keys.includes(state.rows)) state.rows = keys.includes(swap[state.rows]) ? swap[state.rows] : "MISSION";
  if (!keys.includes(state.columns)) state.columns = keys.includes(swap[state.columns]) ? swap[state.columns] : "THEME";
  if (state.rows === state.columns) state.columns = keys.find((k) => k !== state.rows);
  // A filter key of the other evidence type means nothing here.
  if (isViews()) delete state.filter.kinds;
  else {
    delete state.filter.stances;
    delete state.filter.verbatim;
    delete state.filter.session;
    delete state.filter.finding;
  }
}

const filterIsEmpty = (f) => Object.keys(f).length === 0;

// ---- the permalink ----

function permalink() {
  const p = [
    ["rows", state.rows],
    ["columns", state.columns],
    ["split", splitName()],
  ];
  if (!filterIsEmpty(state.filter)) p.push(["filter", JSON.stringify(state.filter)]);
  if (state.q) p.push(["q", state.q]);
  if (state.seq !== null) p.push(["seq", String(state.seq)]);
  if (state.cell) p.push(["cell", `${state.cell.row},${state.cell.column}`]);
  const query = p.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  return `${location.origin}/explore?${query}`;
}

/** Reads a permalink's state; returns the sequence it was made at, or null. */
function readLocation() {
  const p = new URLSearchParams(location.search);
  state.evidence = p.get("split") === "KIND" ? "findings" : "views";
  state.rows = p.get("rows") || "MISSION";
  state.columns = p.get("columns") || "THEME";
  state.filter = {};
  const filter = p.get("filter");
  if (filter) {
    try {
      const parsed = JSON.parse(filter);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) state.filter = parsed;
      else throw new Error("not an object");
    } catch {
      showError(`The link's filter is not valid JSON; showing everything instead.`);
    }
  }
  state.q = p.get("q") || "";
  const cell = p.get("cell");
  if (cell && cell.includes(",")) {
    const at = cell.indexOf(",");
    state.cell = { row: cell.slice(0, at), column: cell.slice(at + 1) };
  }
  const seq = Number.parseInt(p.get("seq") ?? "", 10);
  normaliseDimensions();
  return Number.isInteger(seq) && seq >= 0 ? seq : null;
}

/** The address bar always holds the permalink of what is shown. */
function syncLocation() {
  history.replaceState(null, "", permalink());
}

// ---- reading the map ----

const EVIDENCE_STATE = "evidenceState { sequence minCellCount }";

async function loadViewMap() {
  const data = await gql(
    `query ExplorerViewMap($rows: EvidenceDimension!, $columns: EvidenceDimension!, $filter: ViewFilter) {
      evidenceMap(rows: $rows, columns: $columns, filter: $filter) {
        totalViews suppressed
        rows { key label }
        columns { key label }
        cells { row { key } column { key } count suppressed byStance { stance count } }
      }
      ${EVIDENCE_STATE}
    }`,
    { rows: state.rows, columns: state.columns, filter: state.filter },
  );
  const m = data.evidenceMap;
  const cells = new Map();
  for (const c of m.cells) {
    const split = {};
    for (const s of c.byStance) split[s.stance] = s.count;
    cells.set(key(c.row.key, c.column.key), { count: c.count, suppressed: c.suppressed, split });
  }
  return {
    rows: m.rows,
    columns: m.columns,
    cells,
    total: m.suppressed ? null : m.totalViews,
    evidenceState: data.evidenceState,
  };
}

async function loadFindingMap() {
  // FindingMap cells carry no split by kind: one map per kind (aliases, one request) gives it.
  const wanted = state.filter.kinds?.length ? KINDS.filter(([k]) => state.filter.kinds.includes(k)) : KINDS;
  const perKind = wanted
    .map(
      ([k]) => `k_${k}: findingMap(rows: $rows, columns: $columns, filter: { ${findingFilterArgs()} kinds: [${k}] }) {
        cells { count }
      }`,
    )
    .join("\n");
  const data = await gql(
    `query ExplorerFindingMap($rows: FindingDimension!, $columns: FindingDimension!, $filter: FindingFilter, ${findingFilterVars()}) {
      findingMap(rows: $rows, columns: $columns, filter: $filter) {
        totalFindings
        rows { key label }
        columns { key label }
        cells { row { key } column { key } count }
      }
      ${perKind}
      ${EVIDENCE_STATE}
    }`,
    { rows: state.rows, columns: state.columns, filter: state.filter, ...findingFilterValues() },
  );
  const m = data.findingMap;
  const cells = new Map();
  m.cells.forEach((c, i) => {
    const split = {};
    for (const [k] of wanted) split[k] = data[`k_${k}`].cells[i].count;
    // Findings are aggregate statements, not people: small-cell suppression leaves them alone.
    cells.set(key(c.row.key, c.column.key), { count: c.count, suppressed: false, split });
  });
  return { rows: m.rows, columns: m.columns, cells, total: m.totalFindings, evidenceState: data.evidenceState };
}

// The per-kind maps repeat the filter with the kind replaced: its other fields as variables.
const FINDING_FILTER_FIELDS = [
  ["exercise", "ID"],
  ["exerciseStarted", "DateRange"],
  ["missions", "MissionMatch"],
  ["organisation", "ID"],
  ["places", "[String!]"],
  ["themes", "ThemeMatch"],
  ["updatedSince", "DateTime"],
];
const findingFilterVars = () => FINDING_FILTER_FIELDS.map(([f, t]) => `$f_${f}: ${t}`).join(", ");
const findingFilterArgs = () => FINDING_FILTER_FIELDS.map(([f]) => `${f}: $f_${f}`).join(", ");
function findingFilterValues() {
  const v = {};
  for (const [f] of FINDING_FILTER_FIELDS) v[`f_${f}`] = state.filter[f] ?? null;
  return v;
}

const key = (row, column) => `${row}\u0000${column}`;

/** With a search: the map's axes from the API, its counts from the search hits. */
async function searchMap(axes) {
  const hits = await searchHits();
  const cells = new Map();
  for (const r of axes.rows) for (const c of axes.columns) cells.set(key(r.key, c.key), { count: 0, split: {}, items: [] });
  const seen = new Set();
  for (const node of hits.nodes) {
    if (!matchesFilter(node)) continue;
    seen.add(node.id);
    for (const r of valuesOf(node, state.rows))
      for (const c of valuesOf(node, state.columns)) {
        const cell = cells.get(key(r, c));
        if (!cell) continue;
        cell.count++;
        const s = isViews() ? node.stance : node.kind;
        cell.split[s] = (cell.split[s] ?? 0) + 1;
        cell.items.push(node);
      }
  }
  const k = axes.evidenceState?.minCellCount;
  if (k) {
    for (const cell of cells.values()) {
      if (cell.count > 0 && cell.count < k) {
        cell.count = null;
        cell.suppressed = true;
        cell.split = {};
      }
    }
  }
  return { ...axes, cells, total: seen.size, partial: hits.partial };
}

async function searchHits() {
  const nodes = [];
  let after = null;
  for (;;) {
    const data = await gql(
      `query ExplorerSearch($q: String!, $kinds: [SearchKind!], $after: String) {
        search(query: $q, kinds: $kinds, first: 100, after: $after) {
          pageInfo { hasNextPage endCursor }
          nodes { node {
            ... on ParticipantView { ${VIEW_FIELDS} }
            ... on Finding { ${FINDING_FIELDS} }
          } }
        }
      }`,
      { q: state.q, kinds: [isViews() ? "PARTICIPANT_VIEW" : "FINDING"], after },
    );
    for (const hit of data.search.nodes) nodes.push(hit.node);
    if (!data.search.pageInfo.hasNextPage) return { nodes, partial: false };
    if (nodes.length >= SEARCH_LIMIT) return { nodes, partial: true };
    after = data.search.pageInfo.endCursor;
  }
}

const SOURCE = "provenance { locator source { title publisher url } }";
const VIEW_FIELDS = `id slug text stance verbatim missions themes { slug label }
  exercise { id slug title } finding { slug title } ${SOURCE}`;
const FINDING_FIELDS = `id slug title summary kind missions themes { slug label }
  exercise { id slug title } ${SOURCE}`;
// "What happened next": the organisers' responses and commitments that answer a finding.
const COMMITMENTS = `commitments(first: 5) { totalCount nodes {
  slug title statement status statedOn organisation { name } ${SOURCE} } }`;
const COMMITMENT_STATUS = { STATED: "stated", IN_PROGRESS: "in progress", DONE: "done", DROPPED: "dropped" };

function valuesOf(node, dim) {
  switch (dim) {
    case "MISSION":
      return node.missions;
    case "THEME":
      return node.themes.map((t) => t.slug);
    case "STANCE":
      return [node.stance];
    case "KIND":
      return [node.kind];
    case "EXERCISE":
      return [node.exercise.slug];
  }
  return [];
}

/** The controls' conditions, for search hits (the API applies them to everything else). */
function matchesFilter(node) {
  const f = state.filter;
  const any = (have, want) => !want?.length || want.some((w) => have.includes(w));
  const all = (have, want) => !want?.length || want.every((w) => have.includes(w));
  if (!any(node.missions, f.missions?.anyOf) || !all(node.missions, f.missions?.allOf)) return false;
  const themes = node.themes.map((t) => t.slug);
  if (!any(themes, f.themes?.anyOf) || !all(themes, f.themes?.allOf)) return false;
  if (f.exercise && node.exercise.id !== f.exercise) return false;
  if (f.stances?.length && !f.stances.includes(node.stance)) return false;
  if (f.kinds?.length && !f.kinds.includes(node.kind)) return false;
  if (f.verbatim !== undefined && node.verbatim !== f.verbatim) return false;
  return true;
}

async function refresh({ fromUser = true } = {}) {
  document.body.dataset.state = "loading";
  setStatus("Loading…");
  hideError();
  try {
    let map = isViews() ? await loadViewMap() : await loadFindingMap();
    if (state.q) map = await searchMap(map);
    current = { ...map, minCellCount: map.evidenceState?.minCellCount ?? null };
    if (fromUser || state.seq === null) state.seq = map.evidenceState?.sequence ?? null;
    drawMap();
    drawTable();
    drawLegend();
    updateDownloads();
    const what = state.q ? ` matching “${state.q}”` : "";
    const partial = map.partial ? ` (the first ${SEARCH_LIMIT} search hits only)` : "";
    const total = map.total === null ? `<${current.minCellCount} ${noun(2)}` : `${map.total} ${noun(map.total)}`;
    setStatus(`${total}${what}${partial}.`);
    if (fromUser) syncLocation();
    if (state.cell) await openCell(state.cell.row, state.cell.column, { focus: false });
    else closeDetail();
    document.body.dataset.state = "ready";
    // For tests and load-time measurements: how many times the map has been drawn.
    document.body.dataset.renders = String(Number(document.body.dataset.renders ?? 0) + 1);
    if (!document.body.dataset.firstRenderMs) document.body.dataset.firstRenderMs = String(Math.round(performance.now()));
  } catch (err) {
    showError(describe(err));
    setStatus("");
    document.body.dataset.state = "error";
  }
}

// ---- drawing ----

function scaleFor(count, max) {
  if (!count || !max) return null;
  // Square root: a few big cells would otherwise wash every other cell out to the lightest class.
  const i = Math.min(SCALE.length - 1, Math.floor((Math.sqrt(count) / Math.sqrt(max)) * (SCALE.length - 1) + 0.5));
  return SCALE[Math.max(0, i)];
}

function maxCount() {
  let max = 0;
  for (const c of current.cells.values()) if (c.count > max) max = c.count;
  return max;
}

function splitText(cell) {
  return splits()
    .filter(([k]) => cell.split[k] !== 0 && cell.split[k] !== undefined)
    // A null share is withheld by small-cell suppression.
    .map(([k, label]) => `${label.toLowerCase()} ${cell.split[k] ?? `<${current.minCellCount}`}`)
    .join(", ");
}

function countText(cell) {
  if (cell.suppressed || cell.count === null) return `<${current.minCellCount ?? "k"}`;
  return cell.count === 0 ? "gap" : String(cell.count);
}

function drawMap() {
  const wrap = $("map");
  const grid = document.createElement("div");
  grid.className = "heat";
  grid.style.gridTemplateColumns = `minmax(7rem, 11rem) repeat(${current.columns.length}, minmax(3rem, 1fr))`;
  grid.append(el("div", "corner", `${dimLabel(state.rows)} ╲ ${dimLabel(state.columns)}`));
  for (const c of current.columns) grid.append(el("div", "col-head", c.label));
  const max = maxCount();
  for (const r of current.rows) {
    grid.append(el("div", "row-head", r.label));
    for (const c of current.columns) {
      const cell = current.cells.get(key(r.key, c.key));
      const button = document.createElement("button");
      button.type = "button";
      button.className = "cell";
      button.dataset.row = r.key;
      button.dataset.column = c.key;
      const text = countText(cell);
      button.dataset.count = text;
      const detailText = cell.suppressed
        ? `fewer than ${current.minCellCount}, withheld`
        : cell.count === 0
          ? "no evidence (a gap)"
          : `${cell.count} ${noun(cell.count)}: ${splitText(cell)}`;
      button.setAttribute("aria-label", `${r.label}, ${c.label}: ${detailText}`);
      button.title = `${r.label} × ${c.label}: ${detailText}`;
      if (cell.suppressed) {
        button.classList.add("suppressed");
        button.setAttribute("aria-disabled", "true");
      } else if (cell.count === 0) {
        button.classList.add("gap");
      } else {
        const [bg, fg] = scaleFor(cell.count, max);
        button.style.backgroundColor = bg;
        button.style.color = fg;
      }
      button.append(el("span", "count", text));
      if (cell.count > 0) button.append(splitBar(cell));
      button.addEventListener("click", () => openCell(r.key, c.key, { focus: true }));
      grid.append(button);
    }
  }
  wrap.replaceChildren(grid);
}

function splitBar(cell) {
  const bar = el("span", "bar");
  bar.setAttribute("aria-hidden", "true");
  const total = splits().reduce((n, [k]) => n + (cell.split[k] ?? 0), 0);
  for (const [k, , colour] of splits()) {
    const n = cell.split[k] ?? 0;
    if (!n || !total) continue;
    const seg = el("span", "seg");
    seg.style.width = `${(100 * n) / total}%`;
    seg.style.backgroundColor = colour;
    bar.append(seg);
  }
  return bar;
}

function drawTable() {
  const table = document.createElement("table");
  const caption = document.createElement("caption");
  caption.textContent = `${isViews() ? "Participant views" : "Findings"} by ${dimLabel(state.rows).toLowerCase()} (rows) and ${dimLabel(state.columns).toLowerCase()} (columns), each cell split by ${isViews() ? "stance" : "kind"}${describeFilter()}. “gap”: no evidence.`;
  table.append(caption);
  const head = document.createElement("tr");
  const corner = el("th", null, dimLabel(state.rows));
  corner.scope = "col";
  head.append(corner);
  for (const c of current.columns) {
    const th = el("th", null, c.label);
    th.scope = "col";
    head.append(th);
  }
  const thead = document.createElement("thead");
  thead.append(head);
  const tbody = document.createElement("tbody");
  for (const r of current.rows) {
    const tr = document.createElement("tr");
    const th = el("th", null, r.label);
    th.scope = "row";
    tr.append(th);
    for (const c of current.columns) {
      const cell = current.cells.get(key(r.key, c.key));
      const td = el("td", null, countText(cell));
      td.dataset.row = r.key;
      td.dataset.column = c.key;
      if (cell.count > 0) td.append(el("span", "split", ` (${splitText(cell)})`));
      tr.append(td);
    }
    tbody.append(tr);
  }
  table.append(thead, tbody);
  $("table-wrap").replaceChildren(table);
}

function describeFilter() {
  const parts = [];
  const f = state.filter;
  if (f.missions?.anyOf?.length) parts.push(`mission ${f.missions.anyOf.map(missionLabel).join(" or ")}`);
  if (f.themes?.anyOf?.length) parts.push(`theme ${f.themes.anyOf.map(themeLabel).join(" or ")}`);
  if (f.exercise) parts.push(`exercise ${exerciseLabel(f.exercise)}`);
  if (f.stances?.length) parts.push(`stance ${f.stances.join(" or ").toLowerCase()}`);
  if (f.kinds?.length) parts.push(`kind ${f.kinds.join(" or ").toLowerCase()}`);
  if (f.verbatim !== undefined) parts.push(f.verbatim ? "verbatim quotes only" : "paraphrases only");
  if (state.q) parts.push(`matching “${state.q}”`);
  return parts.length ? `; filtered by ${parts.join(", ")}` : "";
}

const missionLabel = (code) => options.missions.find((m) => m.code === code)?.label ?? code;
const themeLabel = (slug) => options.themes.find((t) => t.slug === slug)?.label ?? slug;
const exerciseLabel = (id) => options.exercises.find((e) => e.id === id)?.title ?? id;

function drawLegend() {
  const legend = $("legend");
  const items = [];
  const scale = el("span", "legend-group");
  scale.append(el("span", "legend-title", `${isViews() ? "Views" : "Findings"} per cell:`));
  const max = maxCount();
  const steps = SCALE.map((_, i) => Math.round((i / (SCALE.length - 1)) ** 2 * max)).filter((v, i, a) => v > 0 && a.indexOf(v) === i);
  for (const v of steps) {
    const [bg, fg] = scaleFor(v, max);
    const sw = el("span", "swatch", String(v));
    sw.style.backgroundColor = bg;
    sw.style.color = fg;
    scale.append(sw);
  }
  scale.append(el("span", "swatch gap", "gap"));
  if (current.minCellCount) scale.append(el("span", "swatch suppressed", `<${current.minCellCount}: withheld`));
  items.push(scale);
  const split = el("span", "legend-group");
  split.append(el("span", "legend-title", isViews() ? "Stance:" : "Kind:"));
  for (const [, label, colour] of splits()) {
    const item = el("span", "legend-item");
    const dot = el("span", "dot");
    dot.style.backgroundColor = colour;
    item.append(dot, document.createTextNode(label));
    split.append(item);
  }
  items.push(split);
  legend.replaceChildren(...items);
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- a cell ----

/** The filter of the evidence behind a cell: the page's filter and the cell's two values. */
function cellFilter(row, column, forViews) {
  const f = structuredClone(state.filter);
  if (forViews !== isViews()) {
    // The other evidence type: keep what both filters share.
    for (const k of ["stances", "verbatim", "session", "finding", "kinds"]) delete f[k];
  }
  const dims = [
    [state.rows, row],
    [state.columns, column],
  ];
  for (const [dim, value] of dims) {
    switch (dim) {
      case "MISSION":
        f.missions = { ...f.missions, allOf: [...(f.missions?.allOf ?? []), value] };
        break;
      case "THEME":
        f.themes = { ...f.themes, allOf: [...(f.themes?.allOf ?? []), value] };
        break;
      case "EXERCISE": {
        const id = axisValue(dim, value)?.id;
        if (f.exercise && f.exercise !== id) return null;
        f.exercise = id;
        break;
      }
      case "STANCE":
        if (!forViews) break;
        if (f.stances?.length && !f.stances.includes(value)) return null;
        f.stances = [value];
        break;
      case "KIND":
        if (forViews) break;
        if (f.kinds?.length && !f.kinds.includes(value)) return null;
        f.kinds = [value];
        break;
    }
  }
  return f;
}

function axisValue(dim, value) {
  const list = dim === state.rows ? current.rows : current.columns;
  return list.find((k) => k.key === value);
}

async function openCell(row, column, { focus }) {
  const cell = current?.cells.get(key(row, column));
  const rowKey = axisValue(state.rows, row);
  const colKey = axisValue(state.columns, column);
  if (!cell || !rowKey || !colKey) {
    state.cell = null;
    closeDetail();
    return;
  }
  if (cell.suppressed) {
    setStatus(`${rowKey.label} × ${colKey.label}: fewer than ${current.minCellCount} ${noun(2)}, withheld to protect the people in it.`);
    return;
  }
  state.cell = { row, column };
  syncLocation();
  for (const b of document.querySelectorAll(".cell.open")) b.classList.remove("open");
  document.querySelector(`.cell[data-row="${CSS.escape(row)}"][data-column="${CSS.escape(column)}"]`)?.classList.add("open");
  const section = $("detail");
  section.hidden = false;
  $("detail-title").textContent = `${rowKey.label} × ${colKey.label}`;
  $("detail-summary").textContent =
    cell.count === 0
      ? "No evidence here: a gap."
      : `${cell.count} ${noun(cell.count)}${cell.count ? `: ${splitText(cell)}` : ""}.`;
  const viewFilter = cellFilter(row, column, true);
  const findingFilter = cellFilter(row, column, false);
  detail = {
    row,
    column,
    views: { filter: viewFilter, after: null, items: state.q && isViews() ? cell.items : null },
    findings: { filter: findingFilter, after: null, items: state.q && !isViews() ? cell.items : null },
  };
  const cellLink = isViews()
    ? exportUrl("participant-views", { filter: viewFilter })
    : exportUrl("findings", { filter: findingFilter });
  $("download-cell").href = cellLink;
  $("download-cell").hidden = Boolean(state.q);
  $("detail-views").replaceChildren();
  $("detail-findings").replaceChildren();
  if (focus) section.focus();
  section.dataset.state = "loading";
  await Promise.all([more("views"), more("findings")]);
  if (detail?.row === row && detail?.column === column) section.dataset.state = "ready";
}

async function more(which) {
  const d = detail?.[which];
  if (!d) return;
  const list = $(`detail-${which}`);
  const button = $(`more-${which}`);
  const opened = detail;
  try {
    let nodes;
    let hasNext;
    let total;
    if (d.items) {
      const start = list.children.length;
      nodes = d.items.slice(start, start + PAGE);
      hasNext = start + PAGE < d.items.length;
      total = d.items.length;
    } else if (!d.filter) {
      nodes = [];
      hasNext = false;
      total = 0;
    } else {
      const page = which === "views" ? await viewPage(d.filter, d.after) : await findingPage(d.filter, d.after);
      nodes = page.nodes;
      hasNext = page.pageInfo.hasNextPage;
      d.after = page.pageInfo.endCursor;
      total = page.totalCount;
    }
    if (detail !== opened) return;
    for (const node of nodes) list.append(which === "views" ? viewItem(node) : findingItem(node));
    button.hidden = !hasNext;
    const title = $(`${which}-title`);
    title.dataset.total = String(total ?? "");
    if (list.children.length === 0) list.append(el("li", "empty", which === "views" ? "No participant views." : "No findings."));
  } catch (err) {
    if (detail !== opened) return;
    button.hidden = true;
    list.replaceChildren(el("li", "empty", describe(err)));
  }
}

async function viewPage(filter, after) {
  const data = await gql(
    `query ExplorerCellViews($filter: ViewFilter, $after: String) {
      participantViews(filter: $filter, first: ${PAGE}, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { ${VIEW_FIELDS} }
      }
    }`,
    { filter, after },
  );
  return data.participantViews;
}

async function findingPage(filter, after) {
  const data = await gql(
    `query ExplorerCellFindings($filter: FindingFilter, $after: String) {
      findings(filter: $filter, first: ${PAGE}, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { ${FINDING_FIELDS} ${COMMITMENTS} }
      }
    }`,
    { filter, after },
  );
  return data.findings;
}

function viewItem(v) {
  const li = el("li", "item view");
  li.dataset.slug = v.slug;
  const q = el("blockquote", v.verbatim ? "verbatim" : "paraphrase", v.verbatim ? `“${v.text}”` : v.text);
  const meta = el("p", "meta");
  const stance = STANCES.find(([k]) => k === v.stance);
  const tag = el("span", "tag", stance?.[1] ?? v.stance);
  tag.style.borderColor = stance?.[2] ?? "#999";
  meta.append(tag, el("span", "tag", v.verbatim ? "verbatim" : "paraphrase"), document.createTextNode(` ${v.exercise.title}`));
  if (v.finding) meta.append(document.createTextNode(` · supports “${v.finding.title}”`));
  li.append(q, meta, sourceLine(v.provenance));
  return li;
}

function findingItem(f) {
  const li = el("li", "item finding");
  li.dataset.slug = f.slug;
  const kind = KINDS.find(([k]) => k === f.kind);
  const title = el("p", "title", f.title);
  const meta = el("p", "meta");
  const tag = el("span", "tag", kind?.[1] ?? f.kind);
  tag.style.borderColor = kind?.[2] ?? "#999";
  meta.append(tag, document.createTextNode(` ${f.exercise.title}`));
  li.append(title, el("p", "summary", f.summary), meta, sourceLine(f.provenance));
  if (f.commitments?.totalCount) li.append(whatHappenedNext(f.commitments));
  return li;
}

function whatHappenedNext(connection) {
  const box = el("div", "next");
  box.append(el("h4", null, "What happened next"));
  const list = el("ul");
  for (const c of connection.nodes) {
    const li = el("li", "commitment");
    li.dataset.slug = c.slug;
    const head = el("p", "title", c.title);
    const meta = el("p", "meta");
    meta.append(el("span", "tag", COMMITMENT_STATUS[c.status] ?? c.status));
    meta.append(document.createTextNode(` ${c.organisation.name}${c.statedOn ? `, ${c.statedOn}` : ""}`));
    li.append(head, el("blockquote", "verbatim", `“${c.statement}”`), meta, sourceLine(c.provenance));
    list.append(li);
  }
  box.append(list);
  if (connection.totalCount > connection.nodes.length) {
    box.append(el("p", "meta", `and ${connection.totalCount - connection.nodes.length} more`));
  }
  return box;
}

/** The source document, linked at the passage that locates the evidence (a text fragment). */
function sourceLine(p) {
  const line = el("p", "source");
  line.append(document.createTextNode("Source: "));
  const title = `${p.source.title} (${p.source.publisher})`;
  if (p.source.url) {
    const a = el("a", null, title);
    a.href = `${p.source.url}#:~:text=${encodeURIComponent(p.locator.slice(0, 300))}`;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    line.append(a);
  } else {
    line.append(document.createTextNode(title));
  }
  line.append(document.createTextNode(" — "), el("q", "locator", p.locator));
  return line;
}

function closeDetail() {
  $("detail").hidden = true;
  detail = null;
  for (const b of document.querySelectorAll(".cell.open")) b.classList.remove("open");
}

// ---- downloads, permalink, citation ----

function exportUrl(name, { filter, rows, columns }) {
  const p = [];
  if (rows) p.push(["rows", rows], ["columns", columns]);
  if (filter && !filterIsEmpty(filter)) p.push(["filter", JSON.stringify(filter)]);
  const query = p.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
  return `/export/${name}.csv${query ? `?${query}` : ""}`;
}

function updateDownloads() {
  const map = $("download-map");
  map.href = exportUrl(isViews() ? "evidence-map" : "finding-map", {
    rows: state.rows,
    columns: state.columns,
    filter: state.filter,
  });
  $("download-list").href = exportUrl(isViews() ? "participant-views" : "findings", { filter: state.filter });
  // The export endpoints know filters, not searches: offering them would download something else.
  map.hidden = Boolean(state.q);
  $("download-list").hidden = Boolean(state.q);
}

async function copyPermalink() {
  const link = permalink();
  $("permalink-box").hidden = false;
  $("permalink").value = link;
  $("permalink").select();
  try {
    await navigator.clipboard.writeText(link);
    setStatus("Permalink copied.");
  } catch {
    setStatus("Permalink ready to copy.");
  }
}

async function cite() {
  try {
    const data = await gql(
      `query ExplorerCitation($permalink: String!) {
        citation(permalink: $permalink) { text bibtex cslJson accessed }
      }`,
      { permalink: permalink() },
    );
    $("cite-text").value = data.citation.text;
    $("cite-bibtex").value = data.citation.bibtex;
    $("cite-csl").value = JSON.stringify(data.citation.cslJson, null, 2);
    $("citation-box").hidden = false;
    $("cite-text").focus();
  } catch (err) {
    showError(describe(err));
  }
}

async function announceChanges(seq) {
  try {
    const data = await gql(`query ExplorerChanges($seq: Int!) { evidenceState { changesSince(sequence: $seq) } }`, { seq });
    const n = data.evidenceState.changesSince;
    if (n > 0) {
      const box = $("changes");
      box.textContent = `${n} ${n === 1 ? "change" : "changes"} since this link was made.`;
      box.hidden = false;
    }
  } catch (err) {
    showError(describe(err));
  }
}

// ---- options for the filter controls ----

async function loadOptions() {
  const data = await gql(`query ExplorerOptions { missions { code label } }`);
  options.missions = data.missions;
  options.themes = await allPages("themes", "slug label");
  options.exercises = await allPages("exercises", "id slug title", 10);
  const fill = (id, items, value, label, selected) => {
    const select = $(id);
    const first = select.options[0];
    select.replaceChildren(first, ...items.map((i) => new Option(label(i), value(i))));
    setSelect(select, selected ?? "");
  };
  fill("f-mission", options.missions, (m) => m.code, (m) => m.label, state.filter.missions?.anyOf?.[0]);
  fill("f-theme", options.themes, (t) => t.slug, (t) => t.label, state.filter.themes?.anyOf?.[0]);
  fill("f-exercise", options.exercises, (e) => e.id, (e) => e.title, state.filter.exercise);
}

async function allPages(field, fields, maxPages = 5) {
  const items = [];
  let after = null;
  for (let i = 0; i < maxPages; i++) {
    const data = await gql(
      `query ExplorerList($after: String) { ${field}(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${fields} } } }`,
      { after },
    );
    items.push(...data[field].nodes);
    if (!data[field].pageInfo.hasNextPage) break;
    after = data[field].pageInfo.endCursor;
  }
  return items;
}

// ---- messages ----

function setStatus(text) {
  $("status").textContent = text;
}
function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = false;
}
function hideError() {
  $("error").hidden = true;
}
function describe(err) {
  if (err instanceof ApiError) {
    if (err.code === "SUPPRESSED") return `Withheld: ${err.message}`;
    return `${err.message} (${err.code})`;
  }
  return `Cannot reach the API: ${err.message}`;
}

// ---- wiring ----

function wire() {
  $("controls").addEventListener("submit", (e) => {
    e.preventDefault();
    readControls();
    state.cell = null;
    refresh();
  });
  for (const id of ["rows", "columns", "f-mission", "f-theme", "f-exercise", "f-split", "f-verbatim"]) {
    $(id).addEventListener("change", () => {
      if (id === "rows" || id === "columns") {
        const other = id === "rows" ? "columns" : "rows";
        if ($(id).value === $(other).value) $(other).value = state[id];
        state.rows = $("rows").value;
        state.columns = $("columns").value;
      }
      readControls();
      state.cell = null;
      refresh();
    });
  }
  $("evidence").addEventListener("change", () => {
    readControls();
    state.evidence = $("evidence").value;
    normaliseDimensions();
    state.cell = null;
    writeControls();
    refresh();
  });
  $("reset").addEventListener("click", () => {
    state.filter = {};
    state.q = "";
    state.cell = null;
    writeControls();
    refresh();
  });
  $("toggle-table").addEventListener("click", () => {
    const showTable = $("table-wrap").hidden;
    $("table-wrap").hidden = !showTable;
    $("map").hidden = showTable;
    $("toggle-table").setAttribute("aria-pressed", String(showTable));
    $("toggle-table").textContent = showTable ? "Show as heat map" : "Show as table";
  });
  $("copy-permalink").addEventListener("click", copyPermalink);
  $("cite").addEventListener("click", cite);
  $("close-detail").addEventListener("click", () => {
    const open = state.cell;
    state.cell = null;
    closeDetail();
    syncLocation();
    if (open) document.querySelector(`.cell[data-row="${CSS.escape(open.row)}"][data-column="${CSS.escape(open.column)}"]`)?.focus();
  });
  $("more-views").addEventListener("click", () => more("views"));
  $("more-findings").addEventListener("click", () => more("findings"));
}

async function start() {
  const seq = readLocation();
  state.seq = seq;
  writeControls();
  wire();
  const optionsLoaded = loadOptions().catch((err) => showError(describe(err)));
  // A permalink is shown as it was made: its own sequence is kept until the user changes something.
  await refresh({ fromUser: seq === null });
  if (seq !== null) await announceChanges(seq);
  await optionsLoaded;
  // Labels in the caption may only be known once the options have loaded.
  if (current) drawTable();
}

start();
