// Runs the graphql-http package's server audits (the GraphQL-over-HTTP specification's MUST,
// SHOULD and MAY checks) against a running Public Voice and prints each result. Exits 1 when any
// audit fails. Needs `npm install graphql graphql-http` (NODE_PATH pointing at its node_modules):
//   NODE_PATH=/tmp/scratch/node_modules node graphql-http-audit.mjs http://127.0.0.1:8000/graphql
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.NODE_PATH ?? '.', 'x.js'));
const { serverAudits } = require('graphql-http');
const url = process.argv[2] ?? 'http://127.0.0.1:8000/graphql';

let failed = 0;
let passed = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    passed += 1;
  } else {
    failed += 1;
  }
  console.log(`${result.status === 'ok' ? 'ok  ' : result.status.padEnd(4)} ${audit.name}${
    result.status === 'ok' ? '' : `\n     ${result.reason}`}`);
}
console.log(`${passed}/${passed + failed} audits pass`);
process.exit(failed === 0 ? 0 : 1);
