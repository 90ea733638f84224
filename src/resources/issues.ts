import { ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { assertSafeId } from "../core/ids.js";
import { type RegisterResource, reads, variable } from "./resource.js";

// jig://issues/{id}: the issue file itself, as markdown.
export const registerIssues: RegisterResource = (server, ctx) => {
  server.registerResource(
    "issue",
    new ResourceTemplate("jig://issues/{id}", {
      list: async () => ({
        resources: (await ctx.issues.list()).map((issue) => ({
          uri: `jig://issues/${issue.id}`,
          name: issue.id,
          title: issue.title,
          description: `${issue.kind} · ${issue.status}${issue.assigned ? ` · ${issue.assigned}` : ""}`,
          mimeType: "text/markdown",
        })),
      }),
      complete: {
        id: async (value) =>
          (await ctx.issues.list())
            .map((issue) => issue.id)
            .filter((id) => id.startsWith(value))
            .slice(0, 100),
      },
    }),
    {
      title: "Issue file",
      description: "An epic or subtask issue file (markdown with YAML frontmatter)",
      mimeType: "text/markdown",
    },
    reads(async (uri, variables) => {
      const issue = await ctx.issues.get(assertSafeId(variable(variables.id), "issue id"));
      return { contents: [{ uri: uri.href, mimeType: "text/markdown", text: issue.raw }] };
    }),
  );
};
