// The evidence explorer (/explore) in headless Debian Chromium, as an analyst uses it, against
// the real server: the map shows the API's counts (and known counts of the seed corpus), a filter
// changes them, a cell opens the right views, the CSV downloads hold the API's rows, a permalink
// reopens the same view and says how much changed since, and with PUBLIC_VOICE_MIN_CELL_COUNT
// small cells show "<k" to anonymous readers and cannot be opened.
// On failure a screenshot is kept in tests/clients/artifacts/.
import puppeteer from "puppeteer-core";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEqual, freshDatabase, makeChange, post, startServer } from "../lib.mjs";
import { CHROMIUM } from "./graphiql.mjs";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "artifacts");
// Counts of the seed corpus (api/seed/corpus.json), Mission x Theme, every view.
const SEED_CELLS = [
  // [mission, theme, views]
  ["HEALTH", "admin-burden", 3],
  ["HEALTH", "public-benefit", 3],
  ["EDUCATION", "accountability", 1],
  ["CRIME_AND_POLICING", "privacy", 2],
  ["HEALTH", "civil-service-participation", 0],
  ["ECONOMIC_GROWTH", "privacy", 0],
];
const SEED_TOTAL = 40;
// The same map under the filter { stances: [CONCERN] }.
const SEED_CONCERN_CELLS = [
  ["HEALTH", "privacy", 1],
  ["ENERGY_AND_NET_ZERO", "trust-in-developers", 1],
  ["HEALTH", "admin-burden", 0],
];
const SEED_CONCERN_TOTAL = 9;
const SUPPRESS_BELOW = 3;
// Views the suppression check imports into one cell, more than one page of the page's 20.
const PAGED = 25;

export async function launchBrowser() {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** A GraphQL request without a token: what the page (an anonymous reader) sees. */
async function anonymous(server, query, variables = {}, token = null) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(server.url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function apiMap(server, filter = {}, token = null) {
  const data = await anonymous(
    server,
    `query($filter: ViewFilter) { evidenceMap(rows: MISSION, columns: THEME, filter: $filter) {
      totalViews cells { row { key } column { key } count suppressed } } }`,
    { filter },
    token,
  );
  return data.evidenceMap;
}

/** What the page shows in each cell: { "MISSION,theme": "12" | "gap" | "<3" }. */
async function shownCells(page) {
  return page.$$eval(".heat .cell", (cells) =>
    Object.fromEntries(cells.map((c) => [`${c.dataset.row},${c.dataset.column}`, c.querySelector(".count").textContent])),
  );
}

function expectedCells(map, k = null) {
  return Object.fromEntries(
    map.cells.map((c) => [
      `${c.row.key},${c.column.key}`,
      c.suppressed ? `<${k}` : c.count === 0 ? "gap" : String(c.count),
    ]),
  );
}

/** Waits until the page has drawn the map `after` times in all (each change of state draws it). */
async function drawn(page, after) {
  await page.waitForFunction(
    (n) => document.body.dataset.state === "ready" && Number(document.body.dataset.renders) >= n,
    { timeout: 30000 },
    after,
  );
  const state = await page.evaluate(() => document.body.dataset.state);
  assert(state === "ready", `the page is ${state}: ${await page.$eval("#error", (e) => e.textContent)}`);
}

const renders = (page) => page.evaluate(() => Number(document.body.dataset.renders ?? 0));

async function detailReady(page) {
  await page.waitForFunction(() => document.getElementById("detail").dataset.state === "ready", { timeout: 30000 });
}

function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

async function download(page, selector) {
  const href = await page.$eval(selector, (a) => a.href);
  const res = await fetch(href);
  assert(res.ok, `${selector} (${href}): HTTP ${res.status}`);
  return { href, rows: parseCsv(await res.text()) };
}

async function allViewIds(server, filter) {
  const ids = [];
  let after = null;
  for (;;) {
    const data = await anonymous(
      server,
      `query($filter: ViewFilter, $after: String) { participantViews(filter: $filter, first: 100, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { id } } }`,
      { filter, after },
    );
    ids.push(...data.participantViews.nodes.map((n) => n.id));
    if (!data.participantViews.pageInfo.hasNextPage) return ids;
    after = data.participantViews.pageInfo.endCursor;
  }
}

function watch(page, server, problems) {
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.on("requestfailed", (req) => {
    if (!req.url().startsWith(server.base)) problems.push(`request outside the server: ${req.url()}`);
  });
}

// For work on the page: serve its files from this directory instead of the binary's copies, so a
// change shows without a rebuild. Unset in CI, where the binary's own files are tested.
const DEV_ASSETS = process.env.PUBLIC_VOICE_EXPLORER_DEV_ASSETS;

export async function newPage(browser) {
  const page = await browser.newPage();
  if (DEV_ASSETS) {
    await page.setRequestInterception(true);
    page.on("request", (req) => {
      const path = new URL(req.url()).pathname;
      const file = path === "/explore" ? "explore.html" : path.match(/^\/explore\/assets\/([a-z.]+)$/)?.[1];
      if (!file) return req.continue();
      const type = { html: "text/html", js: "text/javascript", css: "text/css" }[file.split(".").pop()];
      req.respond({ status: 200, contentType: type, body: readFileSync(join(DEV_ASSETS, file)) });
    });
  }
  return page;
}

async function withPage(browser, server, label, name, body) {
  const page = await newPage(browser);
  const problems = [];
  watch(page, server, problems);
  await page.setViewport({ width: 1400, height: 1000 });
  try {
    await body(page);
    assert(problems.length === 0, problems.join("; "));
  } catch (err) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, `explorer-${name}-${label}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    throw new Error(`${err.message} (screenshot: ${shot}${problems.length ? "; " + problems.join("; ") : ""})`);
  } finally {
    await page.close();
  }
}

export async function explorer(server, backend) {
  const browser = await launchBrowser();
  try {
    await withPage(browser, server, backend, "map", (page) => mapChecks(page, server));
    await suppression(browser, backend);
  } finally {
    await browser.close();
  }
}

async function mapChecks(page, server) {
  // The whole map, as the API gives it to an anonymous reader, and known seed counts.
  const everything = await apiMap(server);
  await page.goto(`${server.base}/explore`, { waitUntil: "networkidle0" });
  await drawn(page, 1);
  const shown = await shownCells(page);
  assertEqual(shown, expectedCells(everything), "the map's cells");
  for (const [mission, theme, count] of SEED_CELLS) {
    assertEqual(shown[`${mission},${theme}`], count === 0 ? "gap" : String(count), `the seed corpus's ${mission} x ${theme}`);
  }
  assertEqual(everything.totalViews, SEED_TOTAL, "the seed corpus's published views");
  const status = await page.$eval("#status", (e) => e.textContent);
  assertEqual(status, `${everything.totalViews} views.`, "the status line");
  const table = await page.$$eval("#table-wrap td", (tds) => tds.length);
  assertEqual(table, everything.cells.length, "the table view's cells");

  // A search narrows the map to the views it finds.
  const hits = await anonymous(
    server,
    `{ search(query: "data", kinds: [PARTICIPANT_VIEW], first: 100) { nodes { node { ... on ParticipantView { missions themes { slug } } } } } }`,
  );
  const searched = Object.fromEntries(Object.keys(shown).map((k) => [k, 0]));
  for (const { node } of hits.search.nodes) {
    for (const m of node.missions) for (const t of node.themes) searched[`${m},${t.slug}`] += 1;
  }
  let n = await renders(page);
  await page.type("#q", "data");
  await page.keyboard.press("Enter");
  await drawn(page, n + 1);
  assertEqual(
    await shownCells(page),
    Object.fromEntries(Object.entries(searched).map(([k, v]) => [k, v === 0 ? "gap" : String(v)])),
    "the map of the search hits",
  );
  assertEqual(searched["HEALTH,privacy"], 2, "the seed corpus's views on data about HEALTH x privacy");
  assertEqual(await page.$eval("#status", (e) => e.textContent), `${hits.search.nodes.length} views matching “data”.`, "the search's status line");
  n = await renders(page);
  await page.click("#reset");
  await drawn(page, n + 1);
  assertEqual(await shownCells(page), expectedCells(everything), "the map after Reset");

  // A filter narrows the map.
  const concern = await apiMap(server, { stances: ["CONCERN"] });
  n = await renders(page);
  await page.select("#f-split", "CONCERN");
  await drawn(page, n + 1);
  const filtered = await shownCells(page);
  assertEqual(filtered, expectedCells(concern), "the map filtered by stance CONCERN");
  for (const [mission, theme, count] of SEED_CONCERN_CELLS) {
    assertEqual(filtered[`${mission},${theme}`], count === 0 ? "gap" : String(count), `CONCERN ${mission} x ${theme}`);
  }
  assertEqual(concern.totalViews, SEED_CONCERN_TOTAL, "the seed corpus's CONCERN views");

  // The fullest cell opens onto its views, page by page, exactly the API's.
  const fullest = concern.cells.reduce((a, b) => (b.count > a.count ? b : a));
  const cellFilter = {
    stances: ["CONCERN"],
    missions: { allOf: [fullest.row.key] },
    themes: { allOf: [fullest.column.key] },
  };
  const ids = await allViewIds(server, cellFilter);
  assertEqual(ids.length, fullest.count, "the API's cell list and its count");
  const cell = `.cell[data-row="${fullest.row.key}"][data-column="${fullest.column.key}"]`;
  await page.focus(cell);
  await page.keyboard.press("Enter");
  await detailReady(page);
  const apiSlugs = await anonymous(
    server,
    `query($filter: ViewFilter) { participantViews(filter: $filter, first: 100) { nodes { slug text } } }`,
    { filter: cellFilter },
  );
  const listed = () => page.$$eval("#detail-views li.item", (lis) => lis.map((li) => li.dataset.slug));
  let slugs = await listed();
  assertEqual(slugs, apiSlugs.participantViews.nodes.slice(0, 20).map((v) => v.slug), "the cell's first page of views");
  while (await page.$eval("#more-views", (b) => !b.hidden)) {
    const before = slugs.length;
    await page.click("#more-views");
    await page.waitForFunction((b) => document.querySelectorAll("#detail-views li.item").length > b, { timeout: 30000 }, before);
    slugs = await listed();
  }
  assertEqual(slugs, apiSlugs.participantViews.nodes.slice(0, 100).map((v) => v.slug), "every view of the cell, paged");
  const firstText = await page.$eval("#detail-views li.item blockquote", (q) => q.textContent);
  assert(firstText.includes(apiSlugs.participantViews.nodes[0].text), `the first view's text: ${firstText}`);
  const sourceLink = await page.$("#detail-views li.item .source");
  assert(sourceLink, "each view names its source");

  // Downloads: the cell, the list and the map, each the API's rows.
  const cellCsv = await download(page, "#download-cell");
  assertEqual(cellCsv.rows.map((r) => r.id), ids, `the cell's CSV (${cellCsv.href}) ids`);
  const listCsv = await download(page, "#download-list");
  assertEqual(listCsv.rows.map((r) => r.id), await allViewIds(server, { stances: ["CONCERN"] }), "the list's CSV ids");
  const mapCsv = await download(page, "#download-map");
  assertEqual(
    Object.fromEntries(mapCsv.rows.map((r) => [`${r.row_key},${r.column_key}`, r.count])),
    Object.fromEntries(concern.cells.map((c) => [`${c.row.key},${c.column.key}`, String(c.count)])),
    "the map's CSV counts",
  );

  // The permalink reopens the same view; after a write it says so.
  await page.click("#copy-permalink");
  const link = await page.$eval("#permalink", (i) => i.value);
  const url = new URL(link);
  assertEqual(url.pathname, "/explore", "the permalink's path");
  assertEqual(url.searchParams.get("rows"), "MISSION", "permalink rows");
  assertEqual(url.searchParams.get("columns"), "THEME", "permalink columns");
  assertEqual(url.searchParams.get("split"), "STANCE", "permalink split");
  assertEqual(JSON.parse(url.searchParams.get("filter")), { stances: ["CONCERN"] }, "permalink filter");
  assertEqual(url.searchParams.get("cell"), `${fullest.row.key},${fullest.column.key}`, "permalink cell");
  const state = await anonymous(server, `{ evidenceState { sequence } }`);
  assertEqual(url.searchParams.get("seq"), String(state.evidenceState.sequence), "permalink seq");

  const reopen = async (expectChanges) => {
    await page.goto(link, { waitUntil: "networkidle0" });
    await drawn(page, 1);
    await detailReady(page);
    assertEqual(await page.$eval("#f-split", (s) => s.value), "CONCERN", "the restored stance filter");
    const again = await shownCells(page);
    for (const [k, v] of Object.entries(expectedCells(concern))) assertEqual(again[k], v, `the restored cell ${k}`);
    assertEqual(await listed().then((s) => s.slice(0, 20)), slugs.slice(0, 20), "the restored open cell");
    if (expectChanges === null) {
      assert(await page.$eval("#changes", (e) => e.hidden), "no changes notice before any write");
    } else {
      await page.waitForFunction(() => !document.getElementById("changes").hidden, { timeout: 10000 });
      assertEqual(await page.$eval("#changes", (e) => e.textContent), expectChanges, "the changes notice");
    }
  };
  // Findings, split by kind: the same cells as the API's finding map.
  const findingMap = await anonymous(
    server,
    `{ findingMap(rows: MISSION, columns: THEME) { totalFindings cells { row { key } column { key } count } } }`,
  );
  n = await renders(page);
  await page.select("#evidence", "findings");
  await drawn(page, n + 1);
  assertEqual(await shownCells(page), expectedCells(findingMap.findingMap), "the finding map's cells");
  assertEqual(
    await page.$eval("#status", (e) => e.textContent),
    `${findingMap.findingMap.totalFindings} findings.`,
    "the finding map's status line",
  );

  // Next to a finding, what happened next: the commitments that answer it, as the API lists them.
  const answered = await anonymous(
    server,
    `{ findings(first: 100) { nodes { slug missions themes { slug } commitments(first: 5) { nodes { slug } } } } }`,
  );
  const withNext = answered.findings.nodes.find((f) => f.commitments.nodes.length && f.missions.length && f.themes.length);
  assert(withNext, "the seed corpus has a finding, tagged with a mission and a theme, that a commitment answers");
  await page.click(`.cell[data-row="${withNext.missions[0]}"][data-column="${withNext.themes[0].slug}"]`);
  await detailReady(page);
  const next = await page.$$eval(`#detail-findings li.item[data-slug="${withNext.slug}"] .next li.commitment`, (lis) =>
    lis.map((li) => li.dataset.slug),
  );
  assertEqual(next, withNext.commitments.nodes.map((c) => c.slug), `what happened next to ${withNext.slug}`);

  await reopen(null);
  await makeChange(server);
  await reopen("1 change since this link was made.");

  // The citation names what the permalink shows.
  await page.click("#cite");
  await page.waitForFunction(() => !document.getElementById("citation-box").hidden, { timeout: 10000 });
  const citation = await anonymous(server, `query($p: String!) { citation(permalink: $p) { bibtex } }`, { p: link });
  const bibtex = await page.$eval("#cite-bibtex", (t) => t.value);
  assert(bibtex.includes("Public Voice"), `the BibTeX names the service: ${bibtex}`);
  assertEqual(bibtex.replace(/urldate = \{[^}]*\}/, ""), citation.citation.bibtex.replace(/urldate = \{[^}]*\}/, ""), "the page's BibTeX");
}

/** A server of its own with small-cell suppression on: anonymous readers see "<k". */
async function suppression(browser, backend) {
  const db = freshDatabase(backend);
  const server = await startServer(db.url, { PUBLIC_VOICE_MIN_CELL_COUNT: String(SUPPRESS_BELOW) });
  try {
    // A cell fuller than a page, in this server's own database: the page pages it with "More".
    const bundle = Array.from({ length: PAGED }, (_, i) =>
      JSON.stringify({
        type: "view",
        slug: `explorer-paging-${String(i).padStart(2, "0")}`,
        exercise: "ai-cam-public-dialogues-2024",
        text: `A view written by the explorer check (${i}).`,
        stance: "HOPE",
        missions: ["ECONOMIC_GROWTH"],
        themes: ["networking"],
        source: "ai-cam-2024-10-26",
        locator: "p. 3",
        reviewStatus: "PUBLISHED",
      }),
    ).join("\n");
    const imported = await post(
      server,
      `mutation($bundle: String!) { importBundle(bundle: $bundle) { created } }`,
      { bundle },
    );
    assert(!imported.errors, `the import: ${JSON.stringify(imported.errors)}`);
    const full = await apiMap(server, {}, server.token);
    const small = full.cells.filter((c) => c.count > 0 && c.count < SUPPRESS_BELOW);
    assert(small.length > 0, "the seed corpus has cells below the threshold");
    const hidden = await apiMap(server);
    await withPage(browser, server, backend, "suppressed", async (page) => {
      await page.goto(`${server.base}/explore`, { waitUntil: "networkidle0" });
      await drawn(page, 1);
      const shown = await shownCells(page);
      assertEqual(shown, expectedCells(hidden, SUPPRESS_BELOW), "the suppressed map");
      for (const c of full.cells) {
        const want = c.count === 0 ? "gap" : c.count < SUPPRESS_BELOW ? `<${SUPPRESS_BELOW}` : String(c.count);
        assertEqual(shown[`${c.row.key},${c.column.key}`], want, `the cell ${c.row.key} x ${c.column.key} (editor count ${c.count})`);
      }
      // The cell of PAGED views: 20, then the rest after "More", in the API's order.
      const pagedFilter = { missions: { allOf: ["ECONOMIC_GROWTH"] }, themes: { allOf: ["networking"] } };
      const apiSlugs = await anonymous(
        server,
        `query($filter: ViewFilter) { participantViews(filter: $filter, first: 100) { nodes { slug } } }`,
        { filter: pagedFilter },
      );
      const expected = apiSlugs.participantViews.nodes.map((v) => v.slug);
      assertEqual(expected.length, PAGED, "the imported cell's views");
      await page.click('.cell[data-row="ECONOMIC_GROWTH"][data-column="networking"]');
      await detailReady(page);
      const listed = () => page.$$eval("#detail-views li.item", (lis) => lis.map((li) => li.dataset.slug));
      assertEqual(await listed(), expected.slice(0, 20), "the first page of the cell");
      await page.click("#more-views");
      await page.waitForFunction((n) => document.querySelectorAll("#detail-views li.item").length === n, { timeout: 30000 }, PAGED);
      assertEqual(await listed(), expected, "the cell after More");
      assert(await page.$eval("#more-views", (b) => b.hidden), "no More after the last page");
      await page.click("#close-detail");

      const target = small[0];
      await page.click(`.cell[data-row="${target.row.key}"][data-column="${target.column.key}"]`);
      assert(await page.$eval("#detail", (d) => d.hidden), "a suppressed cell does not open");
      const status = await page.$eval("#status", (e) => e.textContent);
      assert(status.includes(`fewer than ${SUPPRESS_BELOW}`), `the page says why: ${status}`);
    });
  } finally {
    await server.stop();
    db.drop();
  }
}
