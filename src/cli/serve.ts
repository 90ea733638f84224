import { openContext } from "../core/context.js";
import { adminToken } from "../core/identity.js";
import { JigError } from "../errors.js";
import { createHttpApp, listenHttp } from "../server/http.js";
import { serveStdio } from "../server/stdio.js";
import type { CommandIO, CommandOutput } from "./output.js";

export interface ServeArgs {
  stdio?: boolean;
  port: number;
  host: string;
  allowRemote?: boolean;
  allowedHost?: string[];
  idleTimeout?: number;
}

const isLoopback = (host: string) =>
  ["127.0.0.1", "localhost", "::1", "[::1]"].includes(host) || host.startsWith("127.");

export async function run(args: ServeArgs, io: CommandIO): Promise<CommandOutput | undefined> {
  if (args.stdio) {
    await serveStdio();
    return undefined;
  }
  if (!isLoopback(args.host) && !args.allowRemote) {
    throw new JigError("INVALID_INPUT", `refusing to bind to non-loopback address ${args.host}`, {
      hint: "pass --allow-remote to expose jig beyond this machine (the bearer token is always required)",
    });
  }
  const ctx = await openContext({ cwd: io.cwd });
  const token = await adminToken(ctx.paths);
  const allowedHosts = [...(args.allowedHost ?? []), ...(isLoopback(args.host) ? [] : [args.host])];
  const { app, close } = createHttpApp({
    ctx,
    allowedHosts,
    ...(args.idleTimeout ? { idleMs: args.idleTimeout * 1000 } : {}),
  });
  const listening = await listenHttp(app, { host: args.host, port: args.port });
  const shown = args.host.includes(":") ? `[${args.host}]` : args.host;
  const url = `http://${shown}:${listening.port}`;
  io.write(
    `jig serve: MCP at ${url}/mcp\njig serve: token ${token}\njig serve: dashboard at ${url}/?token=${token}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await close();
  await listening.close();
  return undefined;
}
