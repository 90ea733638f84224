import { type ChildProcess, spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { background, waitFor } from "../helpers/epic.js";
import { gitRepo } from "../helpers/repo.js";
import { freePort, type Sshd, sshdUnavailable, startSshd } from "../helpers/sshd.js";
import { epicFiles } from "../helpers/workers.js";

// The ssh launcher and the SSH-tunnel recipe against a real OpenSSH server on loopback (Debian's sshd,
// a throwaway host key and user key made here). Skipped, saying why, only when sshd is absent or this
// is not root.

const unavailable = sshdUnavailable();
if (unavailable) console.warn(`ssh launcher tests skipped: ${unavailable}`);

const sshOptions = (sshd: Sshd) => [
  "-F",
  "/dev/null",
  "-o",
  "BatchMode=yes",
  "-o",
  "StrictHostKeyChecking=yes",
  "-o",
  `UserKnownHostsFile=${sshd.knownHosts}`,
  "-o",
  "GlobalKnownHostsFile=/dev/null",
  "-o",
  "IdentitiesOnly=yes",
  "-i",
  sshd.userKey,
  "-p",
  String(sshd.port),
  "-l",
  "root",
];

describe.skipIf(unavailable !== null)("ssh against a real sshd on loopback", () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("the SSH-tunnel recipe: jig serve on the coordinator's loopback, reached through ssh -L", async () => {
    const root = gitRepo({ "README.md": "x\n", ...epicFiles("e", 2) });
    const serve = background(root, ["serve", "--port", "0"]);
    let tunnel: ChildProcess | undefined;
    try {
      await waitFor(() => serve.output().includes("MCP at"), "jig serve to listen", { dump: serve.output });
      const servePort = /MCP at http:\/\/127\.0\.0\.1:(\d+)\//.exec(serve.output())![1]!;
      const token = /token (\S+)/.exec(serve.output())![1]!;
      // The recipe: ssh -N -L <local port>:127.0.0.1:<jig's port> <coordinator>; -v only to see it listen.
      const localPort = String(await freePort());
      tunnel = spawn(
        "ssh",
        [
          "-v",
          "-N",
          "-o",
          "ExitOnForwardFailure=yes",
          "-L",
          `127.0.0.1:${localPort}:127.0.0.1:${servePort}`,
          ...sshOptions(sshd),
          "127.0.0.1",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let said = "";
      tunnel.stderr!.on("data", (chunk) => {
        said += chunk;
      });
      await waitFor(
        () => said.includes(`Local forwarding listening on 127.0.0.1 port ${localPort}`),
        "the tunnel to listen",
        { dump: () => said, timeoutMs: 30_000 },
      );
      const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${localPort}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      });
      const client = new Client({ name: "through-the-tunnel", version: "0" });
      await client.connect(transport);
      const result = (await client.callTool({ name: "list_tasks", arguments: {} })) as CallToolResult;
      expect((result.content[0] as { text: string }).text).toContain("2 task(s)");
      await client.close();
      expect(said).not.toContain(token);
    } finally {
      tunnel?.kill("SIGTERM");
      serve.child.kill("SIGTERM");
      await serve.exited;
    }
  });
});
