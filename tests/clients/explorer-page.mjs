// The evidence explorer outside the checks: the README's screenshot, and the page's load time.
//
//   PUBLIC_VOICE_BIN=$CARGO_TARGET_DIR/debug/public-voice node explorer-page.mjs screenshot ../../docs/explorer.png
//     starts the server on a fresh SQLite database with the seed corpus, opens /explore and a cell,
//     and saves a screenshot;
//   node explorer-page.mjs load http://127.0.0.1:8000 [runs]
//     loads /explore from a running server `runs` times (default 3; cache off, a new tab each time)
//     and prints, per run and the median, the time from navigation start to the map drawn.
import { dirname, resolve } from "node:path";
import { mkdirSync } from "node:fs";
import { freshDatabase, startServer } from "./lib.mjs";
import { launchBrowser, newPage } from "./checks/explorer.mjs";

async function screenshot(out) {
  const db = freshDatabase("sqlite");
  const server = await startServer(db.url);
  const browser = await launchBrowser();
  try {
    const page = await newPage(browser);
    await page.setViewport({ width: 1280, height: 1500 });
    await page.goto(`${server.base}/explore`, { waitUntil: "networkidle0" });
    await page.waitForFunction(() => document.body.dataset.state === "ready", { timeout: 30000 });
    // The fullest cell, opened, as an analyst would.
    const cell = await page.$$eval(".heat .cell", (cells) => {
      const best = cells.reduce((a, b) => (Number(b.dataset.count) || 0) > (Number(a.dataset.count) || 0) ? b : a);
      return `.cell[data-row="${best.dataset.row}"][data-column="${best.dataset.column}"]`;
    });
    await page.click(cell);
    await page.waitForFunction(() => document.getElementById("detail").dataset.state === "ready", { timeout: 30000 });
    await page.evaluate(() => window.scrollTo(0, 0));
    mkdirSync(dirname(resolve(out)), { recursive: true });
    await page.screenshot({ path: out, fullPage: false });
    console.log(`saved ${out}`);
  } finally {
    await browser.close();
    await server.stop();
    db.drop();
  }
}

async function load(base, runs) {
  const times = [];
  const browser = await launchBrowser();
  try {
    for (let i = 0; i < runs; i++) {
      const page = await newPage(browser);
      await page.setCacheEnabled(false);
      await page.setViewport({ width: 1400, height: 1000 });
      await page.goto(`${base}/explore`);
      await page.waitForFunction(() => document.body.dataset.state === "ready" || document.body.dataset.state === "error", {
        timeout: 600000,
      });
      const { state, ms, cells } = await page.evaluate(() => ({
        state: document.body.dataset.state,
        ms: Number(document.body.dataset.firstRenderMs),
        cells: document.querySelectorAll(".heat .cell").length,
      }));
      if (state !== "ready") throw new Error(await page.$eval("#error", (e) => e.textContent));
      console.log(`run ${i + 1}: map drawn ${ms} ms after navigation start (${cells} cells)`);
      times.push(ms);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  times.sort((a, b) => a - b);
  console.log(`median: ${times[Math.floor(times.length / 2)]} ms`);
}

const [mode, arg, runs] = process.argv.slice(2);
const job = mode === "screenshot" ? screenshot(arg ?? "docs/explorer.png") : mode === "load" ? load(arg, Number(runs ?? 3)) : null;
if (!job) {
  console.error("usage: explorer-page.mjs screenshot OUT.png | load BASE_URL [runs]");
  process.exit(2);
}
job.catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
