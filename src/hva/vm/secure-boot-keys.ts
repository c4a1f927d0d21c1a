// Secure Boot keys the operator provides (hva's --secure-boot-kek and
// --secure-boot-db: Microsoft's 2011 and 2023 KEK and DB certificates, say),
// enrolled by our own writer into Debian's blank OVMF store: the template
// each Secure Boot instance's variable store is then copied from. The
// platform key is this host's own, made once; its private key is thrown away,
// so no one can change an instance's KEK from outside its guest.
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  secureBootVariables,
  VariableStoreError,
  writeVariableStore,
} from "../../model/uefi-variable-store.js";
import type { Ovmf } from "./firmware.js";

const run = promisify(execFile);

export interface SecureBootCertificates {
  kek: readonly string[];
  db: readonly string[];
}

/** A certificate file as DER, PEM or DER on disk; what is wrong with it otherwise, naming the option. */
async function certificate(option: string, file: string): Promise<Buffer> {
  const bytes = await readFile(file).catch((err: Error) => {
    throw new Error(`${option}: cannot read ${file}: ${err.message}`);
  });
  try {
    return Buffer.from(new X509Certificate(bytes).raw);
  } catch {
    throw new Error(`${option}: ${file} is not an X.509 certificate (PEM or DER)`);
  }
}

/** This host's platform key certificate, made once with openssl; its key is not kept. */
async function platformKey(dir: string): Promise<Buffer> {
  const pem = join(dir, "pk.pem");
  if (!existsSync(pem)) {
    await run("openssl", [
      ...["req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "36500"],
      ...["-subj", "/CN=wakame-ts host platform key/", "-keyout", "/dev/null", "-out", `${pem}.creating`],
    ]);
    await rename(`${pem}.creating`, pem);
  }
  return Buffer.from(new X509Certificate(await readFile(pem)).raw);
}

/**
 * Writes the store with these keys enrolled into `dir` (temp file, then
 * rename) and returns `ovmf` with it as the Secure Boot template.
 */
export async function enrollSecureBootKeys(
  ovmf: Ovmf,
  certs: SecureBootCertificates,
  dir: string,
): Promise<Ovmf> {
  const kek = await Promise.all(certs.kek.map((f) => certificate("--secure-boot-kek", f)));
  const db = await Promise.all(certs.db.map((f) => certificate("--secure-boot-db", f)));
  const template = join(dir, "OVMF_VARS_4M.enrolled.fd");
  const temp = `${template}.creating`;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const store = writeVariableStore(
      await readFile(ovmf.emptyVars),
      secureBootVariables({ pk: await platformKey(dir), kek, db }),
    );
    await writeFile(temp, store);
    await rename(temp, template);
  } catch (err) {
    // Nothing half written is left (where nothing could be written, there is nothing to remove).
    await rm(temp, { force: true }).catch(() => {});
    const why = (err as Error).message;
    // The store's own limits: too many certificates for one variable.
    if (err instanceof VariableStoreError)
      throw new Error(
        `the Secure Boot keys do not fit OVMF's variable store: ${why}; name fewer --secure-boot-kek or --secure-boot-db files`,
      );
    throw new Error(`cannot write the Secure Boot variable store template in ${dir}: ${why}`);
  }
  return { ...ovmf, secureBootVars: template };
}
