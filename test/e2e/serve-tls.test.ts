import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openContext } from "../../src/core/context.js";
import { CLI_ENTRY } from "../../src/version.js";
import { runCli, runCliAsync } from "../helpers/cli.js";
import { INITIALIZE } from "../helpers/mcp.js";
import { gitIn, gitRepo, tempDir, testEnv } from "../helpers/repo.js";
import { epicFiles, makeWorker } from "../helpers/workers.js";

// `jig serve` over HTTPS with a throwaway self-signed certificate made here by openssl: a real MCP
// client (its own process, trusting the certificate through NODE_EXTRA_CA_CERTS as a user would)
// works; one that does not trust it is refused; plain HTTP beyond loopback needs the explicit opt-out.

const CLIENT = resolve("test/fixtures/mcp-https-client.mjs");

function makeCertificate(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "pipe" },
  );
  return { cert, key };
}

interface Served {
  url: string;
  port: number;
  token: string;
  output: () => string;
  stop: () => Promise<void>;
}

async function serve(root: string, args: string[]): Promise<Served> {
  const child: ChildProcess = spawn(process.execPath, [CLI_ENTRY, "serve", "--port", "0", ...args], {
    cwd: root,
    env: { ...process.env, ...testEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (chunk) => {
    out += chunk;
  });
  child.stderr!.on("data", (chunk) => {
    out += chunk;
  });
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`jig serve printed no URL within 20 s: ${out}`)), 20_000);
    const look = () => {
      const match = /MCP at (https?:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        done(match[1]!);
      }
    };
    child.stdout!.on("data", look);
    child.on("exit", (code) => fail(new Error(`jig serve exited ${code}: ${out}`)));
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  return {
    url,
    port: Number(new URL(url).port),
    token: /token (\S+)/.exec(out)![1]!,
    output: () => out,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A raw MCP POST over HTTPS trusting `ca` (node:https takes the CA directly; fetch cannot). */
function postHttps(
  url: string,
  options: { ca: Buffer; token: string; session?: string; body: unknown },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((done, fail) => {
    const req = request(
      url,
      {
        method: "POST",
        ca: options.ca,
        headers: {
          Authorization: `Bearer ${options.token}`,
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-06-18",
          ...(options.session ? { "mcp-session-id": options.session } : {}),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => done({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", fail);
    req.end(JSON.stringify(options.body));
  });
}

function runClient(url: string, token: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [CLIENT, url], {
      env: { ...process.env, ...testEnv, JIG_TOKEN: token, NODE_EXTRA_CA_CERTS: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, stdout, stderr });
    });
  });
}

describe("jig serve with TLS", () => {
  let dir: string;
  let pair: { cert: string; key: string };
  let root: string;
  beforeAll(() => {
    dir = tempDir("jig-tls-");
    pair = makeCertificate(dir, "server");
    root = gitRepo({
      "README.md": "x\n",
      ...epicFiles("e", 2),
      "jig.json": `${JSON.stringify({ http: { maxSessionsPerIdentity: 2 } })}\n`,
    });
  });

  it("refuses plain HTTP on a non-loopback address, naming the address and both ways out", () => {
    for (const host of ["0.0.0.0", "127.0.0.1.nip.io"]) {
      const out = runCli(root, ["serve", "--host", host, "--port", "0"], { timeoutMs: 20_000 });
      expect(out.code, out.stderr).toBe(1);
      expect(out.stdout).not.toContain("MCP at");
      expect(out.stderr).toContain(`non-loopback address ${host}`);
      expect(out.stderr).toContain("--tls-cert <cert.pem> --tls-key <key.pem>");
      expect(out.stderr).toContain("http.tls in jig.json");
      expect(out.stderr).toContain("--insecure-http");
    }
  });

  it("a half pair, an unreadable file or a key that is not the certificate's is a clear error before anything listens", () => {
    const half = runCli(root, ["serve", "--tls-cert", pair.cert, "--port", "0"], { timeoutMs: 20_000 });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain(`--tls-cert ${pair.cert} given without --tls-key`);

    const missing = join(dir, "missing.crt");
    const absent = runCli(root, ["serve", "--tls-cert", missing, "--tls-key", pair.key, "--port", "0"], {
      timeoutMs: 20_000,
    });
    expect(absent.code).toBe(1);
    expect(absent.stderr).toContain(`cannot read the TLS certificate ${missing}: ENOENT`);

    const other = makeCertificate(dir, "other");
    const mismatch = runCli(root, ["serve", "--tls-cert", pair.cert, "--tls-key", other.key, "--port", "0"], {
      timeoutMs: 20_000,
    });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain(
      `the TLS certificate ${pair.cert} and key ${other.key} are not a usable pair`,
    );
    expect(mismatch.stdout).not.toContain("MCP at");
  });

  it("serves HTTPS beyond loopback: a real MCP client that trusts the certificate works, one that does not is refused", async () => {
    const server = await serve(root, ["--host", "0.0.0.0", "--tls-cert", pair.cert, "--tls-key", pair.key]);
    try {
      expect(server.url).toMatch(/^https:\/\/0\.0\.0\.0:\d+\/mcp$/);
      const url = `https://127.0.0.1:${server.port}/mcp`;
      const trusted = await runClient(url, server.token, { NODE_EXTRA_CA_CERTS: pair.cert });
      expect(trusted.code, trusted.stderr).toBe(0);
      const seen = JSON.parse(trusted.stdout) as { tools: string[]; listTasks: string };
      expect(seen.tools).toContain("claim_task");
      expect(seen.listTasks).toContain("2 task(s)");

      const untrusted = await runClient(url, server.token);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/self[- ]signed|unable to verify|certificate/i);

      // The port speaks only TLS: a plain-HTTP request gets no MCP answer.
      const plain = await fetch(`http://127.0.0.1:${server.port}/mcp`, {
        method: "POST",
        headers: { Authorization: `Bearer ${server.token}` },
        body: JSON.stringify(INITIALIZE),
      }).then(
        (res) => res.status,
        () => "refused",
      );
      expect(plain === "refused" || plain === 400).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it("per-identity session caps hold over TLS, sessions stay bound to their identity, and no worker token is printed", async () => {
    gitIn(root, "branch", "feature/e");
    const ctx = await openContext({ root });
    const worker = await makeWorker(ctx, "e-01-t1");
    const server = await serve(root, ["--tls-cert", pair.cert, "--tls-key", pair.key]);
    try {
      const ca = readFileSync(pair.cert);
      const url = `https://127.0.0.1:${server.port}/mcp`;
      const opened: string[] = [];
      for (let i = 0; i < 2; i++) {
        const ok = await postHttps(url, { ca, token: server.token, body: INITIALIZE });
        expect(ok.status, ok.text).toBe(200);
        opened.push(String(ok.headers["mcp-session-id"]));
      }
      const third = await postHttps(url, { ca, token: server.token, body: INITIALIZE });
      expect(third.status).toBe(429);
      expect(third.headers["retry-after"]).toBeDefined();
      expect(third.text).toContain("already holds 2 sessions (at most 2)");

      // The worker's cap is its own, and the admin's session is not the worker's to use.
      const mine = await postHttps(url, { ca, token: worker.token, body: INITIALIZE });
      expect(mine.status, mine.text).toBe(200);
      const borrowed = await postHttps(url, {
        ca,
        token: worker.token,
        session: opened[0]!,
        body: { jsonrpc: "2.0", id: 2, method: "tools/list" },
      });
      expect(borrowed.status).toBe(403);
      expect(borrowed.text).toContain("this session belongs to another identity");
      expect(server.output()).not.toContain(worker.token);
      expect(server.output()).not.toContain(worker.token.split(".").pop()!);
    } finally {
      await server.stop();
    }
  });

  it("jig.json http.tls (paths relative to the repository) serves HTTPS without flags", async () => {
    const repo = gitRepo({ "README.md": "x\n", ...epicFiles("e", 1) });
    mkdirSync(join(repo, "tls"));
    copyFileSync(pair.cert, join(repo, "tls", "server.crt"));
    copyFileSync(pair.key, join(repo, "tls", "server.key"));
    writeFileSync(
      join(repo, "jig.json"),
      `${JSON.stringify({ http: { tls: { cert: "tls/server.crt", key: "tls/server.key" } } })}\n`,
    );
    const server = await serve(repo, []);
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const client = await runClient(server.url, server.token, { NODE_EXTRA_CA_CERTS: pair.cert });
      expect(client.code, client.stderr).toBe(0);
      expect(JSON.parse(client.stdout).listTasks).toContain("1 task(s)");
    } finally {
      await server.stop();
    }
    // A typo in jig.json names the field.
    writeFileSync(
      join(repo, "jig.json"),
      `${JSON.stringify({ http: { tls: { cert: "tls/server.crt" } } })}\n`,
    );
    const bad = await runCliAsync(repo, ["serve", "--port", "0"], { timeoutMs: 20_000 });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("field 'http.tls.key'");
  });
});
