// graphql-codegen pointed at the URL: introspects with its own document and generates TypeScript.
import { generate } from "@graphql-codegen/cli";
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assert } from "../lib.mjs";

export async function codegen(server) {
  const out = join(mkdtempSync(join(tmpdir(), "pv-codegen-")), "schema.ts");
  await generate(
    { schema: server.url, generates: { [out]: { plugins: ["typescript"] } }, silent: true },
    true,
  );
  const ts = readFileSync(out, "utf8");
  for (const expected of [
    "export type Query = {",
    "export type Mutation = {",
    "export type Subscription = {",
    "export type Finding = Node & {",
    "export type ParticipantView = Node & {",
    "export type FindingConnection = {",
    "export enum Mission {",
    "DateTime: { input: ",
  ]) {
    assert(ts.includes(expected), `generated types contain ${JSON.stringify(expected)}`);
  }
}
