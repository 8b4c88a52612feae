// Runs the real-client checks against the real server binary, each backend on a fresh database:
// GraphiQL and the evidence explorer in headless Chromium, urql + graphql-ws, Apollo Client, Python gql, graphql-codegen,
// graphql-http's GraphQL-over-HTTP audits and every GraphQL block of README.md. SQLite always; PostgreSQL too for the checks that read and
// write data, when PUBLIC_VOICE_TEST_POSTGRES_URL is set (required under CI=true).
//
//   PUBLIC_VOICE_BIN=target/debug/public-voice PYTHON=.venv/bin/python node run.mjs [filter]
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BIN, freshDatabase, startServer } from "./lib.mjs";
import { graphiql, CHROMIUM } from "./checks/graphiql.mjs";
import { explorer } from "./checks/explorer.mjs";
import { urql } from "./checks/urql.mjs";
import { apollo } from "./checks/apollo.mjs";
import { codegen } from "./checks/codegen.mjs";
import { readme } from "./checks/readme.mjs";
import { gate } from "./checks/gate.mjs";
import { httpAudit } from "./checks/http_audit.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const CI = ["true", "1"].includes(process.env.CI ?? "");
const PYTHON = process.env.PYTHON || "python3";

function gql(server) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(HERE, "checks", "gql_check.py"), server.url, server.ws, server.token], {
      stdio: ["ignore", "inherit", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`gql exited ${code}:\n${stderr.slice(-3000)}`))));
  });
}

// Which checks run on which backend: the UI and the code generator only read the schema.
const CHECKS = [
  ["readme", readme, ["sqlite", "postgres"]],
  ["graphiql", graphiql, ["sqlite"]],
  ["explorer", explorer, ["sqlite", "postgres"]],
  ["urql", urql, ["sqlite", "postgres"]],
  ["apollo", apollo, ["sqlite", "postgres"]],
  ["gql", gql, ["sqlite", "postgres"]],
  ["codegen", codegen, ["sqlite"]],
  ["schema-gate", gate, ["sqlite"]],
  ["graphql-http audit", httpAudit, ["sqlite"]],
];

function requireTool(ok, message) {
  if (ok) return true;
  if (CI) throw new Error(message);
  console.log(`skipping: ${message}`);
  return false;
}

async function main() {
  // graphql-codegen resolves its plugins from the working directory.
  process.chdir(HERE);
  const filter = process.argv[2] ?? "";
  if (!BIN || !existsSync(BIN)) throw new Error(`PUBLIC_VOICE_BIN must name the server binary (got ${BIN})`);
  const backends = ["sqlite"];
  if (requireTool(process.env.PUBLIC_VOICE_TEST_POSTGRES_URL, "PUBLIC_VOICE_TEST_POSTGRES_URL is not set: PostgreSQL client checks"))
    backends.push("postgres");
  const skip = new Set();
  if (!requireTool(existsSync(CHROMIUM), `${CHROMIUM} is missing: the GraphiQL and explorer checks`)) {
    skip.add("graphiql");
    skip.add("explorer");
  }
  let python = false;
  try {
    execFileSync(PYTHON, ["-c", "import gql"], { stdio: "ignore" });
    python = true;
  } catch {}
  if (!requireTool(python, `${PYTHON} cannot import gql: the Python check`)) skip.add("gql");

  let passed = 0;
  let failed = 0;
  for (const backend of backends) {
    const selected = CHECKS.filter(([name, , on]) => on.includes(backend) && name.includes(filter) && !skip.has(name));
    if (selected.length === 0) continue;
    const db = freshDatabase(backend);
    const server = await startServer(db.url);
    try {
      for (const [name, check] of selected) {
        const label = `${name} (${backend})`;
        try {
          await check(server, backend);
          passed++;
          console.log(`ok   ${label}`);
        } catch (err) {
          failed++;
          console.log(`FAIL ${label}: ${err.stack || err}`);
        }
      }
    } finally {
      await server.stop();
      db.drop();
    }
  }
  console.log(`clients: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
