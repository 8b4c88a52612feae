// GraphiQL (the version the server embeds) in headless Debian Chromium, as an analyst uses it:
// the Docs pane lists the schema's types, a query runs, and a subscription receives an event.
// On failure a screenshot is kept in tests/clients/artifacts/.
import puppeteer from "puppeteer-core";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, makeChange, newSlug, patience } from "../lib.mjs";

const ARTIFACTS = join(dirname(fileURLToPath(import.meta.url)), "..", "artifacts");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

async function setQuery(page, text) {
  await page.evaluate((text) => {
    document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(text);
  }, text);
  // GraphiQL reads the operation name from the editor after a short debounce.
  await new Promise((r) => setTimeout(r, 1000));
}

async function result(page) {
  return page.evaluate(() => {
    const editor = document.querySelector(".result-window .CodeMirror");
    return editor ? editor.CodeMirror.getValue() : "";
  });
}

async function waitForResult(page, predicate, what, ms = 20000) {
  const deadline = Date.now() + ms;
  let last = "";
  while (Date.now() < deadline) {
    last = await result(page);
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: the result pane shows ${JSON.stringify(last.slice(0, 500))}`);
}

export async function graphiql(server, label) {
  const browser = await puppeteer.launch({
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
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("requestfailed", (req) => {
    if (!req.url().startsWith(server.base)) problems.push(`request outside the server: ${req.url()}`);
  });
  try {
    await page.setViewport({ width: 1400, height: 900 });
    await page.goto(`${server.base}/graphiql`, { waitUntil: "networkidle0" });
    await page.waitForSelector(".graphiql-container", { timeout: 20000 });

    // The Docs pane: root types and every schema type, fetched by GraphiQL's own introspection.
    await page.click('button[aria-label="Show Documentation Explorer"]');
    await page.waitForFunction(
      () => /All Schema Types|Error fetching schema/.test(document.querySelector(".graphiql-doc-explorer")?.innerText || ""),
      { timeout: 20000 },
    );
    const docs = await page.$eval(".graphiql-doc-explorer", (el) => el.innerText);
    assert(!docs.includes("Error fetching schema"), `the Docs pane: ${docs.slice(0, 300)}`);
    for (const name of ["Query", "Mutation", "Subscription", "Finding", "ParticipantView", "DateTime", "Mission"]) {
      assert(new RegExp(`\\b${name}\\b`).test(docs), `the Docs pane lists ${name}`);
    }

    // A query.
    await setQuery(page, "query Missions { missions { code } }");
    await page.click(".graphiql-execute-button");
    const text = await waitForResult(page, (t) => t.includes('"missions"'), "the query");
    const body = JSON.parse(text);
    assert(!body.errors && body.data.missions.length === 5, `query result: ${text.slice(0, 300)}`);

    // A subscription: events arrive in the result pane while it runs.
    await setQuery(page, "subscription Themes { changes(entities: [THEME]) { entity slug } }");
    await page.click(".graphiql-execute-button");
    const written = [];
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        // Known before the write, since its event may arrive before the write's response.
        const slug = newSlug();
        written.push(slug);
        await makeChange(server, slug);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      const text = await patience(
        waitForResult(page, (t) => written.some((slug) => t.includes(slug)), "the subscription", 30000),
        35000,
        "the subscription",
      );
      assert(text.includes('"Theme"'), `subscription result: ${text.slice(0, 300)}`);
    } finally {
      stop = true;
      await writer;
    }
    assert(problems.length === 0, problems.join("; "));
  } catch (err) {
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, `graphiql-${label}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    throw new Error(`${err.message} (screenshot: ${shot}${problems.length ? "; " + problems.join("; ") : ""})`);
  } finally {
    await browser.close();
  }
}
