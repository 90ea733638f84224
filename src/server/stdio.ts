import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { isInitialised, openContext } from "../core/context.js";
import { ADMIN, authenticate } from "../core/identity.js";
import { settleDrivers } from "../core/landing/index.js";
import { JigError } from "../errors.js";
import { createServer } from "./create-server.js";

// `jig serve --stdio`: one client on stdin/stdout (what a spawned agent launches). Nothing but
// JSON-RPC is ever written to stdout; the process ends when stdin closes.
export async function serveStdio(cwd = process.cwd()): Promise<void> {
  const ctx = await openContext({ root: process.env.JIG_ROOT || undefined, cwd });
  // A client may launch this anywhere (a global MCP entry): outside a jig repo, say so and write nothing.
  if (!(await isInitialised(ctx)))
    throw new JigError("PRECONDITION_FAILED", `${ctx.paths.root} is not set up for jig`, {
      hint: "run `jig init` there first (or start the server from a repo that has it)",
    });
  const token = process.env.JIG_TOKEN;
  // Unset means the human's own client (admin); set but empty or wrong is refused, never admin.
  const caller = token === undefined ? ADMIN : await authenticate(ctx.paths, token);
  const { server, close } = createServer({ ctx, caller });
  const transport = new StdioServerTransport();
  const ended = new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    transport.onclose = () => resolve();
  });
  await server.connect(transport);
  await ended;
  // A landing this process was driving finishes before exit, so its lock is released cleanly.
  await settleDrivers();
  await close();
}
