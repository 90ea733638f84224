import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopback } from "../../src/cli/serve.js";
import { openContext } from "../../src/core/context.js";
import {
  ADMIN,
  adminToken,
  authenticate,
  issueToken,
  plannerName,
  revokeToken,
} from "../../src/core/identity.js";
import { explainBadBranch } from "../../src/core/issue.js";
import { writeWorkerStatus } from "../../src/core/workers.js";
import { createWorktree } from "../../src/core/worktrees.js";
import { renderTemplate } from "../../src/orchestrator/backends/custom.js";
import { createHttpApp } from "../../src/server/http.js";
import { runCli } from "../helpers/cli.js";
import { call, connect } from "../helpers/mcp.js";
import { gitIn, gitRepo, issueFile, writeFiles } from "../helpers/repo.js";
import { epicFiles, makeWorker } from "../helpers/workers.js";
import { stdioClient, tally } from "./harness.js";

// The findings of the outside attack on jig (issue 13), each as an attempt that must be refused with
// nothing written. docs/security.md points here; docs/reliability.md reports the counts.

const counts: Record<string, number> = {};
const attempt = (finding: string, n = 1) => {
  counts[finding] = (counts[finding] ?? 0) + n;
};
afterAll(() => tally("security", counts));

function repoWithEpic(epic = "e", subtasks = 2): string {
  const root = gitRepo(epicFiles(epic, subtasks));
  gitIn(root, "branch", `feature/${epic}`);
  return root;
}

describe("1 reserved names: no worker becomes the admin", () => {
  it("refuses `jig spawn admin` and keeps the admin token working", async () => {
    const root = repoWithEpic();
    const ctx = await openContext({ root });
    const admin = await adminToken(ctx.paths);
    for (const name of ["admin", "Admin", "planner-e", "jig"]) {
      attempt("1 reserved worker names");
      const out = runCli(root, ["spawn", name, "--context", "take over", "--agent", "scripted"]);
      expect(out.code, out.stderr).not.toBe(0);
      expect(out.stderr).toMatch(/reserved/);
      expect(existsSync(join(ctx.paths.worktreesDir, name))).toBe(false);
    }
    await expect(issueToken(ctx.paths, "admin")).rejects.toThrow(/reserved/);
    expect(await authenticate(ctx.paths, admin)).toEqual(ADMIN);
    // A worker's own token, with its role rewritten to admin, is not the admin's.
    const worker = await issueToken(ctx.paths, "w1");
    expect(await authenticate(ctx.paths, worker)).toEqual({ role: "worker", name: "w1" });
    attempt("1 reserved worker names");
    await expect(authenticate(ctx.paths, worker.replace(/^jig_worker/, "jig_admin"))).rejects.toThrow(
      /not valid/,
    );
  });
});

describe("2 identities cannot alias one another", () => {
  it("epics v1 and v1.2: each planner plans only its own epic, every token stays valid", async () => {
    const root = gitRepo({
      ...epicFiles("v1", 1),
      "issues/v1.2.md": issueFile({ target: "feature/v1.2" }, "# Epic v1.2\n"),
    });
    gitIn(root, "branch", "feature/v1");
    gitIn(root, "branch", "feature/v1.2");
    const ctx = await openContext({ root });
    const p12 = await issueToken(ctx.paths, plannerName("v1.2"), { epic: "v1.2" });
    const p1 = await issueToken(ctx.paths, plannerName("v1"), { epic: "v1" });
    const w12 = await issueToken(ctx.paths, "v1.2-01-a");
    expect(await authenticate(ctx.paths, p12)).toEqual({
      role: "planner",
      name: "planner-v1.2",
      epic: "v1.2",
    });
    expect(await authenticate(ctx.paths, p1)).toEqual({ role: "planner", name: "planner-v1", epic: "v1" });
    expect(await authenticate(ctx.paths, w12)).toEqual({ role: "worker", name: "v1.2-01-a" });

    const client = await stdioClient(root, p12);
    try {
      attempt("2 identity aliasing");
      const res = await client.callTool({
        name: "plan_epic",
        arguments: {
          epic: "v1",
          subtasks: [{ title: "Evil", slug: "evil", objective: "x", acceptanceCriteria: ["x"] }],
        },
      });
      expect(res.isError).toBe(true);
      expect(JSON.stringify(res.content)).toMatch(/FORBIDDEN/);
    } finally {
      await client.close();
    }
    expect(readdirSync(join(root, "issues")).filter((f) => f.includes("evil"))).toEqual([]);
  });
});

describe("3 a committed .jig symlink does not redirect jig's writes", () => {
  it("refuses to write a status file through a .jig link in a worktree, and the outside file survives", async () => {
    const root = repoWithEpic();
    const ctx = await openContext({ root });
    const { worktree } = await makeWorker(ctx, "e-01-t1");
    const outside = gitRepo();
    writeFileSync(join(outside, "status.json"), "precious\n");
    rmSync(join(worktree, ".jig"), { recursive: true, force: true });
    symlinkSync(outside, join(worktree, ".jig"));
    attempt("3 .jig symlink");
    await expect(writeWorkerStatus(worktree, { status: "blocked", message: "x" })).rejects.toThrow(
      /symbolic link/,
    );
    expect(readFileSync(join(outside, "status.json"), "utf8")).toBe("precious\n");
    // The same through the tool a worker calls.
    const { client, close } = await connect(ctx, { role: "worker", name: "e-01-t1" });
    attempt("3 .jig symlink");
    const res = await call(client, "set_status", { status: "blocked", message: "through the link" });
    await close();
    expect(res.isError).toBe(true);
    expect(readFileSync(join(outside, "status.json"), "utf8")).toBe("precious\n");
  });

  it("refuses a repository whose own .jig is a link, and excludes `.jig` links from commits", async () => {
    const root = gitRepo();
    const outside = gitRepo();
    symlinkSync(outside, join(root, ".jig"));
    writeFiles(root, { "issues/x.md": issueFile({ status: "planned" }, "# X\n") });
    const ctx = await openContext({ root });
    attempt("3 .jig symlink");
    await expect(ctx.workers.save({ ...fakeRecord("w1", root) })).rejects.toThrow(/symbolic link/);
    expect(readdirSync(outside).sort()).toEqual([".git", "README.md"]);
    // `jig init` writes `.jig` (not only `.jig/`), so a link named .jig is ignored by `git add -A`.
    rmSync(join(root, ".jig"));
    const out = runCli(root, ["init"]);
    expect(out.code, out.stderr).toBe(0);
    rmSync(join(root, ".jig"), { recursive: true, force: true });
    symlinkSync(outside, join(root, ".jig"));
    expect(gitIn(root, "status", "--porcelain", "--ignored=no")).not.toMatch(/\.jig/);
  });
});

function fakeRecord(name: string, root: string) {
  return {
    name,
    kind: "adhoc" as const,
    issue: null,
    epic: null,
    branch: `_jig/${name}`,
    target: "main",
    worktree: join(root, ".jig", "worktrees", name),
    agent: "test",
    pid: null,
    started: new Date().toISOString(),
    logPath: join(root, ".jig", "logs", `${name}.log`),
    exited: null,
    attempt: 1,
    usage: null,
  };
}

describe("5 HTTP sessions are capped and unused ones expire", () => {
  const INIT = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "t", version: "0" } },
  };
  it("answers 429 past the per-identity cap, 503 past the total, and closes sessions never used", async () => {
    const root = repoWithEpic();
    const ctx = await openContext({ root });
    const admin = await adminToken(ctx.paths);
    const worker = await issueToken(ctx.paths, "w1");
    const serve = (unusedMs: number) =>
      createHttpApp({ ctx, dashboard: false, maxSessions: 6, maxSessionsPerIdentity: 4, unusedMs });
    const open = (app: ReturnType<typeof serve>["app"], token: string) =>
      app.request("http://127.0.0.1/mcp", {
        method: "POST",
        headers: {
          host: "127.0.0.1",
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify(INIT),
      });
    // The caps, with unused sessions kept for a minute (so a loaded machine cannot expire them mid-test).
    const capped = serve(60_000);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await open(capped.app, worker)).status);
      attempt("5 HTTP session caps", 10);
      expect(statuses.slice(0, 4)).toEqual([200, 200, 200, 200]);
      expect(new Set(statuses.slice(4))).toEqual(new Set([429]));
      const refused = await open(capped.app, worker);
      expect(refused.headers.get("retry-after")).toBeTruthy();
      expect(await refused.text()).toMatch(/TOO_MANY_REQUESTS.*at most 4/);
      // Another identity still gets in, up to the total.
      expect((await open(capped.app, admin)).status).toBe(200);
      expect((await open(capped.app, admin)).status).toBe(200);
      attempt("5 HTTP session caps");
      const full = await open(capped.app, admin);
      expect(full.status).toBe(503);
      expect(await full.text()).toMatch(/maximum of 6 sessions/);
      expect(capped.sessions.size).toBe(6);
    } finally {
      await capped.close();
    }
    // Opened but never used: gone within a second or so, and the worker can open sessions again.
    const expiring = serve(300);
    try {
      for (let i = 0; i < 4; i++) await open(expiring.app, worker);
      const deadline = Date.now() + 10_000;
      while (expiring.sessions.size > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(expiring.sessions.size, "unused sessions still open after 10 s").toBe(0);
      expect((await open(expiring.app, worker)).status).toBe(200);
    } finally {
      await expiring.close();
    }
  });

  it("reads the caps from jig.json and refuses bad values naming the field", () => {
    const root = gitRepo({ "jig.json": JSON.stringify({ http: { maxSessions: 0 } }) });
    const out = runCli(root, ["issues", "list"]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/http\.maxSessions/);
  });
});

describe("6 fail-open and documentation mismatches", () => {
  it("JIG_TOKEN='' is refused, not admin", async () => {
    const root = repoWithEpic();
    attempt("6 empty JIG_TOKEN");
    const out = runCli(root, ["serve", "--stdio"], {
      env: { JIG_TOKEN: "", JIG_ROOT: root },
      timeoutMs: 20_000,
    });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/UNAUTHORIZED|not valid/);
  });

  it("a planner cannot check another worker's conflicts", async () => {
    const root = repoWithEpic();
    const ctx = await openContext({ root });
    await makeWorker(ctx, "e-01-t1");
    const { client, close } = await connect(ctx, { role: "planner", name: "planner-e", epic: "e" });
    attempt("6 planner check_conflicts");
    const res = await call(client, "check_conflicts", { worker: "e-01-t1" });
    await close();
    expect(res.isError).toBe(true);
    expect(res.text).toMatch(/FORBIDDEN/);
  });

  it("loopback is parsed, not prefixed: 127.0.0.1.nip.io is refused without TLS or --insecure-http", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
      expect(isLoopback(host)).toBe(true);
    for (const host of [
      "127.0.0.1.nip.io",
      "127.evil.example",
      "0.0.0.0",
      "::",
      "1.2.3.4",
      "localhost.evil",
    ]) {
      attempt("6 loopback check");
      expect(isLoopback(host), host).toBe(false);
    }
    const out = runCli(gitRepo(), ["serve", "--host", "127.0.0.1.nip.io", "--port", "0"], {
      timeoutMs: 20_000,
    });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/non-loopback/);
  });

  it("an unknown name and a wrong secret are refused alike (one fixed-length comparison each)", async () => {
    const root = repoWithEpic();
    const ctx = await openContext({ root });
    const known = await issueToken(ctx.paths, "w1");
    const wrongSecret = known.replace(/\.[^.]+$/, `.${"A".repeat(32)}`);
    const unknownName = `jig_worker.${Buffer.from("nobody").toString("base64url")}.${"A".repeat(32)}`;
    // Alternating the two, so a machine's changing load falls on both alike.
    const timeBoth = async (a: string, b: string) => {
      const samples: [number[], number[]] = [[], []];
      for (let i = 0; i < 600; i++) {
        const which = i % 2;
        const t = process.hrtime.bigint();
        await authenticate(ctx.paths, which ? b : a).catch(() => {});
        samples[which]!.push(Number(process.hrtime.bigint() - t) / 1000);
      }
      return samples.map((s) => Math.round(s.sort((x, y) => x - y)[150]! * 10) / 10);
    };
    const messages = await Promise.all(
      [wrongSecret, unknownName, "", "garbage"].map((t) =>
        authenticate(ctx.paths, t).catch((e: Error) => e.message),
      ),
    );
    attempt("6 name enumeration", 4);
    expect(new Set(messages).size).toBe(1);
    // Measured, not asserted (timing in a shared CI box is noise): recorded for docs/security.md.
    const [wrongSecretMedianUs, unknownNameMedianUs] = await timeBoth(wrongSecret, unknownName);
    tally("security-auth-timing", {
      wrongSecretMedianUs: wrongSecretMedianUs!,
      unknownNameMedianUs: unknownNameMedianUs!,
    });
  });
});

describe("6b identity files are cached by their stat, never past a change", () => {
  it("a revoked token is refused on the very next call, and a reissued one replaces the old at once", async () => {
    const root = repoWithEpic();
    const ctx = await openContext({ root });
    const first = await issueToken(ctx.paths, "w1");
    // Many calls: the record is read once and then answered from the cache while unchanged.
    for (let i = 0; i < 20; i++)
      expect(await authenticate(ctx.paths, first)).toEqual({ role: "worker", name: "w1" });
    const second = await issueToken(ctx.paths, "w1");
    await expect(authenticate(ctx.paths, first)).rejects.toThrow(/not valid/);
    expect(await authenticate(ctx.paths, second)).toEqual({ role: "worker", name: "w1" });
    await revokeToken(ctx.paths, "w1");
    await expect(authenticate(ctx.paths, second)).rejects.toThrow(/not valid/);
    // The same file set back to an old time (a cached, trusted entry) and then replaced in place with
    // the same size: its inode or ctime still tells.
    const third = await issueToken(ctx.paths, "w1");
    const record = join(ctx.paths.secretsDir, "ids", `${Buffer.from("w1").toString("base64url")}.json`);
    const past = new Date(Date.now() - 60_000);
    utimesSync(record, past, past);
    expect(await authenticate(ctx.paths, third)).toEqual({ role: "worker", name: "w1" });
    const fourth = await issueToken(ctx.paths, "w1");
    utimesSync(record, past, past);
    await expect(authenticate(ctx.paths, third)).rejects.toThrow(/not valid/);
    expect(await authenticate(ctx.paths, fourth)).toEqual({ role: "worker", name: "w1" });
  });
});

describe("7 custom agent templates and branch names", () => {
  it("refuses a template that quotes a placeholder, naming it", () => {
    for (const template of [`echo "{prompt}"`, `sh -c 'run {prompt}'`, `agent --x="{issue}" {prompt}`]) {
      attempt("7 quoted placeholder");
      expect(() => renderTemplate(template, { prompt: "p", issue: "i" })).toThrow(/inside quotes/);
    }
    expect(renderTemplate("agent --mcp {mcpConfig} {prompt}", { mcpConfig: "/x y", prompt: "it's" })).toBe(
      `agent --mcp '/x y' 'it'\\''s'`,
    );
  });

  it("refuses branch names with shell metacharacters", () => {
    for (const name of [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal shell text is the attack
      "feature/$(touch${IFS}x)",
      "feature/`id`",
      "a;b",
      "a|b",
      "a&b",
      "a>b",
      "a'b",
      'a"b',
      "a$b",
    ]) {
      attempt("7 branch metacharacters");
      expect(explainBadBranch(name), name).toMatch(/metacharacters|forbids/);
    }
    expect(explainBadBranch("feature/auth-v1.2_x")).toBeNull();
  });

  it("a spawn with such a template starts nothing and runs nothing", async () => {
    const root = repoWithEpic();
    writeFileSync(
      join(root, "jig.json"),
      JSON.stringify({ agents: { evil: { type: "custom", command: `echo "{prompt}" > pwned` } } }),
    );
    attempt("7 quoted placeholder");
    const out = runCli(root, ["spawn", "--issue", "e-01-t1", "--agent", "evil"]);
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/inside quotes/);
    expect(existsSync(join(root, ".jig", "worktrees", "e-01-t1", "pwned"))).toBe(false);
  });
});

describe("8 terminal escapes in agent-written text", () => {
  it("jig issues list/show print titles with control characters made visible", () => {
    const title = "Pwn \u001b]0;owned\u0007 \u001b[31mred\u001b[0m \u009b2J";
    const root = gitRepo({
      "issues/e.md": issueFile({ target: "feature/e" }, `# ${title}\n`),
    });
    for (const args of [
      ["issues", "list"],
      ["issues", "show", "e"],
      ["status", "e"],
    ]) {
      attempt("8 terminal escapes");
      const out = runCli(root, args);
      expect(out.stdout + out.stderr, args.join(" ")).not.toMatch(/[\u0007\u001b\u009b]/);
    }
    expect(runCli(root, ["issues", "list"]).stdout).toContain("\\u001b]0;owned\\u0007");
    const json = JSON.parse(runCli(root, ["issues", "list", "--json"]).stdout);
    expect(json.issues[0].title).toBe(title);
  });
});

describe("9 one scrubber on every surface", () => {
  it("resource errors name no absolute path; tool errors and status files carry no token", async () => {
    const root = repoWithEpic();
    const ctx = await openContext({ root });
    const { worktree, token } = await makeWorker(ctx, "e-01-t1");
    // A file where the issues directory's child should be: reading it fails with an fs error.
    rmSync(join(root, "issues", "e-01-t1.md"));
    mkdirSync(join(root, "issues", "e-01-t1.md"));
    const { client, close } = await connect(ctx, { role: "worker", name: "e-01-t1" });
    attempt("9 scrubbing", 3);
    const read = await client.readResource({ uri: "jig://issues/e-01-t1" }).then(
      () => "no error",
      (e: Error) => e.message,
    );
    expect(read).toMatch(/EISDIR|directory/);
    expect(String(read)).not.toContain(root);
    expect(String(read)).not.toMatch(/(^|\s)\/(tmp|home|root)\//);
    rmSync(join(root, "issues", "e-01-t1.md"), { recursive: true });
    gitIn(root, "checkout", "--", "issues/e-01-t1.md");
    const status = await call(client, "set_status", {
      status: "blocked",
      message: `stuck; my token is ${token}`,
    });
    await close();
    expect(status.text).not.toContain(token);
    expect(readFileSync(join(worktree, ".jig", "status.json"), "utf8")).not.toContain(token);
  });
});

describe("10 a hand-removed worktree can be respawned", () => {
  it("set_status does not recreate the deleted worktree, and the worktree can be created again", async () => {
    const root = repoWithEpic();
    const ctx = await openContext({ root });
    const { worktree } = await makeWorker(ctx, "e-01-t1");
    rmSync(worktree, { recursive: true, force: true });
    const { client, close } = await connect(ctx, { role: "worker", name: "e-01-t1" });
    attempt("10 removed worktree");
    await call(client, "set_status", { status: "working", message: "still here?" });
    await close();
    expect(existsSync(worktree)).toBe(false);
    const again = await createWorktree(ctx, { name: "e-01-t1", from: "feature/e" });
    expect(again.created).toBe(true);
    expect(existsSync(join(worktree, ".git"))).toBe(true);
  });
});

describe("11 jig's state is private to the user", () => {
  let root: string;
  beforeAll(async () => {
    root = repoWithEpic();
    const ctx = await openContext({ root });
    const { worktree } = await makeWorker(ctx, "e-01-t1");
    await writeWorkerStatus(worktree, { status: "blocked", message: "x" });
    const out = runCli(root, ["spawn", "adhoc1", "--context", "say hi", "--agent", "scripted"]);
    expect(out.code, out.stderr).toBe(0);
  });

  it("every directory under .jig is 0700 and every file 0600 (worktrees' own files aside)", () => {
    const loose: string[] = [];
    const walk = (dir: string, inWorktree: boolean) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        const info = lstatSync(path);
        const checked =
          !inWorktree ||
          path.includes("/.jig/worktrees/") === false ||
          /\/\.jig\/worktrees\/[^/]+\/\.jig(\/|$)/.test(path);
        if (checked && (info.mode & 0o077) !== 0)
          loose.push(`${(info.mode & 0o777).toString(8)} ${path.slice(root.length)}`);
        if (info.isDirectory()) walk(path, inWorktree || path.endsWith("/.jig/worktrees"));
      }
    };
    attempt("11 private state");
    expect(statSync(join(root, ".jig")).mode & 0o777).toBe(0o700);
    walk(join(root, ".jig"), false);
    expect(loose).toEqual([]);
  });
});
