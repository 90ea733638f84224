import { checkConflictsTool } from "./check-conflicts.js";
import { claimTaskTool } from "./claim-task.js";
import { getTaskTool } from "./get-task.js";
import { landTool } from "./land.js";
import { listTasksTool } from "./list-tasks.js";
import { planEpicTool } from "./plan-epic.js";
import { setStatusTool } from "./set-status.js";
import type { ToolDefinition } from "./tool.js";

// Every MCP tool jig serves, in the order a model meets them.
export const TOOLS: ToolDefinition[] = [
  planEpicTool,
  claimTaskTool,
  setStatusTool,
  landTool,
  listTasksTool,
  getTaskTool,
  checkConflictsTool,
] as unknown as ToolDefinition[];
