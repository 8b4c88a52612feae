// PostGraphile v5 over the database pv-bench leaves behind (PUBLIC_VOICE_BENCH_KEEP=1), for the
// comparison in BENCHMARKS.md: the amber preset (its defaults), connection-filter with relation
// filters on, every column filterable (as in v4), no GraphiQL, no query explain. DATABASE_URL names the database; PORT the port.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

const connectionString =
  process.env.DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/public_voice_bench_100000";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  // v5 hides filters on columns without an index (`stance`, `review_status`); v4, used in the
  // first comparison, offered them all. The dashboard filters on both, so offer them all.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      // One connection per load-generator client, as the service under test gets.
      poolConfig: { max: 16 },
    }),
  ],
  schema: {
    connectionFilterRelations: true,
  },
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.PORT ?? 5678),
    graphiql: false,
  },
  grafast: {
    explain: false,
  },
};

export default preset;
