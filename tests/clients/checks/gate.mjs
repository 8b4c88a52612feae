// The breaking-change gate's own check: graphql-inspector must call a removed field breaking and an
// added one safe, on the committed schema itself.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { breakingChanges } from "../schema-gate.mjs";
import { assertEqual } from "../lib.mjs";

const SDL = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "schema.graphql");

export async function gate() {
  const committed = readFileSync(SDL, "utf8");
  const extra = `${committed}\nextend type Finding { ciOnlyField: Int }\n`;
  assertEqual(await breakingChanges(committed, extra), [], "an added field is not breaking");
  assertEqual(
    await breakingChanges(extra, committed),
    ["Finding.ciOnlyField: Field 'ciOnlyField' was removed from object type 'Finding'"],
    "a removed field is breaking",
  );
}
