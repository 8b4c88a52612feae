// Public Voice's GraphiQL page. Kept in a file (not inline) so the page's Content-Security-Policy
// can refuse every inline script. The endpoint comes from the page's data attribute; subscriptions
// use the same URL over WebSocket (graphql-transport-ws), carrying the headers editor's headers
// (e.g. {"Authorization": "Bearer <token>"}) in connection_init.
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  var url = new URL(root.getAttribute('data-endpoint'), window.location.href);
  var subscriptionUrl = new URL(url.href);
  subscriptionUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({ url: url.href, subscriptionUrl: subscriptionUrl.href });
  var defaultQuery = [
    '# Public Voice: evidence on what the public thinks about AI in public services.',
    '# Open the Docs panel to read the schema. To write, put your token in the Headers tab:',
    '#   {"Authorization": "Bearer <token>"}',
    '# Try:',
    'query FirstExercises {',
    '  exercises(first: 5) {',
    '    nodes { title kind startDate places findings { nodes { title kind } } }',
    '  }',
    '}',
    '',
  ].join('\n');
  root.textContent = '';
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
      // The introspection GraphiQL sends (tests/fixtures/introspection/graphiql-*.graphql).
      inputValueDeprecation: true,
      schemaDescription: true,
    }),
  );
})();
