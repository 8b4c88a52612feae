// The breaking-change gate: graphql-inspector's diff of the committed schema.graphql against its
// previous committed version. A breaking change fails unless CHANGELOG.md changed in the same range
// (an entry announcing it).
//
// The previous version is `git show $SCHEMA_BASE:schema.graphql`, SCHEMA_BASE defaulting to HEAD~1:
// on main that is the state before the last commit or merge (a merge's first parent), which any
// fresh clone with history has. A repository with a single commit has nothing to compare.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSchema } from "graphql";
import { diff, CriticalityLevel } from "@graphql-inspector/core";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const git = (...args) => execFileSync("git", ["-C", ROOT, ...args], { stdio: ["ignore", "pipe", "pipe"] }).toString();

/** The breaking changes from `before` to `after` (SDL text), as readable lines. */
export async function breakingChanges(before, after) {
  const changes = await diff(buildSchema(before), buildSchema(after));
  return changes
    .filter((c) => c.criticality.level === CriticalityLevel.Breaking)
    .map((c) => (c.path ? `${c.path}: ${c.message}` : c.message));
}

async function main() {
  const base = process.env.SCHEMA_BASE || "HEAD~1";
  let before;
  try {
    git("rev-parse", "--verify", `${base}^{commit}`);
    before = git("show", `${base}:schema.graphql`);
  } catch {
    console.log(`schema gate: no schema.graphql at ${base}; nothing to compare`);
    return;
  }
  const after = readFileSync(join(ROOT, "schema.graphql"), "utf8");
  const breaking = await breakingChanges(before, after);
  if (breaking.length === 0) {
    console.log(`schema gate: no breaking change since ${base}`);
    return;
  }
  const changelog = git("diff", base, "--", "CHANGELOG.md").trim();
  if (changelog) {
    console.log(`schema gate: ${breaking.length} breaking change(s) since ${base}, announced in CHANGELOG.md:`);
    for (const line of breaking) console.log(`  ${line}`);
    return;
  }
  console.error(`schema gate: ${breaking.length} breaking change(s) to schema.graphql since ${base}, and no CHANGELOG.md entry:`);
  for (const line of breaking) console.error(`  ${line}`);
  process.exit(1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err.stack || String(err));
    process.exit(1);
  });
}
