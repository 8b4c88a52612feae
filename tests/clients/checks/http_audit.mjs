// The GraphQL-over-HTTP specification's own audits (the graphql-http package's `serverAudits`:
// every MUST, SHOULD and MAY) against the real server; every one must pass.
import { serverAudits } from "graphql-http";

export async function httpAudit(server) {
  const failures = [];
  let total = 0;
  for (const audit of serverAudits({ url: server.url })) {
    total++;
    const result = await audit.fn();
    if (result.status !== "ok") failures.push(`${result.status}: ${audit.name}: ${result.reason}`);
  }
  if (failures.length > 0 || total === 0) {
    throw new Error(`${total - failures.length}/${total} GraphQL-over-HTTP audits pass:\n${failures.join("\n")}`);
  }
  console.log(`     ${total}/${total} GraphQL-over-HTTP audits pass`);
}
