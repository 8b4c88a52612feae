// Writes the introspection documents real clients send into tests/fixtures/introspection/, each
// produced by the client's own code (never retyped by hand). Run from this directory after
// `npm install graphql@16 get-graphql-schema@2.1.2` in a scratch directory, with NODE_PATH pointing
// at its node_modules:
//   NODE_PATH=/tmp/scratch/node_modules node introspection-fixtures.mjs
// The Python clients' documents come from introspection_fixtures.py.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import vm from 'node:vm';

const require = createRequire(path.join(process.env.NODE_PATH ?? '.', 'x.js'));
const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, '..', 'fixtures', 'introspection');
const write = (name, text) => writeFileSync(path.join(out, name), text);

// graphql-js 16 with every option on.
const graphql = require('graphql');
write(
  `graphql-js-${graphql.version}-all-options.graphql`,
  graphql.getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
    oneOf: true,
  }),
);

// get-graphql-schema posts graphql 14's `introspectionQuery` constant, from its own dependency.
const getSchemaDir = path.dirname(require.resolve('get-graphql-schema/package.json'));
const getSchemaVersion = JSON.parse(readFileSync(path.join(getSchemaDir, 'package.json'))).version;
const graphql14 = createRequire(path.join(getSchemaDir, 'dist', 'index.js'))(
  'graphql/utilities/introspectionQuery',
);
write(`get-graphql-schema-${getSchemaVersion}.graphql`, graphql14.introspectionQuery);

// GraphiQL: the graphql-js copy bundled in the very graphiql.min.js the server embeds, called with
// the options api/src/http/graphiql.rs passes to the GraphiQL component.
const bundle = readFileSync(
  path.join(here, '..', '..', 'api', 'assets', 'graphiql', 'graphiql.min.js'),
  'utf8',
);
const version = /graphiql (\d+\.\d+\.\d+)/.exec(
  readFileSync(path.join(here, '..', '..', 'api', 'assets', 'graphiql', 'LICENSES.txt'), 'utf8'),
)[1];
const anchor = bundle.indexOf('query IntrospectionQuery {');
const start = bundle.lastIndexOf('{const t={descriptions:!0', anchor);
const fnStart = bundle.lastIndexOf('function ', start);
const end = bundle.indexOf('`}', anchor) + 2;
const getIntrospectionQuery = vm.runInNewContext(`(${bundle.slice(fnStart, end)})`);
write(
  `graphiql-${version}.graphql`,
  getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true }),
);
