import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode, JigError } from "../errors.js";

// The one table from a JigError's code to an HTTP status, for every HTTP surface (the MCP endpoint in
// http.ts, the dashboard in dashboard/app.ts). `satisfies` makes a new ErrorCode a compile error here
// until it is given its status.
export const HTTP_STATUS = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  GIT_FAILED: 500,
  PROCESS_FAILED: 500,
  INTERNAL: 500,
  NOT_AVAILABLE: 503,
  TIMEOUT: 504,
} as const satisfies Record<ErrorCode, ContentfulStatusCode>;

export const httpStatus = (code: ErrorCode): ContentfulStatusCode => HTTP_STATUS[code];

/**
 * What an HTTP client may read of an error. A 500's message (a bug, or git's or a command's own output)
 * may carry paths or anything else, so it is withheld; the code still says which kind it was.
 */
export const publicMessage = (error: JigError): string =>
  httpStatus(error.code) === 500 ? "internal error" : error.message;
