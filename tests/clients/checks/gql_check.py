"""Python `gql` against the real server, with its default settings: the schema fetched through the
transport (graphql-core's own introspection document), a query, the sync loop over `changes`, and
a subscription over the websockets transport.

Usage: gql_check.py HTTP_URL WS_URL TOKEN
"""

import asyncio
import sys
import threading
import time

import requests
from gql import Client, GraphQLRequest, gql
from gql.transport.requests import RequestsHTTPTransport
from gql.transport.websockets import WebsocketsTransport

CHANGES = """
query Changes($after: String) {
  changes(after: $after, first: 100) {
    edges { node { sequence kind entity objectId } }
    pageInfo { endCursor hasNextPage }
  }
}
"""


def new_slug():
    return f"gql-theme-{time.time_ns()}"


def make_change(url, token, slug=None):
    slug = slug or new_slug()
    res = requests.post(
        url,
        json={
            "query": 'mutation($slug: String!) { createTheme(input: {slug: $slug, label: "gql", definition: "By gql."}) { id } }',
            "variables": {"slug": slug},
        },
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = res.json()
    assert "errors" not in body, body
    return slug


def sync_loop(session, after):
    """Reads every page from `after`; returns (events, the cursor to store)."""
    events = []
    while True:
        page = session.execute(GraphQLRequest(CHANGES, variable_values={"after": after}))["changes"]
        events += [edge["node"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return events, after


def main(url, ws_url, token):
    transport = RequestsHTTPTransport(url=url, headers={"authorization": f"Bearer {token}"})
    client = Client(transport=transport, fetch_schema_from_transport=True)
    with client as session:
        schema = client.schema
        assert schema is not None, "the schema was fetched"
        for name in ("Query", "Mutation", "Subscription", "Finding", "ParticipantView", "DateTime"):
            assert schema.get_type(name) is not None, f"{name} in the fetched schema"
        assert schema.query_type.name == "Query", schema.query_type.name
        missions = session.execute(gql("{ missions { code } }"))["missions"]
        assert len(missions) == 5, missions

        # The sync loop: everything from the start, then nothing new, then exactly one new change.
        # (The seed corpus is loaded without change-log entries: write one so the log has some.)
        make_change(url, token)
        events, cursor = sync_loop(session, None)
        assert len(events) > 0, "the log has the change just made"
        sequences = [e["sequence"] for e in events]
        assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
        again, same = sync_loop(session, cursor)
        assert again == [] and same == cursor, (again, same, cursor)
        make_change(url, token)
        new, _ = sync_loop(session, cursor)
        assert [(e["kind"], e["entity"]) for e in new] == [("CREATE", "Theme")], new

    asyncio.run(subscription(url, ws_url, token))
    print("gql: schema fetch, query, sync loop and subscription OK")


async def subscription(url, ws_url, token):
    # gql's defaults: it offers the legacy Apollo subprotocol (graphql-ws) first, which the
    # server takes.
    transport = WebsocketsTransport(url=ws_url, init_payload={"authorization": f"Bearer {token}"})
    async with Client(transport=transport, fetch_schema_from_transport=True) as session:
        assert transport.subprotocol == WebsocketsTransport.APOLLO_SUBPROTOCOL, transport.subprotocol
        stop = threading.Event()
        written = []

        def writer():
            # Writes until the subscription has seen one (it may start listening after the first).
            while not stop.is_set():
                # Known before the write, since its event may arrive before the write's response.
                slug = new_slug()
                written.append(slug)
                make_change(url, token, slug)
                stop.wait(0.3)

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        try:
            async with asyncio.timeout(30):
                async for result in session.subscribe(gql("subscription { changes(entities: [THEME]) { entity slug kind } }")):
                    event = result["changes"]
                    assert event["entity"] == "Theme" and event["kind"] == "CREATE", event
                    assert event["slug"] in written, (event, written)
                    break
        finally:
            stop.set()
            thread.join()


if __name__ == "__main__":
    main(*sys.argv[1:4])
