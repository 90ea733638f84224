import { isIPv4, isIPv6 } from "node:net";
import { setFlagsFromString } from "node:v8";
import { openContext } from "../core/context.js";
import { adminToken } from "../core/identity.js";
import { JigError } from "../errors.js";
import { createHttpApp, listenHttp } from "../server/http.js";
import { serveStdio } from "../server/stdio.js";
import { chooseTlsFiles, loadTls } from "../server/tls.js";
import { NODE_FLAGS } from "../version.js";
import type { CommandIO, CommandOutput } from "./output.js";

export interface ServeArgs {
  stdio?: boolean;
  port: number;
  host: string;
  /** Plain HTTP on a non-loopback address: the explicit opt-out from TLS. */
  insecureHttp?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  allowedHost?: string[];
  idleTimeout?: number;
}

/** A loopback address by parsing, never by prefix: `127.0.0.1.nip.io` is a DNS name, not loopback. */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === "localhost") return true;
  if (isIPv4(bare)) return bare.split(".")[0] === "127";
  if (isIPv6(bare)) return /^(?:0{0,4}:){2,7}0{0,3}1$|^::1$/.test(bare.toLowerCase());
  return false;
}

/**
 * A server runs for hours with bursts of requests: V8's size-over-speed heuristics keep its heap small
 * (a 50-session server at ~1,000 calls/s peaked at 212 MiB without, 124 MiB with this set at start and
 * 98 MiB with the flag on the command line — jig's own children get it there, NODE_FLAGS — at the same
 * throughput; docs/performance.md, "Sessions"). The heuristics are read at each collection, so setting it
 * now works for a `jig serve` started by hand, where NODE_OPTIONS may not carry it.
 */
function preferMemory(): void {
  if (!NODE_FLAGS.every((flag) => process.execArgv.includes(flag))) setFlagsFromString(NODE_FLAGS.join(" "));
}

export async function run(args: ServeArgs, io: CommandIO): Promise<CommandOutput | undefined> {
  preferMemory();
  if (args.stdio) {
    await serveStdio(io.cwd);
    return undefined;
  }
  const ctx = await openContext({ cwd: io.cwd });
  const tlsFiles = chooseTlsFiles({
    cert: args.tlsCert,
    key: args.tlsKey,
    config: ctx.config.http.tls,
    root: ctx.paths.root,
    cwd: io.cwd,
  });
  // Bearer tokens in clear on a network are anyone's on the path: beyond loopback, TLS or an explicit opt-out.
  if (!isLoopback(args.host) && !tlsFiles && !args.insecureHttp) {
    throw new JigError(
      "INVALID_INPUT",
      `refusing to serve plain HTTP on the non-loopback address ${args.host}: bearer tokens would cross the network in clear`,
      {
        hint: "serve HTTPS with --tls-cert <cert.pem> --tls-key <key.pem> (or http.tls in jig.json), or, on a network you trust or behind a TLS-terminating proxy, pass --insecure-http",
      },
    );
  }
  const tls = tlsFiles ? await loadTls(tlsFiles) : undefined;
  const token = await adminToken(ctx.paths);
  const allowedHosts = [...(args.allowedHost ?? []), ...(isLoopback(args.host) ? [] : [args.host])];
  const { app, close } = createHttpApp({
    ctx,
    allowedHosts,
    ...(args.idleTimeout ? { idleMs: args.idleTimeout * 1000 } : {}),
  });
  const listening = await listenHttp(app, {
    host: args.host,
    port: args.port,
    ...(tls ? { tls } : {}),
  }).catch(async (error) => {
    await close();
    throw listenError(error, args);
  });
  const shown = args.host.includes(":") ? `[${args.host}]` : args.host;
  const url = `${tls ? "https" : "http"}://${shown}:${listening.port}`;
  io.write(
    `jig serve: MCP at ${url}/mcp\njig serve: token ${token}\njig serve: dashboard at ${url}/#token=${token}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await close();
  await listening.close();
  return undefined;
}

/** A port that is taken or not ours to bind is the user's to fix, not a crash of jig. */
function listenError(error: unknown, args: ServeArgs): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    return new JigError("PRECONDITION_FAILED", `port ${args.port} on ${args.host} is already in use`, {
      hint: "stop whatever listens there (perhaps another `jig serve`), or pick a free port: --port <n> (0 picks one)",
      cause: error,
    });
  if (code === "EACCES")
    return new JigError("FORBIDDEN", `not allowed to listen on port ${args.port} on ${args.host}`, {
      hint: "ports below 1024 need privileges: pick --port 1024 or above (0 picks a free one)",
      cause: error,
    });
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
    return new JigError("INVALID_INPUT", `cannot listen on ${args.host}: no such address on this machine`, {
      hint: "pass --host with an address of this machine (the default 127.0.0.1 always works)",
      cause: error,
    });
  return error;
}
