// Apollo Client with `relayStylePagination` under `typePolicies.Query`: two pages fetched one
// after the other must merge into one list in the cache, which only happens when the root query
// type is really named `Query`.
import { ApolloClient, InMemoryCache, HttpLink, gql } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";
import { assert, assertEqual, post } from "../lib.mjs";

const FINDINGS = gql`
  query Findings($after: String) {
    findings(first: 3, after: $after) {
      edges { cursor node { id title } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

export async function apollo(server) {
  const client = new ApolloClient({
    link: new HttpLink({ uri: server.url }),
    cache: new InMemoryCache({
      typePolicies: { Query: { fields: { findings: relayStylePagination(["filter", "order"]) } } },
    }),
  });
  const first = await client.query({ query: FINDINGS, variables: {} });
  assertEqual(first.data.findings.edges.length, 3, "first page");
  assert(first.data.findings.pageInfo.hasNextPage, "a second page exists");
  // As `fetchMore` does: ask the network for the next page and let the field policy merge it.
  await client.query({
    query: FINDINGS,
    variables: { after: first.data.findings.pageInfo.endCursor },
    fetchPolicy: "network-only",
  });
  const merged = client.readQuery({ query: FINDINGS, variables: {} });
  const expected = await post(server, "{ findings(first: 6) { nodes { id } } }");
  assertEqual(
    merged.findings.edges.map((e) => e.node.id),
    expected.data.findings.nodes.map((n) => n.id),
    "the two pages merged in the cache, in order",
  );
  client.stop();
}
