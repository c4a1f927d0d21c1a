// `mussel instance decrypt_password UUID KEYFILE`: fetch the encrypted
// password and decrypt it here, with the user's private key; print only the
// password. The key never leaves this machine.
import { readFileSync } from "node:fs";
import { decryptPassword } from "../../model/password-crypto.js";
import { wrongKeyMessage } from "../../model/password-messages.js";
import {
  needsPassphrase,
  PassphraseError,
  PrivateKeyError,
  readPrivateKey,
} from "../../model/ssh-private-key.js";
import { UserError } from "../errors.js";
import { ApiCallError, call } from "./client.js";
import type { MusselConfig } from "./config.js";

export async function decryptInstancePassword(
  config: MusselConfig,
  instanceId: string,
  keyFile: string,
): Promise<string> {
  let keyText: string;
  try {
    keyText = readFileSync(keyFile, "utf8");
  } catch (err) {
    throw new UserError(
      `cannot read the key file ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const key = await unlock(keyText, keyFile);

  let encrypted: string;
  try {
    encrypted = JSON.parse(
      (await call(config, "GET", `/instances/${instanceId}/password`, { format: "json" })).body,
    ).encrypted_password;
  } catch (err) {
    if (err instanceof ApiCallError && err.errorName === "PasswordNotInDatabase") {
      if (/without generalizing/.test(err.message)) throw new UserError(err.message);
      const instance = await showInstance(config, instanceId);
      throw new UserError(
        `${instanceId} has no password yet: it is ${instance.state}; the password appears once its first boot ends (or it was deleted)`,
      );
    }
    throw err;
  }
  try {
    return decryptPassword(key, encrypted);
  } catch {
    const instance = await showInstance(config, instanceId);
    throw new UserError(wrongKeyMessage(instanceId, instance.ssh_key_pair?.uuid));
  }
}

async function showInstance(config: MusselConfig, id: string) {
  return JSON.parse((await call(config, "GET", `/instances/${id}`, { format: "json" })).body) as {
    state: string;
    ssh_key_pair: { uuid: string } | null;
  };
}

async function unlock(text: string, keyFile: string) {
  let passphrase: string | undefined;
  try {
    if (needsPassphrase(text)) {
      passphrase =
        process.env.MUSSEL_KEY_PASSPHRASE ??
        (process.stdin.isTTY ? await askHidden(`Passphrase for ${keyFile}: `) : undefined);
      if (passphrase === undefined) {
        throw new UserError(
          `${keyFile} is protected by a passphrase: set MUSSEL_KEY_PASSPHRASE, or run mussel on a terminal`,
        );
      }
    }
    return readPrivateKey(text, passphrase);
  } catch (err) {
    if (err instanceof PassphraseError) throw new UserError(`${keyFile}: ${err.message}`);
    if (err instanceof PrivateKeyError) throw new UserError(`${keyFile}: ${err.message}`);
    throw err;
  }
}

/** Reads a line from the terminal without echoing it. */
function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    // Echo goes off before the prompt shows, so nothing typed at it is echoed.
    stdin.setRawMode(true);
    stdin.resume();
    process.stderr.write(prompt);
    let answer = "";
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new UserError("cancelled"));
        if (ch === "\u007f") answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    const done = (err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(answer);
    };
    stdin.on("data", onData);
  });
}
