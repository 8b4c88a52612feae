// Every ```graphql block of README.md, run as written (with an admin token, so the mutation
// examples may write). Each must succeed, unless the line before the block is a marker:
//   <!-- expect-error: CODE -->      the block is an error example: errors[0].extensions.code is CODE
//   <!-- variables: {"org": "..."} --> the variables the block needs
// A block holding several named operations runs each of them in order, as a reader would in GraphiQL.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "graphql";
import { post } from "../lib.mjs";

const README = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "README.md");

export function readmeBlocks(text = readFileSync(README, "utf8")) {
  const lines = text.split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```graphql") continue;
    let j = i - 1;
    while (j >= 0 && lines[j].trim() === "") j--;
    const marker = j >= 0 ? lines[j].trim() : "";
    const end = lines.findIndex((l, k) => k > i && l.trim() === "```");
    blocks.push({ line: i + 1, source: lines.slice(i + 1, end).join("\n"), marker });
    i = end;
  }
  return blocks;
}

async function runBlock(server, block) {
  const expectError = block.marker.match(/^<!--\s*expect-error:\s*([A-Z_]+)\s*-->$/)?.[1];
  const variablesMarker = block.marker.match(/^<!--\s*variables:\s*(\{.*\})\s*-->$/)?.[1];
  const variables = variablesMarker ? JSON.parse(variablesMarker) : {};
  let names = [null];
  try {
    const operations = parse(block.source).definitions.filter((d) => d.kind === "OperationDefinition");
    if (operations.length > 1 && operations.every((o) => o.name)) names = operations.map((o) => o.name.value);
  } catch {
    // A block that does not parse is sent as it is: the server's error is the answer.
  }
  for (const operationName of names) {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ query: block.source, variables, ...(operationName ? { operationName } : {}) }),
    });
    const body = await res.json();
    const code = body.errors?.[0]?.extensions?.code;
    if (expectError) {
      if (code !== expectError) throw new Error(`README.md:${block.line}: expected ${expectError}, got ${JSON.stringify(body).slice(0, 300)}`);
      return;
    }
    if (body.errors || !body.data) {
      throw new Error(`README.md:${block.line}${operationName ? ` (${operationName})` : ""}: ${JSON.stringify(body).slice(0, 400)}`);
    }
  }
}

export async function readme(server) {
  const blocks = readmeBlocks();
  if (blocks.length === 0) throw new Error("no ```graphql block found in README.md");
  const failures = [];
  for (const block of blocks) {
    await runBlock(server, block).catch((err) => failures.push(err.message));
  }
  if (failures.length) throw new Error(`${failures.length} of ${blocks.length} README blocks failed:\n  ${failures.join("\n  ")}`);
}
