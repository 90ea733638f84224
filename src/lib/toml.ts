import { stringify } from "smol-toml";

// smol-toml: the only importer. jig writes TOML (Codex's config.toml) and never reads it.

/** A TOML document from plain data (tables, arrays, strings, numbers, booleans). */
export const toToml = (value: Record<string, unknown>): string => `${stringify(value)}\n`;
