"""Writes the introspection documents the Python clients send into tests/fixtures/introspection/,
each produced by the library's own code. Run in a virtual environment with `gql` installed (it
brings graphql-core 3.3); set GRAPHQL_CORE_32_PYTHON to a Python interpreter that has graphql-core
3.2 installed to write that version's document too:
    python introspection_fixtures.py
"""

import os
import subprocess

import gql
import graphql
from gql.utilities import get_introspection_query_ast

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "introspection")

# What `Client(fetch_schema_from_transport=True)` sends with its default introspection_args.
with open(os.path.join(OUT, f"gql-{gql.__version__}.graphql"), "w") as f:
    f.write(graphql.print_ast(get_introspection_query_ast()))

# graphql-core's own document with its defaults (what gql 3 sent, and other graphql-core clients).
core32 = os.environ.get("GRAPHQL_CORE_32_PYTHON")
if core32:
    script = (
        "import graphql,sys;"
        "sys.stdout.write(graphql.__version__+'\\n'+graphql.get_introspection_query())"
    )
    version, text = subprocess.run(
        [core32, "-c", script], capture_output=True, text=True, check=True,
    ).stdout.split("\n", 1)
    with open(os.path.join(OUT, f"graphql-core-{version}.graphql"), "w") as f:
        f.write(text)
