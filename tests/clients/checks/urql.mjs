// urql with graphql-ws: a query over HTTP (fetchExchange) and a subscription over WebSocket
// (subscriptionExchange with a graphql-ws client), as a front-end team would wire them.
import { Client, fetchExchange, subscriptionExchange, gql } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";
import { assert, assertEqual, makeChange, newSlug, patience } from "../lib.mjs";

export async function urql(server) {
  const ws = createWsClient({ url: server.ws, webSocketImpl: WebSocket, lazy: true });
  const client = new Client({
    url: server.url,
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
        },
      }),
    ],
  });
  try {
    const result = await client
      .query(gql`query Missions { missions { code label } }`, {})
      .toPromise();
    assert(!result.error, `query error: ${result.error}`);
    assertEqual(result.data.missions.length, 5, "missions");

    const written = [];
    let stop = false;
    const event = await patience(
      new Promise((resolve, reject) => {
        const { unsubscribe } = client
          .subscription(gql`subscription Themes { changes(entities: [THEME]) { entity slug kind } }`, {})
          .subscribe((r) => {
            if (r.error) reject(r.error);
            else if (r.data) {
              unsubscribe();
              resolve(r.data.changes);
            }
          });
        (async () => {
          // Write until the subscription sees a write (it may start listening after the first).
          while (!stop) {
            // Known before the write, since its event may arrive before the write's response.
        const slug = newSlug();
        written.push(slug);
        await makeChange(server, slug);
            await new Promise((r) => setTimeout(r, 300));
          }
        })().catch(reject);
      }),
      30000,
      "urql subscription",
    ).finally(() => {
      stop = true;
    });
    assertEqual([event.entity, event.kind], ["Theme", "CREATE"], "the event");
    assert(written.includes(event.slug), `event for a write we made: ${event.slug}`);
  } finally {
    await ws.dispose();
  }
}
