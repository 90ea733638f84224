import { registerEpics } from "./epics.js";
import { registerIssues } from "./issues.js";
import type { RegisterResource } from "./resource.js";
import { registerWorkers } from "./workers.js";

// Every MCP resource jig serves.
export const RESOURCES: RegisterResource[] = [registerIssues, registerEpics, registerWorkers];
