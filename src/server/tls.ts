import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { createSecureContext } from "node:tls";
import { JigError } from "../errors.js";

// HTTPS for `jig serve`: a PEM certificate (chain) and its private key, read once at start and
// checked as a pair here, so a wrong file is a clear error before anything listens.

export interface TlsFiles {
  cert: string;
  key: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** The files they came from, for messages. */
  files: TlsFiles;
}

/** The certificate and key from the flags, else jig.json `http.tls` (relative to the repo root); both or neither. */
export function chooseTlsFiles(options: {
  cert?: string | undefined;
  key?: string | undefined;
  config?: TlsFiles | undefined;
  root: string;
  /** Where relative flag paths start (the command's working directory). */
  cwd: string;
}): TlsFiles | null {
  const { cert, key } = options;
  if (cert !== undefined || key !== undefined) {
    if (cert === undefined || key === undefined)
      throw new JigError(
        "INVALID_INPUT",
        cert === undefined
          ? `--tls-key ${key} given without --tls-cert`
          : `--tls-cert ${cert} given without --tls-key`,
        { hint: "HTTPS needs both: --tls-cert <cert.pem> --tls-key <key.pem>" },
      );
    return { cert: resolve(options.cwd, cert), key: resolve(options.cwd, key) };
  }
  if (!options.config) return null;
  const at = (file: string) => (isAbsolute(file) ? file : resolve(options.root, file));
  return { cert: at(options.config.cert), key: at(options.config.key) };
}

/** Reads both files and proves they make a usable pair (PEM, key matches certificate). */
export async function loadTls(files: TlsFiles): Promise<TlsMaterial> {
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new JigError(
        "INVALID_INPUT",
        `cannot read the TLS ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
        {
          hint: `pass a readable PEM file: --tls-${what === "certificate" ? "cert" : "key"} <file> (or http.tls in jig.json)`,
          cause: error,
        },
      );
    }
  };
  const cert = await read(files.cert, "certificate");
  const key = await read(files.key, "key");
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new JigError(
      "INVALID_INPUT",
      `the TLS certificate ${files.cert} and key ${files.key} are not a usable pair: ${(error as Error).message}`,
      {
        hint: "give the PEM certificate (chain) and the private key it was issued for; `openssl x509 -in <cert> -noout -subject` shows what a file holds",
        cause: error,
      },
    );
  }
  return { cert, key, files };
}
