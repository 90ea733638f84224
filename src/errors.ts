// One error type for the whole of jig: a stable code, a message naming the bad value, a hint for what to do.
export const ERROR_CODES = [
  "INVALID_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "PRECONDITION_FAILED",
  "FORBIDDEN",
  "UNAUTHORIZED",
  "GIT_FAILED",
  "PROCESS_FAILED",
  "TIMEOUT",
  "NOT_AVAILABLE",
  "PAYLOAD_TOO_LARGE",
  "TOO_MANY_REQUESTS",
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorDetails = Record<string, string | number | boolean | null | string[] | number[]>;

export interface JigErrorOptions {
  hint?: string;
  /** The hint for an agent calling a tool, where `hint` speaks to a person at a terminal (names `jig` commands). */
  toolHint?: string;
  details?: ErrorDetails;
  cause?: unknown;
}

export class JigError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly toolHint: string | undefined;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: JigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "JigError";
    this.code = code;
    this.hint = options.hint;
    this.toolHint = options.toolHint;
    this.details = options.details ?? {};
  }

  /** One line for a model or a terminal: `[CODE] message — hint`. */
  toLine(): string {
    return `[${this.code}] ${this.message}${this.hint ? ` — ${this.hint}` : ""}`;
  }

  /** The line a tool returns: the agent's hint when there is one (it may have no `jig` on PATH). */
  toToolLine(): string {
    const hint = this.toolHint ?? this.hint;
    return `[${this.code}] ${this.message}${hint ? ` — ${hint}` : ""}`;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details: ErrorDetails } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      details: this.details,
    };
  }
}

export const isJigError = (error: unknown): error is JigError => error instanceof JigError;

/** Wraps anything thrown into a JigError so every surface renders one shape. */
export function toJigError(error: unknown): JigError {
  if (error instanceof JigError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new JigError("INTERNAL", `internal error: ${message}`, {
    hint: "this is a bug in jig; please report it with the command you ran",
    cause: error,
  });
}
