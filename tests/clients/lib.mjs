// Shared by the client checks: start the real server binary over a fresh database, make a token,
// and a write that makes a change event.
import { spawn, execFileSync } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BIN = process.env.PUBLIC_VOICE_BIN;

/** A fresh database URL for `backend` ("sqlite" or "postgres"), and how to remove it. */
export function freshDatabase(backend) {
  if (backend === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "pv-clients-"));
    return { url: `sqlite://${join(dir, "pv.db")}?mode=rwc`, drop() {} };
  }
  const admin = process.env.PUBLIC_VOICE_TEST_POSTGRES_URL;
  const name = `pv_clients_${process.pid}_${Date.now()}`;
  execFileSync("psql", [admin, "-qc", `CREATE DATABASE "${name}"`]);
  const url = admin.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  return {
    url,
    drop() {
      execFileSync("psql", [admin, "-qc", `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]);
    },
  };
}

/** Starts `public-voice` on a free port over `databaseUrl` (with any `extraEnv` settings);
 * resolves with { url, ws, token, stop }. */
export async function startServer(databaseUrl, extraEnv = {}) {
  const env = {
    ...process.env,
    ...extraEnv,
    DATABASE_URL: databaseUrl,
    PUBLIC_VOICE_PORT: "0",
    PUBLIC_VOICE_WORKERS: "2",
    PUBLIC_VOICE_LOG_FORMAT: "json",
    RUST_LOG: "info",
  };
  const token = execFileSync(BIN, ["token", "create", "client-checks", "--role", "admin"], {
    env,
    stdio: ["ignore", "pipe", "ignore"],
  })
    .toString()
    .trim();
  const child = spawn(BIN, ["serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
  const lines = createInterface({ input: child.stderr });
  const address = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
    lines.on("line", (line) => {
      try {
        const event = JSON.parse(line);
        if (event.message?.startsWith("serving GraphQL")) resolve(event.address);
      } catch {
        // not a log line
      }
    });
  });
  return {
    url: `${address}/graphql`,
    base: address,
    ws: `${address.replace("http://", "ws://")}/graphql`,
    token,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** POSTs a GraphQL request; returns the JSON body. */
export async function post(server, query, variables = {}, token = server.token) {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

/** A slug no write has used yet. */
export function newSlug() {
  return `ci-theme-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
}

/** Commits one change (a new theme with this slug), so that subscribers get an event. */
export async function makeChange(server, slug = newSlug()) {
  const body = await post(
    server,
    `mutation($slug: String!) { createTheme(input: { slug: $slug, label: "CI theme", definition: "Made by the client checks." }) { id } }`,
    { slug },
  );
  if (body.errors) throw new Error(`the write failed: ${JSON.stringify(body.errors)}`);
  return slug;
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

export function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** Rejects if `promise` has not settled within `ms` (a safety net, never an assertion on speed). */
export function patience(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms / 1000} s`)), ms);
    }),
  ]);
}
